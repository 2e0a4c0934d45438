package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// CreateSession implements [selfcare.SessionStore].
func (s *Store) CreateSession(_ context.Context, sess selfcare.Session) error {
	sess.TokenHash = clone(sess.TokenHash)
	sess.CreatedAt = stamp(sess.CreatedAt)
	sess.AuthenticatedAt = stamp(sess.AuthenticatedAt)
	sess.LastSeen = stamp(sess.LastSeen)
	key := string(sess.TokenHash)

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[key]; ok {
		// The token hash is a secret's digest: keep it out of the error.
		return fmt.Errorf("create session: %w", selfcare.ErrExists)
	}
	s.sessions[key] = sess
	s.userSessions.add(sess.UserID, key)
	return nil
}

// Session implements [selfcare.SessionStore].
func (s *Store) Session(_ context.Context, tokenHash []byte) (selfcare.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sess, ok := s.sessions[string(tokenHash)]
	if !ok {
		return selfcare.Session{}, fmt.Errorf("session: %w", selfcare.ErrNotFound)
	}
	sess.TokenHash = clone(sess.TokenHash)
	return sess, nil
}

// TouchSession implements [selfcare.SessionStore].
func (s *Store) TouchSession(_ context.Context, tokenHash []byte, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := string(tokenHash)
	sess, ok := s.sessions[key]
	if !ok {
		return fmt.Errorf("touch session: %w", selfcare.ErrNotFound)
	}
	sess.LastSeen = stamp(at)
	s.sessions[key] = sess
	return nil
}

// DeleteSession implements [selfcare.SessionStore].
func (s *Store) DeleteSession(_ context.Context, tokenHash []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteSession(string(tokenHash))
	return nil
}

// DeleteUserSessions implements [selfcare.SessionStore].
func (s *Store) DeleteUserSessions(_ context.Context, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key := range s.userSessions[userID] {
		s.deleteSession(key)
		n++
	}
	return n, nil
}

// DeleteExpiredSessions implements [selfcare.SessionStore].
func (s *Store) DeleteExpiredSessions(_ context.Context,
	idleBefore, createdBefore time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key, sess := range s.sessions {
		if sess.LastSeen.Before(idleBefore) || sess.CreatedAt.Before(createdBefore) {
			s.deleteSession(key)
			n++
		}
	}
	return n, nil
}

// deleteSession removes one session from both indexes; s.mu must be held
// for writing. Deleting while ranging over the index is safe in Go.
func (s *Store) deleteSession(key string) {
	sess, ok := s.sessions[key]
	if !ok {
		return
	}
	delete(s.sessions, key)
	s.userSessions.remove(sess.UserID, key)
}

// AddFailure implements [selfcare.FailureStore].
func (s *Store) AddFailure(_ context.Context, key string, now time.Time,
	window time.Duration) (selfcare.Failures, error) {
	now = stamp(now)

	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.failures[key]
	if !ok || f.Count == 0 || now.Sub(f.First) > window {
		f = selfcare.Failures{First: now}
	}
	f.Count++
	f.Last = now
	s.failures[key] = f
	return f, nil
}

// Failures implements [selfcare.FailureStore].
func (s *Store) Failures(_ context.Context, key string) (selfcare.Failures, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.failures[key], nil
}

// ClearFailures implements [selfcare.FailureStore].
func (s *Store) ClearFailures(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, key)
	return nil
}

// defaultAuditLimit is the number of events [Store.Audit] returns when the
// filter does not say.
const defaultAuditLimit = 100

// AppendAudit implements [selfcare.AuditStore]. The store assigns e.ID.
func (s *Store) AppendAudit(_ context.Context, e selfcare.AuditEvent) error {
	e.Time = stamp(e.Time)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	e.ID = s.lastID
	s.audit = append(s.audit, e)
	return nil
}

// Audit implements [selfcare.AuditStore]. Newest means latest Time; events
// with equal times come latest appended first.
func (s *Store) Audit(_ context.Context, f selfcare.AuditFilter) (
	[]selfcare.AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	since := stamp(f.Since)

	s.mu.RLock()
	var out []selfcare.AuditEvent
	for _, e := range s.audit {
		if (f.Actor == "" || e.Actor == f.Actor) &&
			(f.Subject == "" || e.Actor == f.Subject || e.Target == f.Subject) &&
			(f.Action == "" || e.Action == f.Action) &&
			!e.Time.Before(since) {
			out = append(out, e)
		}
	}
	s.mu.RUnlock()

	// The trail is scanned whole: memstore serves tests and demos, whose
	// trails are short.
	slices.SortStableFunc(out, func(a, b selfcare.AuditEvent) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out[:min(len(out), limit)], nil
}

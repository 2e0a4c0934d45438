package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// Errors below never include a token hash: it is the digest of a secret.

// CreateSession implements [selfcare.SessionStore].
func (s *Store) CreateSession(ctx context.Context, x selfcare.Session) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id,
		created_at, authenticated_at, last_seen, remote_addr)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		x.TokenHash, x.UserID, micros(x.CreatedAt), micros(x.AuthenticatedAt),
		micros(x.LastSeen), x.RemoteAddr)
	if err := oneRow(res, err, selfcare.ErrExists); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session implements [selfcare.SessionStore].
func (s *Store) Session(ctx context.Context, tokenHash []byte) (selfcare.Session, error) {
	var x selfcare.Session
	err := scanSession(s.reads.session.QueryRowContext(ctx, tokenHash), &x)
	if errors.Is(err, sql.ErrNoRows) {
		err = selfcare.ErrNotFound
	}
	if err != nil {
		return selfcare.Session{}, fmt.Errorf("session: %w", err)
	}
	return x, nil
}

// TouchSession implements [selfcare.SessionStore].
func (s *Store) TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, micros(at), tokenHash)
	if err := oneRow(res, err, selfcare.ErrNotFound); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession implements [selfcare.SessionStore].
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements [selfcare.SessionStore].
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	n, err := s.deleteCount(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of %q: %w", userID, err)
	}
	return n, nil
}

// DeleteExpiredSessions implements [selfcare.SessionStore].
func (s *Store) DeleteExpiredSessions(ctx context.Context,
	idleBefore, createdBefore time.Time) (int, error) {
	n, err := s.deleteCount(ctx,
		`DELETE FROM sessions WHERE last_seen < ? OR created_at < ?`,
		micros(idleBefore), micros(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

// deleteCount runs a DELETE and returns how many rows it removed.
func (s *Store) deleteCount(ctx context.Context, query string, args ...any) (int, error) {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// AddFailure implements [selfcare.FailureStore]. One statement reads and
// writes the counters, so concurrent failures, from this process or
// another, are each counted.
func (s *Store) AddFailure(ctx context.Context, key string, now time.Time,
	window time.Duration) (selfcare.Failures, error) {
	var (
		f           selfcare.Failures
		first, last int64
	)
	err := s.w.QueryRowContext(ctx, `INSERT INTO login_failures (key, count, first_at, last_at)
		VALUES (?1, 1, ?2, ?2)
		ON CONFLICT (key) DO UPDATE SET
			count    = CASE WHEN ?2 - first_at > ?3 THEN 1 ELSE count + 1 END,
			first_at = CASE WHEN ?2 - first_at > ?3 THEN ?2 ELSE first_at END,
			last_at  = ?2
		RETURNING count, first_at, last_at`,
		key, micros(now), window.Microseconds()).Scan(&f.Count, &first, &last)
	if err != nil {
		return selfcare.Failures{}, fmt.Errorf("add failure: %w", err)
	}
	f.First, f.Last = fromMicros(first), fromMicros(last)
	return f, nil
}

// Failures implements [selfcare.FailureStore].
func (s *Store) Failures(ctx context.Context, key string) (selfcare.Failures, error) {
	var (
		f           selfcare.Failures
		first, last int64
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT count, first_at, last_at FROM login_failures WHERE key = ?`, key).
		Scan(&f.Count, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return selfcare.Failures{}, nil
	}
	if err != nil {
		return selfcare.Failures{}, fmt.Errorf("failures: %w", err)
	}
	f.First, f.Last = fromMicros(first), fromMicros(last)
	return f, nil
}

// ClearFailures implements [selfcare.FailureStore].
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
	if err != nil {
		return fmt.Errorf("clear failures: %w", err)
	}
	return nil
}

// defaultAuditLimit is the number of events Audit returns when the filter
// does not say.
const defaultAuditLimit = 100

// AppendAudit implements [selfcare.AuditStore]. The store assigns e.ID.
func (s *Store) AppendAudit(ctx context.Context, e selfcare.AuditEvent) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit
		(time, actor, action, target, outcome, detail, remote_addr)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		micros(e.Time), e.Actor, e.Action, e.Target, e.Outcome, e.Detail, e.RemoteAddr)
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// Audit implements [selfcare.AuditStore]. Newest means latest Time; events
// with equal times come latest appended first.
func (s *Store) Audit(ctx context.Context, f selfcare.AuditFilter) (
	[]selfcare.AuditEvent, error) {
	// Only the conditions in use go into the statement, so that SQLite can
	// pick the index for the actor or the action.
	where := []string{"time >= ?"}
	args := []any{micros(f.Since)}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Subject != "" {
		where = append(where, "(actor = ? OR target = ?)")
		args = append(args, f.Subject, f.Subject)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	args = append(args, limit)

	rows, err := s.r.QueryContext(ctx, `SELECT id, time, actor, action, target, outcome,
		detail, remote_addr FROM audit WHERE `+strings.Join(where, " AND ")+`
		ORDER BY time DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []selfcare.AuditEvent
	for rows.Next() {
		var (
			e  selfcare.AuditEvent
			at int64
		)
		err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Outcome,
			&e.Detail, &e.RemoteAddr)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		e.Time = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

package selfcare

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"
)

// tokenBytes is the randomness of a session token: 256 bits, twice what
// ASVS asks of a reference token.
const tokenBytes = 32

// maxTokenLength bounds a presented token; anything longer is not ours and
// is refused before it reaches the store.
const maxTokenLength = 128

// touchEvery limits LastSeen writes to one per session per minute. Idle
// expiry is therefore exact to within a minute.
const touchEvery = time.Minute

// tokenHash is what the store keeps instead of a token.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// openSession creates a session with a fresh token. Every login gets a new
// token, so a token planted before login is worthless after it.
func (s *Service) openSession(ctx context.Context, userID, remoteAddr string,
	now time.Time) (string, Session, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", Session{}, fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	sess := Session{
		TokenHash:       tokenHash(token),
		UserID:          userID,
		CreatedAt:       now,
		AuthenticatedAt: now,
		LastSeen:        now,
		RemoteAddr:      clean(remoteAddr),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, fmt.Errorf("session: %w", err)
	}
	return token, sess, nil
}

// Authenticate returns the principal of the session that token opened. It
// returns ErrUnauthenticated when the token is empty or unknown, when the
// session was idle longer than the idle timeout or is older than the
// absolute timeout, when the user is disabled or gone, or when the user no
// longer holds the Self Care role; in each of those cases but the first two
// the session is ended too. Other errors are store failures.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	return s.authenticate(ctx, token, false)
}

// authenticate is [Service.Authenticate] and [Service.AuthenticateAdmin];
// admin says which access the user needs.
func (s *Service) authenticate(ctx context.Context, token string, admin bool) (
	*Principal, error) {
	const op = "selfcare: authenticate"
	if token == "" || len(token) > maxTokenLength {
		return nil, ErrUnauthenticated
	}
	th := tokenHash(token)
	sess, err := s.store.Session(ctx, th)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, ErrUnauthenticated
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}

	now := s.now()
	switch {
	case now.Sub(sess.LastSeen) > s.idle:
		return nil, s.endSession(ctx, sess, "idle timeout")
	case now.Sub(sess.CreatedAt) > s.absolute:
		return nil, s.endSession(ctx, sess, "absolute timeout")
	}

	u, err := s.store.User(ctx, sess.UserID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, s.endSession(ctx, sess, "user no longer exists")
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	case u.Disabled:
		return nil, s.endSession(ctx, sess, causeDisabled)
	}

	// The parameters come first: they set the resolver's overlap policy
	// and the credential policy, and gate what this request may do.
	if err := s.syncParams(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	g, err := s.grant(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if cause := accessCause(g, admin); cause != "" {
		return nil, s.endSession(ctx, sess, cause)
	}

	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.store.TouchSession(ctx, th, now); err != nil {
			if errors.Is(err, ErrNotFound) {
				// Ended while we looked at it, by a logout or a password
				// change elsewhere.
				return nil, ErrUnauthenticated
			}
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		sess.LastSeen = now
	}
	s.markExpired(&u, now)
	return &Principal{User: u, Session: sess, Grant: g}, nil
}

// endSession deletes a session that may no longer be used and returns
// ErrUnauthenticated, or the store's error when deleting fails. Timeouts
// are routine and only logged; a revocation is audited.
func (s *Service) endSession(ctx context.Context, sess Session, why string) error {
	if err := s.store.DeleteSession(ctx, sess.TokenHash); err != nil {
		return fmt.Errorf("selfcare: end session: %w", err)
	}
	switch why {
	case "idle timeout", "absolute timeout":
		s.log.Debug("selfcare: session expired", "user", sess.UserID, "why", why)
	default:
		s.audit(ctx, AuditEvent{Actor: sess.UserID, Action: ActionSessionEnded,
			Target: sess.UserID, Outcome: OutcomeDenied, Detail: why,
			RemoteAddr: sess.RemoteAddr})
	}
	return ErrUnauthenticated
}

// Logout ends the session that token opened. Ending an unknown or already
// ended session is not an error, so a client can always log out.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > maxTokenLength {
		return nil
	}
	th := tokenHash(token)
	sess, err := s.store.Session(ctx, th)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("selfcare: logout: %w", err)
	}
	if err := s.store.DeleteSession(ctx, th); err != nil {
		return fmt.Errorf("selfcare: logout: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: sess.UserID, Action: ActionLogout, Target: sess.UserID,
		Outcome: OutcomeOK, RemoteAddr: sess.RemoteAddr})
	return nil
}

// PurgeExpiredSessions deletes the sessions that the idle or absolute
// timeout ended and returns how many. Authenticate refuses them anyway; this
// keeps the store small. Run it now and then, such as every few minutes.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int, error) {
	now := s.now()
	n, err := s.store.DeleteExpiredSessions(ctx, now.Add(-s.idle), now.Add(-s.absolute))
	if err != nil {
		return 0, fmt.Errorf("selfcare: purge sessions: %w", err)
	}
	if n > 0 {
		s.log.Debug("selfcare: expired sessions purged", "count", n)
	}
	return n, nil
}

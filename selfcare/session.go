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
	rd, joined, err := s.sessionUser(ctx, th)
	sess, u := rd.Session, rd.User
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

	switch {
	case !joined:
		u, err = s.store.User(ctx, sess.UserID)
	case u.ID == "":
		err = ErrNotFound
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, s.endSession(ctx, sess, "user no longer exists")
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	case u.Disabled:
		return nil, s.endSession(ctx, sess, causeDisabled)
	}

	// The parameters come first: they set the resolver's overlap policy
	// and the credential policy, and gate what this request may do. The
	// generation came with the session when the store could join them.
	if joined && s.params.sharedGen {
		err = s.syncCachesAt(ctx, rd.Generation)
	} else {
		err = s.syncCaches(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	g, err := s.resolver.Grant(ctx, u.ID)
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

// SessionUserStore is a [Store] that can read what every authenticated
// request needs in one round trip. It is optional: [Service.Authenticate]
// uses it when the store has it, and reads one thing after the other
// otherwise. Nothing it returns is cached between requests, so that a
// logout, a password change or a disabled account elsewhere ends the
// session on its very next request.
type SessionUserStore interface {
	// SessionUser returns the session whose token hash is tokenHash, the
	// user it belongs to and the store's generation, all as they are at
	// one instant. It returns ErrNotFound when there is no such session.
	SessionUser(ctx context.Context, tokenHash []byte) (SessionRead, error)
}

// SessionRead is what [SessionUserStore.SessionUser] reads.
type SessionRead struct {
	Session Session
	// User is the session's user, or the zero User when it no longer
	// exists.
	User User
	// Generation is what the store's Generation method would return at
	// the same instant: the one counter of access control and parameters.
	Generation uint64
}

// sessionUser reads the session of th and, when the store can join them,
// its user and the generation; joined says whether it could.
func (s *Service) sessionUser(ctx context.Context, th []byte) (rd SessionRead,
	joined bool, err error) {
	if su, ok := s.store.(SessionUserStore); ok {
		rd, err = su.SessionUser(ctx, th)
		return rd, true, err
	}
	rd.Session, err = s.store.Session(ctx, th)
	return rd, false, err
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

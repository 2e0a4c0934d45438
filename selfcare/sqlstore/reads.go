package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

// This file keeps the reads every authenticated request makes as prepared
// statements on the read pool. Parsing and planning a statement costs
// SQLite about as much as running one of these single-row reads, and
// database/sql keeps a *sql.Stmt prepared on each connection it ran on, so
// after the first few requests only the run is paid.

var _ selfcare.SessionUserStore = (*Store)(nil)

// readStmts are the hot reads, prepared once on the read pool.
type readStmts struct {
	session, sessionUser, user, generation, forwarding, ownedForwarding, devices *sql.Stmt
}

// sessionColumns lists the sessions table in the order scanSession reads it.
const sessionColumns = `s.token_hash, s.user_id, s.created_at, s.authenticated_at,
	s.last_seen, s.remote_addr`

// scanSession reads sessionColumns followed by more, into x.
func scanSession(row scanner, x *selfcare.Session, more ...any) error {
	var created, auth, seen int64
	dest := append([]any{&x.TokenHash, &x.UserID, &created, &auth, &seen,
		&x.RemoteAddr}, more...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	x.CreatedAt, x.AuthenticatedAt, x.LastSeen =
		fromMicros(created), fromMicros(auth), fromMicros(seen)
	return nil
}

// prepareReads prepares the hot reads on r. The caller closes them with
// closeReads, also when prepareReads fails part of the way.
func (s *Store) prepareReads(ctx context.Context) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.reads.session, `SELECT ` + sessionColumns +
			` FROM sessions s WHERE s.token_hash = ?`},
		// The user's columns may be NULL only when the user is gone, which
		// the LEFT JOIN reports as a NULL id.
		{&s.reads.sessionUser, `SELECT ` + sessionColumns + `, u.id IS NOT NULL,
			COALESCE(u.id, ''), COALESCE(u.first_name, ''), COALESCE(u.last_name, ''),
			COALESCE(u.locale, ''), COALESCE(u.rank, 0), COALESCE(u.profile, ''),
			COALESCE(u.disabled, 0), COALESCE(u.password_hash, ''),
			COALESCE(u.password_changed_at, 0), COALESCE(u.must_change_password, 0),
			COALESCE(u.pin_hash, ''), COALESCE(u.pin_changed_at, 0),
			COALESCE(u.created_at, 0),
			(SELECT value FROM acl_generation WHERE id = 1)
			FROM sessions s LEFT JOIN users u ON u.id = s.user_id
			WHERE s.token_hash = ?`},
		{&s.reads.user, userColumns + ` WHERE id = ?`},
		{&s.reads.generation, `SELECT value FROM acl_generation WHERE id = 1`},
		{&s.reads.forwarding, `SELECT version, ` + forwardingColumns +
			` FROM line_forwarding WHERE extension = ?`},
		// One row when a device of the owner has the line, with the
		// line's forwarding or, when none is stored, version 0 and every
		// rule off; no row otherwise.
		{&s.reads.ownedForwarding, `SELECT COALESCE(f.version, 0), ` +
			ownedForwardingColumns + ` FROM (SELECT 1 FROM devices d
			JOIN device_lines l ON l.device = d.name
			WHERE d.owner = ? AND l.extension = ? LIMIT 1)
			LEFT JOIN line_forwarding f ON f.extension = ?`},
		{&s.reads.devices, deviceColumns + ` WHERE d.owner = ? ORDER BY d.name, l.position`},
	} {
		st, err := s.r.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = st
	}
	return nil
}

// closeReads closes the statements prepareReads made.
func (s *Store) closeReads() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.reads.session, s.reads.sessionUser, s.reads.user,
		s.reads.generation, s.reads.forwarding, s.reads.ownedForwarding,
		s.reads.devices} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// SessionUser implements [selfcare.SessionUserStore]: one statement, so
// one read transaction, where Session, User and Generation take three.
func (s *Store) SessionUser(ctx context.Context, tokenHash []byte) (selfcare.SessionRead,
	error) {
	if s.cache == nil {
		return s.sessionUser(ctx, tokenHash)
	}
	rd, at, ok := s.cache.session(tokenHash)
	if ok {
		return rd, nil
	}
	rd, err := s.sessionUser(ctx, tokenHash)
	if err == nil {
		s.cache.putSession(tokenHash, rd, at)
	}
	return rd, err
}

// sessionUser is SessionUser from the database.
func (s *Store) sessionUser(ctx context.Context, tokenHash []byte) (selfcare.SessionRead,
	error) {
	var (
		rd                     selfcare.SessionRead
		u                      = &rd.User
		found                  bool
		pwAt, pinAt, createdAt int64
		gen                    int64
	)
	err := scanSession(s.reads.sessionUser.QueryRowContext(ctx, tokenHash), &rd.Session,
		&found, &u.ID, &u.FirstName, &u.LastName, &u.Locale, &u.Rank, &u.Profile,
		&u.Disabled, &u.PasswordHash, &pwAt, &u.MustChangePassword,
		&u.PINHash, &pinAt, &createdAt, &gen)
	if errors.Is(err, sql.ErrNoRows) {
		err = selfcare.ErrNotFound
	}
	if err != nil {
		return selfcare.SessionRead{}, fmt.Errorf("session: %w", err)
	}
	rd.Generation = uint64(gen)
	if !found {
		rd.User = selfcare.User{}
		return rd, nil
	}
	u.PasswordChangedAt = fromMicros(pwAt)
	u.PINChangedAt = fromMicros(pinAt)
	u.CreatedAt = fromMicros(createdAt)
	return rd, nil
}

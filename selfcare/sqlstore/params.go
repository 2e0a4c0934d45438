package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// The parameters share the store's one generation with acl (see
// [Store.Generation]): UpdateParams and SetServers advance it with bump, in
// their own transaction, so every process that reads the file sees the
// change and its new generation together.

var _ selfcare.ParamStore = (*Store)(nil)

// ParamValues implements [params.ValueStore].
func (s *Store) ParamValues(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM param_values`)
	if err != nil {
		return nil, fmt.Errorf("parameter values: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("parameter values: %w", err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("parameter values: %w", err)
	}
	return out, nil
}

// Servers implements [params.ValueStore].
func (s *Store) Servers(ctx context.Context) ([]params.Server, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT name, publisher FROM cluster_servers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("servers: %w", err)
	}
	defer rows.Close()
	var out []params.Server
	for rows.Next() {
		var srv params.Server
		if err := rows.Scan(&srv.Name, &srv.Publisher); err != nil {
			return nil, fmt.Errorf("servers: %w", err)
		}
		out = append(out, srv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("servers: %w", err)
	}
	return out, nil
}

// UpdateParams implements [params.Store]. An empty plan changes nothing,
// the generation included.
func (s *Store) UpdateParams(ctx context.Context, gen uint64, changes []params.Change) error {
	if len(changes) == 0 {
		return nil
	}
	return s.write(ctx, "update parameters", func(tx *sql.Tx) error {
		if err := atGeneration(ctx, tx, gen); err != nil {
			return err
		}
		for _, c := range changes {
			var err error
			if c.Reset {
				_, err = tx.ExecContext(ctx, `DELETE FROM param_values WHERE key = ?`, c.Key)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO param_values (key, value)
					VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
					c.Key, c.New)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", c.Key, err)
			}
		}
		return bump(ctx, tx)
	})
}

// SetServers implements [params.Store].
func (s *Store) SetServers(ctx context.Context, gen uint64, servers []params.Server) error {
	return s.write(ctx, "set servers", func(tx *sql.Tx) error {
		if err := atGeneration(ctx, tx, gen); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cluster_servers`); err != nil {
			return err
		}
		for _, srv := range servers {
			_, err := tx.ExecContext(ctx,
				`INSERT INTO cluster_servers (name, publisher) VALUES (?, ?)`,
				srv.Name, srv.Publisher)
			if err != nil {
				return fmt.Errorf("server %q: %w", srv.Name, err)
			}
		}
		return bump(ctx, tx)
	})
}

// atGeneration returns params.ErrConflict unless the store's generation
// is gen. Called first in a write transaction, which BEGIN IMMEDIATE has
// made the only writer of the file, it holds until the commit.
func atGeneration(ctx context.Context, tx *sql.Tx, gen uint64) error {
	var cur uint64
	err := tx.QueryRowContext(ctx, `SELECT value FROM acl_generation WHERE id = 1`).Scan(&cur)
	if err != nil {
		return fmt.Errorf("generation: %w", err)
	}
	if cur != gen {
		return fmt.Errorf("generation %d, planned at %d: %w", cur, gen, params.ErrConflict)
	}
	return nil
}

// PutProfile implements [params.Store]. Names that differ only in case
// are compared in Go, as strings.EqualFold does, since SQLite's NOCASE
// folds ASCII only; the profiles are few, and the write transaction keeps
// a clashing name from slipping in between the check and the upsert.
func (s *Store) PutProfile(ctx context.Context, p params.UserProfile) (
	old params.UserProfile, replaced bool, err error) {
	err = s.write(ctx, fmt.Sprintf("put profile %q", p.Name), func(tx *sql.Tx) error {
		all, err := profiles(ctx, tx)
		if err != nil {
			return err
		}
		for _, q := range all {
			switch {
			case q.Name == p.Name:
				old, replaced = q, true
			case strings.EqualFold(q.Name, p.Name):
				return fmt.Errorf("profile %q: %w", q.Name, params.ErrExists)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO user_profiles
			(name, description, allow_em_max_login_time) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET description = excluded.description,
				allow_em_max_login_time = excluded.allow_em_max_login_time`,
			p.Name, p.Description, p.AllowEMMaxLoginTime)
		return err
	})
	if err != nil {
		return params.UserProfile{}, false, err
	}
	return old, replaced, nil
}

// DeleteProfile implements [params.Store]: a profile that a user holds is
// in use. The check and the delete share a write transaction, which
// AssignProfile's check also needs, so one cannot slip between them.
func (s *Store) DeleteProfile(ctx context.Context, name string) (params.UserProfile, error) {
	var old params.UserProfile
	err := s.write(ctx, fmt.Sprintf("delete profile %q", name), func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT name, description, allow_em_max_login_time
			FROM user_profiles WHERE name = ?`, name).Scan(
			&old.Name, &old.Description, &old.AllowEMMaxLoginTime)
		if errors.Is(err, sql.ErrNoRows) {
			return params.ErrNotFound
		}
		if err != nil {
			return err
		}
		var user string
		err = tx.QueryRowContext(ctx,
			`SELECT id FROM users WHERE profile = ? LIMIT 1`, name).Scan(&user)
		if err == nil {
			return fmt.Errorf("user %q: %w", user, params.ErrInUse)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM user_profiles WHERE name = ?`, name)
		return err
	})
	if err != nil {
		return params.UserProfile{}, err
	}
	return old, nil
}

// Profile implements [params.Store].
func (s *Store) Profile(ctx context.Context, name string) (params.UserProfile, error) {
	var p params.UserProfile
	err := s.r.QueryRowContext(ctx, `SELECT name, description, allow_em_max_login_time
		FROM user_profiles WHERE name = ?`, name).Scan(
		&p.Name, &p.Description, &p.AllowEMMaxLoginTime)
	if errors.Is(err, sql.ErrNoRows) {
		err = params.ErrNotFound
	}
	if err != nil {
		return params.UserProfile{}, fmt.Errorf("profile %q: %w", name, err)
	}
	return p, nil
}

// Profiles implements [params.Store]. Names are ordered by their bytes,
// as Go's strings compare, whatever the database's collation.
func (s *Store) Profiles(ctx context.Context) ([]params.UserProfile, error) {
	ps, err := profiles(ctx, s.r)
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	return ps, nil
}

// profiles reads every profile through q, a pool or a transaction.
func profiles(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]params.UserProfile, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, description, allow_em_max_login_time
		FROM user_profiles ORDER BY name COLLATE BINARY`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []params.UserProfile
	for rows.Next() {
		var p params.UserProfile
		if err := rows.Scan(&p.Name, &p.Description, &p.AllowEMMaxLoginTime); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AssignProfile implements [selfcare.ParamStore].
func (s *Store) AssignProfile(ctx context.Context, userID, profile string) (string, error) {
	var old string
	op := fmt.Sprintf("assign profile %q to %q", profile, userID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT profile FROM users WHERE id = ?`,
			userID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return selfcare.ErrNotFound
		}
		if err != nil {
			return err
		}
		if profile != "" {
			ok, err := exists(ctx, tx, `SELECT 1 FROM user_profiles WHERE name = ?`, profile)
			if err != nil {
				return err
			}
			if !ok {
				return params.ErrNotFound
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET profile = ? WHERE id = ?`,
			profile, userID)
		return err
	})
	if err != nil {
		return "", err
	}
	return old, nil
}

// EMLoginChoice implements [selfcare.ParamStore].
func (s *Store) EMLoginChoice(ctx context.Context, userID string) (string, int64, error) {
	var (
		c string
		v int64
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT em_login_choice, em_login_version FROM users WHERE id = ?`,
		userID).Scan(&c, &v)
	if errors.Is(err, sql.ErrNoRows) {
		err = selfcare.ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("login time of %q: %w", userID, err)
	}
	return c, v, nil
}

// SetEMLoginChoice implements [selfcare.ParamStore].
func (s *Store) SetEMLoginChoice(ctx context.Context, userID, choice string,
	version int64) (int64, error) {
	// One statement compares and sets, so two writers of one version
	// cannot both succeed.
	res, err := s.w.ExecContext(ctx, `UPDATE users SET em_login_choice = ?,
		em_login_version = em_login_version + 1
		WHERE id = ? AND em_login_version = ?`, choice, userID, version)
	err = oneRow(res, err, selfcare.ErrVersionConflict)
	if errors.Is(err, selfcare.ErrVersionConflict) {
		// No row changed: the user is missing, or the version moved on.
		if _, _, rerr := s.EMLoginChoice(ctx, userID); rerr != nil {
			err = rerr
		}
	}
	if err != nil {
		return 0, fmt.Errorf("set login time of %q: %w", userID, err)
	}
	return version + 1, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// userColumns lists the users table in the order scanUser reads it.
const userColumns = `SELECT id, first_name, last_name, locale, rank, profile, disabled,
	password_hash, password_changed_at, must_change_password,
	pin_hash, pin_changed_at, created_at FROM users`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanUser reads one row of userColumns.
func scanUser(row scanner) (selfcare.User, error) {
	var (
		u                      selfcare.User
		pwAt, pinAt, createdAt int64
	)
	err := row.Scan(&u.ID, &u.FirstName, &u.LastName, &u.Locale, &u.Rank, &u.Profile,
		&u.Disabled, &u.PasswordHash, &pwAt, &u.MustChangePassword,
		&u.PINHash, &pinAt, &createdAt)
	u.PasswordChangedAt = fromMicros(pwAt)
	u.PINChangedAt = fromMicros(pinAt)
	u.CreatedAt = fromMicros(createdAt)
	return u, err
}

// CreateUser implements [selfcare.UserStore].
func (s *Store) CreateUser(ctx context.Context, u selfcare.User) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO users (id, first_name, last_name,
		locale, rank, profile, disabled, password_hash, password_changed_at,
		must_change_password, pin_hash, pin_changed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.FirstName, u.LastName, u.Locale, u.Rank, u.Profile, u.Disabled,
		u.PasswordHash, micros(u.PasswordChangedAt), u.MustChangePassword,
		u.PINHash, micros(u.PINChangedAt), micros(u.CreatedAt))
	if err := oneRow(res, err, selfcare.ErrExists); err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, err)
	}
	return nil
}

// oneRow turns the result of a statement that should touch one row into
// an error: err itself, or none when it touched a row, or missing.
func oneRow(res sql.Result, err, missing error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return missing
	}
	return nil
}

// User implements [selfcare.UserStore].
func (s *Store) User(ctx context.Context, id string) (selfcare.User, error) {
	u, err := scanUser(s.reads.user.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = selfcare.ErrNotFound
	}
	if err != nil {
		return selfcare.User{}, fmt.Errorf("user %q: %w", id, err)
	}
	return u, nil
}

// Users implements [selfcare.UserStore].
func (s *Store) Users(ctx context.Context) ([]selfcare.User, error) {
	rows, err := s.r.QueryContext(ctx, userColumns+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []selfcare.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return out, nil
}

// UpdateProfile implements [selfcare.UserStore].
func (s *Store) UpdateProfile(ctx context.Context, u selfcare.User) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET first_name = ?, last_name = ?,
		locale = ?, rank = ?, profile = ?, must_change_password = ? WHERE id = ?`,
		u.FirstName, u.LastName, u.Locale, u.Rank, u.Profile, u.MustChangePassword, u.ID)
	if err := oneRow(res, err, selfcare.ErrNotFound); err != nil {
		return fmt.Errorf("update user %q: %w", u.ID, err)
	}
	return nil
}

// SetPassword implements [selfcare.UserStore].
func (s *Store) SetPassword(ctx context.Context, userID, hash string, at time.Time,
	keep int, mustChange bool, keepSession []byte) error {
	op := fmt.Sprintf("set password of %q", userID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		var old string
		err := tx.QueryRowContext(ctx,
			`SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return selfcare.ErrNotFound
		}
		if err != nil {
			return err
		}

		// An empty hash means no password was set: nothing to remember.
		if old != "" {
			_, err := tx.ExecContext(ctx,
				`INSERT INTO password_history (user_id, hash) VALUES (?, ?)`, userID, old)
			if err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM password_history WHERE user_id = ?1
			AND id NOT IN (SELECT id FROM password_history WHERE user_id = ?1
				ORDER BY id DESC LIMIT ?2)`, userID, max(keep, 0))
		if err != nil {
			return err
		}

		_, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = ?,
			password_changed_at = ?, must_change_password = ? WHERE id = ?`,
			hash, micros(at), mustChange, userID)
		if err != nil {
			return err
		}

		// A NULL never equals a hash, so with nothing to keep every
		// session of the user ends.
		var kept any
		if len(keepSession) > 0 {
			kept = keepSession
		}
		_, err = tx.ExecContext(ctx,
			`DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?`, userID, kept)
		return err
	})
}

// PasswordHistory implements [selfcare.UserStore]. An unknown user has no
// history.
func (s *Store) PasswordHistory(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT hash FROM password_history WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("password history of %q: %w", userID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("password history of %q: %w", userID, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("password history of %q: %w", userID, err)
	}
	return out, nil
}

// SetPIN implements [selfcare.UserStore].
func (s *Store) SetPIN(ctx context.Context, userID, hash string, at time.Time) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE users SET pin_hash = ?, pin_changed_at = ? WHERE id = ?`,
		hash, micros(at), userID)
	if err := oneRow(res, err, selfcare.ErrNotFound); err != nil {
		return fmt.Errorf("set PIN of %q: %w", userID, err)
	}
	return nil
}

// SetDisabled implements [selfcare.UserStore].
func (s *Store) SetDisabled(ctx context.Context, userID string, disabled bool) error {
	op := fmt.Sprintf("set disabled of %q", userID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET disabled = ? WHERE id = ?`, disabled, userID)
		if err := oneRow(res, err, selfcare.ErrNotFound); err != nil {
			return err
		}
		if disabled {
			_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		}
		return err
	})
}

// PutDevice implements [selfcare.DeviceStore].
func (s *Store) PutDevice(ctx context.Context, d selfcare.Device) error {
	return s.write(ctx, fmt.Sprintf("put device %q", d.Name), func(tx *sql.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = ?`, d.Owner)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("owner %q: %w", d.Owner, selfcare.ErrNotFound)
		}

		_, err = tx.ExecContext(ctx, `INSERT INTO devices
			(name, owner, model, admin_description, description) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, model = excluded.model,
				admin_description = excluded.admin_description,
				description = excluded.description`,
			d.Name, d.Owner, d.Model, d.AdminDescription, d.Description)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM device_lines WHERE device = ?`, d.Name)
		if err != nil {
			return err
		}
		for i, l := range d.Lines {
			_, err := tx.ExecContext(ctx, `INSERT INTO device_lines
				(device, position, line_index, extension, label) VALUES (?, ?, ?, ?, ?)`,
				d.Name, i, l.Index, l.Extension, l.Label)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// deviceColumns selects a device joined with its lines, one row per line
// and one row with NULLs for a device without any.
const deviceColumns = `SELECT d.name, d.owner, d.model, d.admin_description,
	d.description, l.line_index, l.extension, l.label
	FROM devices d LEFT JOIN device_lines l ON l.device = d.name`

// scanDevices folds rows of deviceColumns, ordered by device and position,
// into devices.
func scanDevices(rows *sql.Rows) ([]selfcare.Device, error) {
	defer rows.Close()
	var out []selfcare.Device
	for rows.Next() {
		var (
			d         selfcare.Device
			index     sql.NullInt64
			ext, labl sql.NullString
		)
		err := rows.Scan(&d.Name, &d.Owner, &d.Model, &d.AdminDescription, &d.Description,
			&index, &ext, &labl)
		if err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].Name != d.Name {
			out = append(out, d)
		}
		if index.Valid {
			last := &out[len(out)-1]
			last.Lines = append(last.Lines, selfcare.Line{
				Index: int(index.Int64), Extension: ext.String, Label: labl.String,
			})
		}
	}
	return out, rows.Err()
}

// Device implements [selfcare.DeviceStore].
func (s *Store) Device(ctx context.Context, name string) (selfcare.Device, error) {
	rows, err := s.r.QueryContext(ctx, deviceColumns+` WHERE d.name = ? ORDER BY l.position`,
		name)
	if err != nil {
		return selfcare.Device{}, fmt.Errorf("device %q: %w", name, err)
	}
	ds, err := scanDevices(rows)
	if err != nil {
		return selfcare.Device{}, fmt.Errorf("device %q: %w", name, err)
	}
	if len(ds) == 0 {
		return selfcare.Device{}, fmt.Errorf("device %q: %w", name, selfcare.ErrNotFound)
	}
	return ds[0], nil
}

// UserDevices implements [selfcare.DeviceStore]. A user without devices,
// known or not, gets none and no error.
func (s *Store) UserDevices(ctx context.Context, userID string) ([]selfcare.Device, error) {
	rows, err := s.reads.devices.QueryContext(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("devices of %q: %w", userID, err)
	}
	ds, err := scanDevices(rows)
	if err != nil {
		return nil, fmt.Errorf("devices of %q: %w", userID, err)
	}
	return ds, nil
}

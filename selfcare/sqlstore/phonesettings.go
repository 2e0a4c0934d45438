package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var (
	_ selfcare.PhoneSettingsStore = (*Store)(nil)
	_ selfcare.LanguageStore      = (*Store)(nil)
)

// PhoneSettings implements [selfcare.PhoneSettingsStore]. The join with
// devices makes a row of a former owner read as none even if the trigger
// of migration 0008 had not yet dropped it.
func (s *Store) PhoneSettings(ctx context.Context, device, owner string) (
	selfcare.PhoneSettings, error) {
	ps := selfcare.PhoneSettings{Device: device, Owner: owner}
	err := s.r.QueryRowContext(ctx, `SELECT p.version, p.description, p.phone_locale
		FROM phone_settings p JOIN devices d ON d.name = p.device AND d.owner = p.owner
		WHERE p.device = ? AND p.owner = ?`, device, owner).Scan(&ps.Version,
		&ps.Description, &ps.PhoneLocale)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ps, nil
	case err != nil:
		return selfcare.PhoneSettings{}, fmt.Errorf("phone settings of %q: %w", device, err)
	}
	return ps, nil
}

// UserPhoneSettings implements [selfcare.PhoneSettingsStore].
func (s *Store) UserPhoneSettings(ctx context.Context, userID string) (
	[]selfcare.PhoneSettings, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT p.device, p.version, p.description,
		p.phone_locale FROM phone_settings p
		JOIN devices d ON d.name = p.device AND d.owner = p.owner
		WHERE p.owner = ? ORDER BY p.device`, userID)
	if err != nil {
		return nil, fmt.Errorf("phone settings of %q: %w", userID, err)
	}
	defer rows.Close()
	var out []selfcare.PhoneSettings
	for rows.Next() {
		ps := selfcare.PhoneSettings{Owner: userID}
		if err := rows.Scan(&ps.Device, &ps.Version, &ps.Description,
			&ps.PhoneLocale); err != nil {
			return nil, fmt.Errorf("phone settings of %q: %w", userID, err)
		}
		out = append(out, ps)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("phone settings of %q: %w", userID, err)
	}
	return out, nil
}

// UpdatePhoneSettings implements [selfcare.PhoneSettingsStore].
func (s *Store) UpdatePhoneSettings(ctx context.Context, ps selfcare.PhoneSettings) (
	selfcare.PhoneSettings, error) {
	op := fmt.Sprintf("phone settings of %q", ps.Device)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		// The owner is read in the transaction that writes, so that a
		// phone handed over since the caller's check is refused.
		ok, err := exists(ctx, tx, `SELECT 1 FROM devices WHERE name = ? AND owner = ?`,
			ps.Device, ps.Owner)
		if err != nil {
			return err
		}
		if !ok {
			return selfcare.ErrNotFound
		}
		var stored int64
		err = tx.QueryRowContext(ctx, `SELECT version FROM phone_settings
			WHERE device = ? AND owner = ?`, ps.Device, ps.Owner).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != ps.Version {
			return fmt.Errorf("version %d, stored %d: %w", ps.Version, stored,
				selfcare.ErrVersionConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO phone_settings
			(device, owner, version, description, phone_locale) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (device) DO UPDATE SET owner = excluded.owner,
			version = excluded.version, description = excluded.description,
			phone_locale = excluded.phone_locale`,
			ps.Device, ps.Owner, ps.Version+1, ps.Description, ps.PhoneLocale)
		return err
	})
	if err != nil {
		return selfcare.PhoneSettings{}, err
	}
	ps.Version++
	return ps, nil
}

// UserLanguage implements [selfcare.LanguageStore].
func (s *Store) UserLanguage(ctx context.Context, userID string) (selfcare.UserLanguage,
	error) {
	l := selfcare.UserLanguage{UserID: userID}
	err := s.r.QueryRowContext(ctx, `SELECT u.locale, COALESCE(l.version, 0)
		FROM users u LEFT JOIN user_language l ON l.user_id = u.id WHERE u.id = ?`,
		userID).Scan(&l.Locale, &l.Version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.UserLanguage{}, fmt.Errorf("language of %q: %w", userID,
			selfcare.ErrNotFound)
	case err != nil:
		return selfcare.UserLanguage{}, fmt.Errorf("language of %q: %w", userID, err)
	}
	return l, nil
}

// UpdateUserLanguage implements [selfcare.LanguageStore].
func (s *Store) UpdateUserLanguage(ctx context.Context, l selfcare.UserLanguage) (
	selfcare.UserLanguage, error) {
	op := fmt.Sprintf("language of %q", l.UserID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(l.version, 0)
			FROM users u LEFT JOIN user_language l ON l.user_id = u.id WHERE u.id = ?`,
			l.UserID).Scan(&stored)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return selfcare.ErrNotFound
		case err != nil:
			return err
		}
		if stored != l.Version {
			return fmt.Errorf("version %d, stored %d: %w", l.Version, stored,
				selfcare.ErrVersionConflict)
		}
		// The trigger of migration 0008 counts a change of locale; the
		// version is set here as well, so that a save of the same locale
		// counts too and the result does not depend on the trigger.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET locale = ? WHERE id = ?`,
			l.Locale, l.UserID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO user_language (user_id, version)
			VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET version = excluded.version`,
			l.UserID, l.Version+1)
		return err
	})
	if err != nil {
		return selfcare.UserLanguage{}, err
	}
	l.Version++
	return l, nil
}

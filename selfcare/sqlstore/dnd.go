package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.DNDStore = (*Store)(nil)

// DoNotDisturb implements [selfcare.DNDStore].
func (s *Store) DoNotDisturb(ctx context.Context, userID string) (selfcare.DoNotDisturb,
	error) {
	d := selfcare.DoNotDisturb{UserID: userID}
	err := s.r.QueryRowContext(ctx, `SELECT version, enabled, option, alert
		FROM user_dnd WHERE user_id = ?`, userID).Scan(&d.Version, &d.Enabled,
		&d.Option, &d.Alert)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.DefaultDoNotDisturb(userID), nil
	case err != nil:
		return selfcare.DoNotDisturb{}, fmt.Errorf("do not disturb of %q: %w", userID, err)
	}
	return d, nil
}

// UpdateDoNotDisturb implements [selfcare.DNDStore].
func (s *Store) UpdateDoNotDisturb(ctx context.Context, d selfcare.DoNotDisturb) (
	selfcare.DoNotDisturb, error) {
	op := fmt.Sprintf("do not disturb of %q", d.UserID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM user_dnd
			WHERE user_id = ?`, d.UserID).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != d.Version {
			return fmt.Errorf("version %d, stored %d: %w", d.Version, stored,
				selfcare.ErrVersionConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO user_dnd
			(user_id, version, enabled, option, alert) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET version = excluded.version,
			enabled = excluded.enabled, option = excluded.option,
			alert = excluded.alert`,
			d.UserID, d.Version+1, d.Enabled, int(d.Option), int(d.Alert))
		return err
	})
	if err != nil {
		return selfcare.DoNotDisturb{}, err
	}
	d.Version++
	return d, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.ConferencingStore = (*Store)(nil)

// Conferencing implements [selfcare.ConferencingStore].
func (s *Store) Conferencing(ctx context.Context, userID string) (selfcare.Conferencing,
	error) {
	c := selfcare.Conferencing{UserID: userID}
	err := s.r.QueryRowContext(ctx, `SELECT version, enabled, access_code
		FROM user_conferencing WHERE user_id = ?`, userID).Scan(&c.Version, &c.Enabled,
		&c.AccessCode)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.DefaultConferencing(userID), nil
	case err != nil:
		return selfcare.Conferencing{}, fmt.Errorf("conferencing of %q: %w", userID, err)
	}
	return c, nil
}

// UpdateConferencing implements [selfcare.ConferencingStore].
func (s *Store) UpdateConferencing(ctx context.Context, c selfcare.Conferencing) (
	selfcare.Conferencing, error) {
	op := fmt.Sprintf("conferencing of %q", c.UserID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM user_conferencing
			WHERE user_id = ?`, c.UserID).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != c.Version {
			return fmt.Errorf("version %d, stored %d: %w", c.Version, stored,
				selfcare.ErrVersionConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO user_conferencing
			(user_id, version, enabled, access_code) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET version = excluded.version,
			enabled = excluded.enabled, access_code = excluded.access_code`,
			c.UserID, c.Version+1, c.Enabled, c.AccessCode)
		return err
	})
	if err != nil {
		return selfcare.Conferencing{}, err
	}
	c.Version++
	return c, nil
}

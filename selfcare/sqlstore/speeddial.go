package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.SpeedDialStore = (*Store)(nil)

// SpeedDials implements [selfcare.SpeedDialStore]. The version and the
// entries are read in one statement each from the read pool; a save
// between them is caught by the version on the next update.
func (s *Store) SpeedDials(ctx context.Context, device string) (selfcare.SpeedDials,
	error) {
	l := selfcare.SpeedDials{Device: device}
	err := s.r.QueryRowContext(ctx, `SELECT version FROM speed_dial_lists
		WHERE device = ?`, device).Scan(&l.Version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return l, nil
	case err != nil:
		return selfcare.SpeedDials{}, fmt.Errorf("speed dials of %q: %w", device, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT position, destination, label
		FROM speed_dials WHERE device = ? ORDER BY position`, device)
	if err != nil {
		return selfcare.SpeedDials{}, fmt.Errorf("speed dials of %q: %w", device, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e selfcare.SpeedDial
		if err := rows.Scan(&e.Position, &e.Destination, &e.Label); err != nil {
			return selfcare.SpeedDials{}, fmt.Errorf("speed dials of %q: %w", device, err)
		}
		l.Entries = append(l.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return selfcare.SpeedDials{}, fmt.Errorf("speed dials of %q: %w", device, err)
	}
	return l, nil
}

// UpdateSpeedDials implements [selfcare.SpeedDialStore]: the version is
// compared and the list replaced in one write transaction.
func (s *Store) UpdateSpeedDials(ctx context.Context, l selfcare.SpeedDials) (
	selfcare.SpeedDials, error) {
	op := fmt.Sprintf("speed dials of %q", l.Device)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM speed_dial_lists
			WHERE device = ?`, l.Device).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != l.Version {
			return fmt.Errorf("version %d, stored %d: %w", l.Version, stored,
				selfcare.ErrVersionConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO speed_dial_lists (device, version)
			VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET version = excluded.version`,
			l.Device, l.Version+1); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM speed_dials WHERE device = ?`,
			l.Device); err != nil {
			return err
		}
		for _, e := range l.Entries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO speed_dials
				(device, position, destination, label) VALUES (?, ?, ?, ?)`,
				l.Device, e.Position, e.Destination, e.Label); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return selfcare.SpeedDials{}, err
	}
	// What was stored, ordered as a read returns it; not read back, since
	// another save may already have followed this one.
	l.Entries = slices.Clone(l.Entries)
	slices.SortFunc(l.Entries, func(a, b selfcare.SpeedDial) int {
		return a.Position - b.Position
	})
	l.Version++
	return l, nil
}

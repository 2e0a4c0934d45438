package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.LineSettingsStore = (*Store)(nil)

// lineSettingsColumns are the columns that scanLineSettings reads, in
// its order.
const lineSettingsColumns = `line_index, version, owner, extension, ring_idle,
	ring_on_call, label, mwi_visual, mwi_audible, log_missed_calls`

// scanLineSettings reads one row of lineSettingsColumns into l.
func scanLineSettings(row interface{ Scan(...any) error }, l *selfcare.LineSettings) error {
	return row.Scan(&l.Index, &l.Version, &l.Owner, &l.Extension, &l.RingIdle,
		&l.RingOnCall, &l.Label, &l.MWIVisual, &l.MWIAudible, &l.LogMissedCalls)
}

// LineSettings implements [selfcare.LineSettingsStore].
func (s *Store) LineSettings(ctx context.Context, device string, index int) (
	selfcare.LineSettings, error) {
	l := selfcare.LineSettings{Device: device}
	err := scanLineSettings(s.r.QueryRowContext(ctx, `SELECT `+lineSettingsColumns+`
		FROM line_settings WHERE device = ? AND line_index = ?`, device, index), &l)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.DefaultLineSettings(device, index), nil
	case err != nil:
		return selfcare.LineSettings{}, fmt.Errorf("line settings of %q line %d: %w",
			device, index, err)
	}
	return l, nil
}

// DeviceLineSettings implements [selfcare.LineSettingsStore].
func (s *Store) DeviceLineSettings(ctx context.Context, device string) (
	[]selfcare.LineSettings, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+lineSettingsColumns+`
		FROM line_settings WHERE device = ? ORDER BY line_index`, device)
	if err != nil {
		return nil, fmt.Errorf("line settings of %q: %w", device, err)
	}
	defer rows.Close()
	var out []selfcare.LineSettings
	for rows.Next() {
		l := selfcare.LineSettings{Device: device}
		if err := scanLineSettings(rows, &l); err != nil {
			return nil, fmt.Errorf("line settings of %q: %w", device, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("line settings of %q: %w", device, err)
	}
	return out, nil
}

// UpdateLineSettings implements [selfcare.LineSettingsStore]: the version
// is compared and the row written in one write transaction.
func (s *Store) UpdateLineSettings(ctx context.Context, l selfcare.LineSettings) (
	selfcare.LineSettings, error) {
	op := fmt.Sprintf("line settings of %q line %d", l.Device, l.Index)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM line_settings
			WHERE device = ? AND line_index = ?`, l.Device, l.Index).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != l.Version {
			return fmt.Errorf("version %d, stored %d: %w", l.Version, stored,
				selfcare.ErrVersionConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO line_settings (device, line_index,
			version, owner, extension, ring_idle, ring_on_call, label, mwi_visual,
			mwi_audible, log_missed_calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (device, line_index) DO UPDATE SET version = excluded.version,
			owner = excluded.owner, extension = excluded.extension,
			ring_idle = excluded.ring_idle, ring_on_call = excluded.ring_on_call,
			label = excluded.label, mwi_visual = excluded.mwi_visual,
			mwi_audible = excluded.mwi_audible,
			log_missed_calls = excluded.log_missed_calls`,
			l.Device, l.Index, l.Version+1, l.Owner, l.Extension, int(l.RingIdle),
			int(l.RingOnCall), l.Label, int(l.MWIVisual), int(l.MWIAudible),
			l.LogMissedCalls)
		return err
	})
	if err != nil {
		return selfcare.LineSettings{}, err
	}
	l.Version++
	return l, nil
}

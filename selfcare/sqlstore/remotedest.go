package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.RemoteDestinationStore = (*Store)(nil)

// rdColumns lists remote_destinations in the order scanRD reads them.
const rdColumns = `id, user_id, version, number, description, single_number_reach,
	move_to_mobile, delay_before_ringing, answer_too_soon, answer_too_late,
	voicemail_avoidance, schedule, time_zone`

// scanRD reads one row of rdColumns.
func scanRD(row scanner) (selfcare.RemoteDestination, error) {
	var (
		d     selfcare.RemoteDestination
		sched string
	)
	err := row.Scan(&d.ID, &d.UserID, &d.Version, &d.Number, &d.Description,
		&d.SingleNumberReach, &d.MoveToMobile, &d.DelayBeforeRinging, &d.AnswerTooSoon,
		&d.AnswerTooLate, &d.VoicemailAvoidance, &sched, &d.TimeZone)
	if err != nil {
		return selfcare.RemoteDestination{}, err
	}
	if d.Schedule, err = decodeSchedule(sched); err != nil {
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w",
			d.ID, err)
	}
	return d, nil
}

// encodeSchedule writes rows as "day start end" joined by ";". The
// service has checked the rows, so no field holds a space or a ";".
func encodeSchedule(rows []selfcare.ScheduleRow) string {
	parts := make([]string, 0, len(rows))
	for _, r := range rows {
		parts = append(parts, strconv.Itoa(r.Day)+" "+r.Start+" "+r.End)
	}
	return strings.Join(parts, ";")
}

// decodeSchedule reads what encodeSchedule wrote.
func decodeSchedule(s string) ([]selfcare.ScheduleRow, error) {
	if s == "" {
		return nil, nil
	}
	var rows []selfcare.ScheduleRow
	for part := range strings.SplitSeq(s, ";") {
		f := strings.Fields(part)
		if len(f) != 3 {
			return nil, fmt.Errorf("malformed schedule row %q", part)
		}
		day, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("malformed schedule row %q", part)
		}
		rows = append(rows, selfcare.ScheduleRow{Day: day, Start: f[1], End: f[2]})
	}
	return rows, nil
}

// RemoteDestinations implements [selfcare.RemoteDestinationStore].
func (s *Store) RemoteDestinations(ctx context.Context, userID string) (
	[]selfcare.RemoteDestination, error) {
	out, err := readAll(ctx, s.r, scanRD, `SELECT `+rdColumns+`
		FROM remote_destinations WHERE user_id = ? ORDER BY seq`, userID)
	if err != nil {
		return nil, fmt.Errorf("remote destinations of %q: %w", userID, err)
	}
	return out, nil
}

// RemoteDestination implements [selfcare.RemoteDestinationStore].
func (s *Store) RemoteDestination(ctx context.Context, userID, id string) (
	selfcare.RemoteDestination, error) {
	d, err := scanRD(s.r.QueryRowContext(ctx, `SELECT `+rdColumns+`
		FROM remote_destinations WHERE user_id = ? AND id = ?`, userID, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w", id,
			selfcare.ErrNotFound)
	case err != nil:
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w", id,
			err)
	}
	return d, nil
}

// numberTaken reports whether another of the user's destinations than id
// has number.
func numberTaken(ctx context.Context, tx *sql.Tx, userID, id, number string) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM remote_destinations
		WHERE user_id = ? AND number = ? AND id <> ?`, userID, number, id).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%q: %w", number, selfcare.ErrDuplicateRemoteDestination)
	}
	return nil
}

// CreateRemoteDestination implements [selfcare.RemoteDestinationStore].
// The count and the insert share one write transaction, which the
// writer's immediate locking makes exclusive, so concurrent creations
// cannot pass the limit together.
func (s *Store) CreateRemoteDestination(ctx context.Context, d selfcare.RemoteDestination,
	limit int) (selfcare.RemoteDestination, error) {
	op := fmt.Sprintf("remote destinations of %q", d.UserID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM remote_destinations
			WHERE user_id = ?`, d.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return &selfcare.RemoteDestinationLimitError{Limit: limit}
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM remote_destinations
			WHERE id = ?`, d.ID).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return fmt.Errorf("ID %q: %w", d.ID, selfcare.ErrExists)
		}
		if err := numberTaken(ctx, tx, d.UserID, d.ID, d.Number); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_destinations (`+rdColumns+`)
			VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.UserID, d.Number,
			d.Description, d.SingleNumberReach, d.MoveToMobile, int(d.DelayBeforeRinging),
			int(d.AnswerTooSoon), int(d.AnswerTooLate), int(d.VoicemailAvoidance),
			encodeSchedule(d.Schedule), d.TimeZone)
		return err
	})
	if err != nil {
		return selfcare.RemoteDestination{}, err
	}
	d.Version = 1
	d.Schedule = cloneRows(d.Schedule)
	return d, nil
}

func cloneRows(rows []selfcare.ScheduleRow) []selfcare.ScheduleRow {
	if len(rows) == 0 {
		return nil
	}
	return append([]selfcare.ScheduleRow(nil), rows...)
}

// UpdateRemoteDestination implements [selfcare.RemoteDestinationStore].
func (s *Store) UpdateRemoteDestination(ctx context.Context, d selfcare.RemoteDestination) (
	selfcare.RemoteDestination, error) {
	op := fmt.Sprintf("remote destination %q", d.ID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		if err := storedVersion(ctx, tx, d.UserID, d.ID, d.Version); err != nil {
			return err
		}
		if err := numberTaken(ctx, tx, d.UserID, d.ID, d.Number); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE remote_destinations SET version = ?,
			number = ?, description = ?, single_number_reach = ?, move_to_mobile = ?,
			delay_before_ringing = ?, answer_too_soon = ?, answer_too_late = ?,
			voicemail_avoidance = ?, schedule = ?, time_zone = ?
			WHERE user_id = ? AND id = ?`, d.Version+1, d.Number, d.Description,
			d.SingleNumberReach, d.MoveToMobile, int(d.DelayBeforeRinging),
			int(d.AnswerTooSoon), int(d.AnswerTooLate), int(d.VoicemailAvoidance),
			encodeSchedule(d.Schedule), d.TimeZone, d.UserID, d.ID)
		return err
	})
	if err != nil {
		return selfcare.RemoteDestination{}, err
	}
	d.Version++
	d.Schedule = cloneRows(d.Schedule)
	return d, nil
}

// storedVersion checks, inside tx, that the user's destination id exists
// at version.
func storedVersion(ctx context.Context, tx *sql.Tx, userID, id string,
	version int64) error {
	return checkVersion(ctx, tx, version, `SELECT version FROM remote_destinations
		WHERE user_id = ? AND id = ?`, userID, id)
}

// DeleteRemoteDestination implements [selfcare.RemoteDestinationStore].
func (s *Store) DeleteRemoteDestination(ctx context.Context, userID, id string,
	version int64) error {
	return s.write(ctx, fmt.Sprintf("remote destination %q", id), func(tx *sql.Tx) error {
		if err := storedVersion(ctx, tx, userID, id, version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM remote_destinations
			WHERE user_id = ? AND id = ?`, userID, id)
		return err
	})
}

// RemoteDestinationLimit implements [selfcare.RemoteDestinationStore].
func (s *Store) RemoteDestinationLimit(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT max FROM remote_destination_limits
		WHERE user_id = ?`, userID).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return -1, nil
	case err != nil:
		return 0, fmt.Errorf("remote destination limit of %q: %w", userID, err)
	}
	return n, nil
}

// SetRemoteDestinationLimit implements [selfcare.RemoteDestinationStore].
func (s *Store) SetRemoteDestinationLimit(ctx context.Context, userID string,
	limit int) error {
	op := fmt.Sprintf("remote destination limit of %q", userID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		if limit < 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM remote_destination_limits
				WHERE user_id = ?`, userID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_destination_limits
			(user_id, max) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET max = excluded.max`, userID, limit)
		return err
	})
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ucselfcare/portal/selfcare"
)

var (
	_ selfcare.ForwardingStore      = (*Store)(nil)
	_ selfcare.OwnedForwardingStore = (*Store)(nil)
)

// forwardingColumns lists the rules of line_forwarding in the order of
// selfcare.ForwardKinds, two columns per rule.
const forwardingColumns = `all_voicemail, all_destination,
	busy_internal_voicemail, busy_internal_destination,
	busy_external_voicemail, busy_external_destination,
	no_answer_internal_voicemail, no_answer_internal_destination,
	no_answer_external_voicemail, no_answer_external_destination`

// ownedForwardingColumns is forwardingColumns of the table f, each with
// the value of a rule that is off when f has no row.
var ownedForwardingColumns = func() string {
	var cols []string
	for _, c := range strings.Split(forwardingColumns, ",") {
		c = strings.TrimSpace(c)
		zero := "''"
		if strings.HasSuffix(c, "_voicemail") {
			zero = "0"
		}
		cols = append(cols, "COALESCE(f."+c+", "+zero+")")
	}
	return strings.Join(cols, ", ")
}()

// scanForwarding reads version and forwardingColumns into f.
func scanForwarding(row scanner, f *selfcare.CallForwarding) error {
	dest := []any{&f.Version}
	for _, k := range selfcare.ForwardKinds() {
		dest = append(dest, &f.Rules[k].Voicemail, &f.Rules[k].Destination)
	}
	return row.Scan(dest...)
}

// LineForwarding implements [selfcare.ForwardingStore].
func (s *Store) LineForwarding(ctx context.Context, ext string) (selfcare.CallForwarding,
	error) {
	f := selfcare.CallForwarding{Extension: ext}
	err := scanForwarding(s.reads.forwarding.QueryRowContext(ctx, ext), &f)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.CallForwarding{Extension: ext}, nil
	case err != nil:
		return selfcare.CallForwarding{}, fmt.Errorf("forwarding of %q: %w", ext, err)
	}
	return f, nil
}

// OwnedLineForwarding implements [selfcare.OwnedForwardingStore] in one
// statement, so one read transaction.
func (s *Store) OwnedLineForwarding(ctx context.Context, userID, ext string) (
	selfcare.CallForwarding, error) {
	if s.cache == nil {
		return s.ownedLineForwarding(ctx, userID, ext)
	}
	k := ownedKey{userID, ext}
	f, at, ok := s.cache.forwarding(k)
	if ok {
		return f, nil
	}
	f, err := s.ownedLineForwarding(ctx, userID, ext)
	if err == nil {
		s.cache.putForwarding(k, f, at)
	}
	return f, err
}

// ownedLineForwarding is OwnedLineForwarding from the database.
func (s *Store) ownedLineForwarding(ctx context.Context, userID, ext string) (
	selfcare.CallForwarding, error) {
	f := selfcare.CallForwarding{Extension: ext}
	err := scanForwarding(s.reads.ownedForwarding.QueryRowContext(ctx, userID, ext, ext), &f)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.CallForwarding{}, fmt.Errorf("line %q of %q: %w", ext, userID,
			selfcare.ErrNotFound)
	case err != nil:
		return selfcare.CallForwarding{}, fmt.Errorf("forwarding of %q: %w", ext, err)
	}
	return f, nil
}

// UpdateLineForwarding implements [selfcare.ForwardingStore]. The write
// transaction begins IMMEDIATE, so check sees the targets that no other
// writer can change before the commit.
func (s *Store) UpdateLineForwarding(ctx context.Context, f selfcare.CallForwarding,
	check func(selfcare.ForwardTable) error) (selfcare.CallForwarding, error) {
	op := fmt.Sprintf("forwarding of %q", f.Extension)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM line_forwarding
			WHERE extension = ?`, f.Extension).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != f.Version {
			return fmt.Errorf("version %d, stored %d: %w", f.Version, stored,
				selfcare.ErrVersionConflict)
		}
		if check != nil {
			t, err := forwardTable(ctx, tx)
			if err != nil {
				return err
			}
			if err := check(t); err != nil {
				return err
			}
		}

		args := []any{f.Extension, f.Version + 1}
		for _, k := range selfcare.ForwardKinds() {
			args = append(args, f.Rules[k].Voicemail, f.Rules[k].Destination)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO line_forwarding (extension, version, `+
			forwardingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (extension) DO UPDATE SET version = excluded.version,
			all_voicemail = excluded.all_voicemail,
			all_destination = excluded.all_destination,
			busy_internal_voicemail = excluded.busy_internal_voicemail,
			busy_internal_destination = excluded.busy_internal_destination,
			busy_external_voicemail = excluded.busy_external_voicemail,
			busy_external_destination = excluded.busy_external_destination,
			no_answer_internal_voicemail = excluded.no_answer_internal_voicemail,
			no_answer_internal_destination = excluded.no_answer_internal_destination,
			no_answer_external_voicemail = excluded.no_answer_external_voicemail,
			no_answer_external_destination = excluded.no_answer_external_destination`,
			args...)
		return err
	})
	if err != nil {
		return selfcare.CallForwarding{}, err
	}
	f.Version++
	return f, nil
}

// forwardTable reads every Call Forward All target that is a number or
// URI, voicemail winning, inside tx.
func forwardTable(ctx context.Context, tx *sql.Tx) (selfcare.ForwardTable, error) {
	rows, err := tx.QueryContext(ctx, `SELECT extension, all_destination
		FROM line_forwarding WHERE all_voicemail = 0 AND all_destination <> ''`)
	if err != nil {
		return selfcare.ForwardTable{}, err
	}
	defer rows.Close()
	t := selfcare.ForwardTable{Forwards: make(map[string]string)}
	for rows.Next() {
		var ext, target string
		if err := rows.Scan(&ext, &target); err != nil {
			return selfcare.ForwardTable{}, err
		}
		t.Forwards[ext] = target
	}
	return t, rows.Err()
}

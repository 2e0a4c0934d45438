package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

// The destination policy is kept as its JSON, the form administrators
// write it in: it is read whole and rarely, so columns would buy nothing.

var _ selfcare.DestinationPolicyStore = (*Store)(nil)

// DestinationPolicy implements [selfcare.DestinationPolicyStore].
func (s *Store) DestinationPolicy(ctx context.Context) (selfcare.ConfiguredDestinationPolicy,
	error) {
	var (
		out  selfcare.ConfiguredDestinationPolicy
		text sql.NullString
	)
	err := s.r.QueryRowContext(ctx, `SELECT version, policy FROM destination_policy
		WHERE id = 1`).Scan(&out.Version, &text)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.ConfiguredDestinationPolicy{}, nil
	case err != nil:
		return selfcare.ConfiguredDestinationPolicy{}, fmt.Errorf("destination policy: %w",
			err)
	}
	if text.Valid {
		if err := json.Unmarshal([]byte(text.String), &out.Policy); err != nil {
			return selfcare.ConfiguredDestinationPolicy{}, fmt.Errorf("destination "+
				"policy version %d: %w", out.Version, err)
		}
		out.Custom = true
	}
	return out, nil
}

// SetDestinationPolicy implements [selfcare.DestinationPolicyStore].
func (s *Store) SetDestinationPolicy(ctx context.Context,
	p selfcare.ConfiguredDestinationPolicy) (selfcare.ConfiguredDestinationPolicy, error) {
	var text sql.NullString
	if p.Custom {
		b, err := json.Marshal(p.Policy)
		if err != nil {
			return selfcare.ConfiguredDestinationPolicy{}, fmt.Errorf("destination "+
				"policy: %w", err)
		}
		text = sql.NullString{String: string(b), Valid: true}
	} else {
		p.Policy = selfcare.DestinationPolicy{}
	}
	err := s.write(ctx, "destination policy", func(tx *sql.Tx) error {
		var stored int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM destination_policy
			WHERE id = 1`).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != p.Version {
			return fmt.Errorf("version %d, stored %d: %w", p.Version, stored,
				selfcare.ErrVersionConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO destination_policy (id, version, policy)
			VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version,
			policy = excluded.policy`, p.Version+1, text)
		if err != nil {
			return err
		}
		return bump(ctx, tx)
	})
	if err != nil {
		return selfcare.ConfiguredDestinationPolicy{}, err
	}
	// Decoding what was stored gives the caller what a read would, and
	// shares no slice with p.
	out := selfcare.ConfiguredDestinationPolicy{Custom: p.Custom, Version: p.Version + 1}
	if p.Custom {
		if err := json.Unmarshal([]byte(text.String), &out.Policy); err != nil {
			return selfcare.ConfiguredDestinationPolicy{}, fmt.Errorf("destination "+
				"policy: %w", err)
		}
	}
	return out, nil
}

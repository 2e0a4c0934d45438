package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.PhoneServiceStore = (*Store)(nil)

// serviceParamRow is one parameter of a template as the params column
// keeps it; its own type, so that the column's format does not follow
// the domain's field names.
type serviceParamRow struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Required    bool   `json:"required,omitempty"`
	MaxLength   int    `json:"maxLength"`
	Kind        uint8  `json:"kind"`
	Secret      bool   `json:"secret,omitempty"`
	Default     string `json:"default,omitempty"`
}

func encodeParams(ps []selfcare.ServiceParam) (string, error) {
	rows := make([]serviceParamRow, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, serviceParamRow{Name: p.Name, DisplayName: p.DisplayName,
			Required: p.Required, MaxLength: p.MaxLength, Kind: uint8(p.Kind),
			Secret: p.Secret, Default: p.Default})
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

func decodeParams(s string) ([]selfcare.ServiceParam, error) {
	var rows []serviceParamRow
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		return nil, err
	}
	var out []selfcare.ServiceParam
	for _, r := range rows {
		out = append(out, selfcare.ServiceParam{Name: r.Name, DisplayName: r.DisplayName,
			Required: r.Required, MaxLength: r.MaxLength,
			Kind: selfcare.ServiceParamKind(r.Kind), Secret: r.Secret, Default: r.Default})
	}
	return out, nil
}

// scanService reads one row of phone_services.
func scanService(row scanner) (selfcare.PhoneService, error) {
	var (
		ps     selfcare.PhoneService
		kind   int64
		params string
	)
	if err := row.Scan(&ps.ID, &ps.Name, &ps.Description, &kind, &ps.URL,
		&params); err != nil {
		return selfcare.PhoneService{}, err
	}
	ps.Kind = selfcare.PhoneServiceKind(kind)
	var err error
	if ps.Params, err = decodeParams(params); err != nil {
		return selfcare.PhoneService{}, fmt.Errorf("parameters of %q: %w", ps.ID, err)
	}
	return ps, nil
}

const serviceColumns = `id, name, description, kind, url, params`

// PhoneServices implements [selfcare.PhoneServiceStore].
func (s *Store) PhoneServices(ctx context.Context) ([]selfcare.PhoneService, error) {
	out, err := readAll(ctx, s.r, scanService, `SELECT `+serviceColumns+`
		FROM phone_services ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("phone services: %w", err)
	}
	return out, nil
}

// PhoneService implements [selfcare.PhoneServiceStore].
func (s *Store) PhoneService(ctx context.Context, id string) (selfcare.PhoneService,
	error) {
	ps, err := scanService(s.r.QueryRowContext(ctx, `SELECT `+serviceColumns+`
		FROM phone_services WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.PhoneService{}, fmt.Errorf("phone service %q: %w", id,
			selfcare.ErrNotFound)
	case err != nil:
		return selfcare.PhoneService{}, fmt.Errorf("phone service %q: %w", id, err)
	}
	return ps, nil
}

// AddPhoneService implements [selfcare.PhoneServiceStore].
func (s *Store) AddPhoneService(ctx context.Context, ps selfcare.PhoneService) error {
	params, err := encodeParams(ps.Params)
	if err != nil {
		return fmt.Errorf("phone service %q: %w", ps.ID, err)
	}
	return s.write(ctx, fmt.Sprintf("phone service %q", ps.ID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO phone_services (`+serviceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, ps.ID, ps.Name,
			ps.Description, int64(ps.Kind), ps.URL, params)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(selfcare.ErrExists, err)
		}
		return nil
	})
}

// RemovePhoneService implements [selfcare.PhoneServiceStore]: the count,
// the subscriptions and the service go in one write transaction.
func (s *Store) RemovePhoneService(ctx context.Context, id string, cascade bool) (int,
	error) {
	var n int
	err := s.write(ctx, fmt.Sprintf("phone service %q", id), func(tx *sql.Tx) error {
		known, err := exists(ctx, tx, `SELECT 1 FROM phone_services WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if !known {
			return selfcare.ErrNotFound
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM service_subscriptions
			WHERE service_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 && !cascade {
			return fmt.Errorf("%d phones: %w", n, selfcare.ErrServiceInUse)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM service_subscriptions
			WHERE service_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM phone_services WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// scanSubscription reads device, service_id, version and vals.
func scanSubscription(row scanner) (selfcare.ServiceSubscription, error) {
	var (
		sub  selfcare.ServiceSubscription
		vals string
	)
	if err := row.Scan(&sub.Device, &sub.ServiceID, &sub.Version, &vals); err != nil {
		return selfcare.ServiceSubscription{}, err
	}
	if err := json.Unmarshal([]byte(vals), &sub.Values); err != nil {
		return selfcare.ServiceSubscription{}, fmt.Errorf("values: %w", err)
	}
	if sub.Values == nil {
		sub.Values = map[string]string{}
	}
	return sub, nil
}

// Subscriptions implements [selfcare.PhoneServiceStore].
func (s *Store) Subscriptions(ctx context.Context, device string) (
	[]selfcare.ServiceSubscription, error) {
	out, err := readAll(ctx, s.r, scanSubscription, `SELECT device, service_id, version,
		vals FROM service_subscriptions WHERE device = ? ORDER BY service_id`, device)
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %q: %w", device, err)
	}
	return out, nil
}

// Subscription implements [selfcare.PhoneServiceStore].
func (s *Store) Subscription(ctx context.Context, device, serviceID string) (
	selfcare.ServiceSubscription, error) {
	sub, err := scanSubscription(s.r.QueryRowContext(ctx, `SELECT device, service_id,
		version, vals FROM service_subscriptions WHERE device = ? AND service_id = ?`,
		device, serviceID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.ServiceSubscription{}, fmt.Errorf("subscription of %q to %q: %w",
			device, serviceID, selfcare.ErrNotFound)
	case err != nil:
		return selfcare.ServiceSubscription{}, fmt.Errorf("subscription of %q to %q: %w",
			device, serviceID, err)
	}
	return sub, nil
}

// encodeValues returns the vals column of a subscription.
func encodeValues(vals map[string]string) (string, error) {
	if vals == nil {
		vals = map[string]string{}
	}
	b, err := json.Marshal(vals)
	return string(b), err
}

// Subscribe implements [selfcare.PhoneServiceStore].
func (s *Store) Subscribe(ctx context.Context, sub selfcare.ServiceSubscription) (
	selfcare.ServiceSubscription, error) {
	vals, err := encodeValues(sub.Values)
	if err != nil {
		return selfcare.ServiceSubscription{}, err
	}
	op := fmt.Sprintf("subscription of %q to %q", sub.Device, sub.ServiceID)
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		known, err := exists(ctx, tx, `SELECT 1 FROM phone_services WHERE id = ?`, sub.ServiceID)
		if err != nil {
			return err
		}
		if !known {
			return selfcare.ErrNotFound
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO service_subscriptions
			(device, service_id, version, vals) VALUES (?, ?, 1, ?)
			ON CONFLICT (device, service_id) DO NOTHING`, sub.Device, sub.ServiceID, vals)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(selfcare.ErrSubscribed, err)
		}
		return nil
	})
	if err != nil {
		return selfcare.ServiceSubscription{}, err
	}
	out, err := scanSubscriptionValues(sub, vals)
	out.Version = 1
	return out, err
}

// scanSubscriptionValues returns sub with a copy of its values, as they
// were stored.
func scanSubscriptionValues(sub selfcare.ServiceSubscription, vals string) (
	selfcare.ServiceSubscription, error) {
	sub.Values = nil
	if err := json.Unmarshal([]byte(vals), &sub.Values); err != nil {
		return selfcare.ServiceSubscription{}, err
	}
	return sub, nil
}

// UpdateSubscription implements [selfcare.PhoneServiceStore]: the version
// is compared and the values replaced in one statement.
func (s *Store) UpdateSubscription(ctx context.Context, sub selfcare.ServiceSubscription) (
	selfcare.ServiceSubscription, error) {
	vals, err := encodeValues(sub.Values)
	if err != nil {
		return selfcare.ServiceSubscription{}, err
	}
	op := fmt.Sprintf("subscription of %q to %q", sub.Device, sub.ServiceID)
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		return checkSubscriptionVersion(ctx, tx, sub.Device, sub.ServiceID, sub.Version,
			func() error {
				_, err := tx.ExecContext(ctx, `UPDATE service_subscriptions
					SET version = version + 1, vals = ?
					WHERE device = ? AND service_id = ?`, vals, sub.Device, sub.ServiceID)
				return err
			})
	})
	if err != nil {
		return selfcare.ServiceSubscription{}, err
	}
	out, err := scanSubscriptionValues(sub, vals)
	out.Version = sub.Version + 1
	return out, err
}

// Unsubscribe implements [selfcare.PhoneServiceStore].
func (s *Store) Unsubscribe(ctx context.Context, device, serviceID string,
	version int64) error {
	op := fmt.Sprintf("subscription of %q to %q", device, serviceID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		return checkSubscriptionVersion(ctx, tx, device, serviceID, version,
			func() error {
				_, err := tx.ExecContext(ctx, `DELETE FROM service_subscriptions
					WHERE device = ? AND service_id = ?`, device, serviceID)
				return err
			})
	})
}

// checkSubscriptionVersion runs then inside tx when the subscription is
// stored at version.
func checkSubscriptionVersion(ctx context.Context, tx *sql.Tx, device, serviceID string,
	version int64, then func() error) error {
	if err := checkVersion(ctx, tx, version, `SELECT version FROM service_subscriptions
		WHERE device = ? AND service_id = ?`, device, serviceID); err != nil {
		return err
	}
	return then()
}

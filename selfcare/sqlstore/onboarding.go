package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
)

// Onboarding returns the store's [selfcare.OnboardingStore], which keeps
// device activation in the tables of migration 0003 and renames the
// portal's device record in the same transaction as an activation.
func (s *Store) Onboarding() selfcare.OnboardingStore { return onboardingStore{s} }

// onboardingStore reads through the read pool and writes each change in a
// transaction of its own.
type onboardingStore struct{ s *Store }

// activationTx works inside the transaction of a batch; each change runs
// under a savepoint, so that a change that fails leaves nothing behind.
type activationTx struct{ tx *sql.Tx }

var (
	_ selfcare.OnboardingStore = onboardingStore{}
	_ onboarding.Store         = activationTx{}
	_ selfcare.FailureUndoer   = (*Store)(nil)
)

// conn is what the queries below need: a pool or a transaction.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Columns of the two tables, in the order scanActivationDevice and
// scanActivationCode read them.
const (
	activationDeviceColumns = `d.name, d.model, d.owner, d.mac, d.dummy,
		d.requires_activation, d.activated, d.activated_at, d.provisioned_at`
	activationCodeColumns = `c.device, c.sealed, c.verifier, c.bound_mac, c.bound_model,
		c.issued_at, c.expires_at, c.state, c.attempts, c.used_at, c.released_at`
)

func scanActivationDevice(row scanner) (onboarding.Device, error) {
	var (
		d              onboarding.Device
		activated, pro int64
	)
	err := row.Scan(&d.Name, &d.Model, &d.Owner, &d.MAC, &d.Dummy, &d.RequiresActivation,
		&d.Activated, &activated, &pro)
	d.ActivatedAt, d.ProvisionedAt = fromMicros(activated), fromMicros(pro)
	return d, err
}

func scanActivationCode(row scanner) (onboarding.Code, error) {
	var (
		c                               onboarding.Code
		state                           string
		issued, expires, used, released int64
	)
	err := row.Scan(&c.Device, &c.Sealed, &c.Verifier, &c.BoundTo.MAC, &c.BoundTo.Model,
		&issued, &expires, &state, &c.Attempts, &used, &released)
	c.State = onboarding.State(state)
	c.IssuedAt, c.ExpiresAt = fromMicros(issued), fromMicros(expires)
	c.UsedAt, c.ReleasedAt = fromMicros(used), fromMicros(released)
	return c, err
}

// Reads, through any conn.

func readActivationDevice(ctx context.Context, q conn, name string) (onboarding.Device,
	error) {
	d, err := scanActivationDevice(q.QueryRowContext(ctx, `SELECT `+activationDeviceColumns+
		` FROM onboarding_devices d WHERE d.name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = onboarding.ErrNotFound
	}
	if err != nil {
		return onboarding.Device{}, fmt.Errorf("device %q: %w", name, err)
	}
	return d, nil
}

func readActivationDevices(ctx context.Context, q conn, owner string) (
	[]onboarding.Device, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+activationDeviceColumns+
		` FROM onboarding_devices d WHERE ?1 = '' OR d.owner = ?1 ORDER BY d.name`, owner)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	defer rows.Close()
	var out []onboarding.Device
	for rows.Next() {
		d, err := scanActivationDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("devices: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return out, nil
}

func readActivationCode(ctx context.Context, q conn, where string, arg any) (
	onboarding.Code, error) {
	c, err := scanActivationCode(q.QueryRowContext(ctx, `SELECT `+activationCodeColumns+
		` FROM activation_codes c WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		err = onboarding.ErrNotFound
	}
	if err != nil {
		return onboarding.Code{}, fmt.Errorf("activation code: %w", err)
	}
	return c, nil
}

func readOutstandingCodes(ctx context.Context, q conn, owner string) (
	[]onboarding.DeviceCode, error) {
	return readOutstandingCodesLimit(ctx, q, owner, -1)
}

// readFirstOutstandingCodes reads the first n outstanding codes of owner
// and counts them all; the index of devices by owner finds them.
func readFirstOutstandingCodes(ctx context.Context, q conn, owner string, n int) (
	[]onboarding.DeviceCode, int, error) {
	out, err := readOutstandingCodesLimit(ctx, q, owner, max(n, 0))
	if err != nil {
		return nil, 0, err
	}
	var total int
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM onboarding_devices d
		JOIN activation_codes c ON c.device = d.name
		WHERE d.owner = ? AND c.state = 'outstanding'`, owner).Scan(&total)
	if err != nil {
		return nil, 0, fmt.Errorf("outstanding codes: %w", err)
	}
	return out, total, nil
}

// readOutstandingCodesLimit reads at most limit outstanding codes, all of
// them when limit is negative.
func readOutstandingCodesLimit(ctx context.Context, q conn, owner string, limit int) (
	[]onboarding.DeviceCode, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+activationDeviceColumns+`, `+
		activationCodeColumns+` FROM activation_codes c
		JOIN onboarding_devices d ON d.name = c.device
		WHERE c.state = 'outstanding' AND (?1 = '' OR d.owner = ?1)
		ORDER BY c.device LIMIT ?2`, owner, limit)
	if err != nil {
		return nil, fmt.Errorf("outstanding codes: %w", err)
	}
	defer rows.Close()
	var out []onboarding.DeviceCode
	for rows.Next() {
		var (
			dc                              onboarding.DeviceCode
			state                           string
			act, pro                        int64
			issued, expires, used, released int64
		)
		d, c := &dc.Device, &dc.Code
		err := rows.Scan(&d.Name, &d.Model, &d.Owner, &d.MAC, &d.Dummy,
			&d.RequiresActivation, &d.Activated, &act, &pro,
			&c.Device, &c.Sealed, &c.Verifier, &c.BoundTo.MAC, &c.BoundTo.Model,
			&issued, &expires, &state, &c.Attempts, &used, &released)
		if err != nil {
			return nil, fmt.Errorf("outstanding codes: %w", err)
		}
		d.ActivatedAt, d.ProvisionedAt = fromMicros(act), fromMicros(pro)
		c.State = onboarding.State(state)
		c.IssuedAt, c.ExpiresAt = fromMicros(issued), fromMicros(expires)
		c.UsedAt, c.ReleasedAt = fromMicros(used), fromMicros(released)
		out = append(out, dc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outstanding codes: %w", err)
	}
	return out, nil
}

// Changes, each inside a transaction that its caller commits.

// createActivationDevice adds d, and the portal's device record unless it
// exists; an existing record must have the same owner and model.
func createActivationDevice(ctx context.Context, q conn, d onboarding.Device) error {
	taken, err := exists(ctx, q, `SELECT 1 FROM onboarding_devices WHERE name = ?`, d.Name)
	if err != nil {
		return err
	}
	if taken {
		return onboarding.ErrExists
	}
	var owner, model string
	err = q.QueryRowContext(ctx, `SELECT owner, model FROM devices WHERE name = ?`,
		d.Name).Scan(&owner, &model)
	switch {
	case err == nil && owner != d.Owner:
		return fmt.Errorf("the portal has it for another owner: %w", onboarding.ErrExists)
	case err == nil && !strings.EqualFold(model, d.Model):
		return fmt.Errorf("%w: the portal has %s as a %q, not a %q",
			selfcare.ErrModelConflict, d.Name, model, d.Model)
	case errors.Is(err, sql.ErrNoRows):
		known, err := exists(ctx, q, `SELECT 1 FROM users WHERE id = ?`, d.Owner)
		if err != nil {
			return err
		}
		if !known {
			return fmt.Errorf("owner %q: %w", d.Owner, selfcare.ErrNotFound)
		}
		_, err = q.ExecContext(ctx, `INSERT INTO devices
			(name, owner, model, admin_description, description) VALUES (?, ?, ?, '', '')`,
			d.Name, d.Owner, d.Model)
		if err != nil {
			return err
		}
	case err != nil:
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO onboarding_devices (name, model, owner, mac,
		dummy, requires_activation, activated, activated_at, provisioned_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Name, d.Model, d.Owner, d.MAC, d.Dummy, d.RequiresActivation, d.Activated,
		micros(d.ActivatedAt), micros(d.ProvisionedAt))
	return err
}

func putActivationCode(ctx context.Context, q conn, c onboarding.Code) error {
	known, err := exists(ctx, q, `SELECT 1 FROM onboarding_devices WHERE name = ?`,
		c.Device)
	if err != nil {
		return err
	}
	if !known {
		return onboarding.ErrNotFound
	}
	clash, err := exists(ctx, q,
		`SELECT 1 FROM activation_codes WHERE verifier = ? AND device != ?`,
		c.Verifier, c.Device)
	if err != nil {
		return err
	}
	if clash {
		return fmt.Errorf("verifier in use: %w", onboarding.ErrExists)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO activation_codes (device, sealed, verifier,
		bound_mac, bound_model, issued_at, expires_at, state, attempts, used_at,
		released_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (device) DO UPDATE SET sealed = excluded.sealed,
			verifier = excluded.verifier, bound_mac = excluded.bound_mac,
			bound_model = excluded.bound_model, issued_at = excluded.issued_at,
			expires_at = excluded.expires_at, state = excluded.state,
			attempts = excluded.attempts, used_at = excluded.used_at,
			released_at = excluded.released_at`,
		c.Device, c.Sealed, c.Verifier, c.BoundTo.MAC, c.BoundTo.Model,
		micros(c.IssuedAt), micros(c.ExpiresAt), string(c.State), c.Attempts,
		micros(c.UsedAt), micros(c.ReleasedAt))
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE onboarding_devices SET requires_activation = 1,
		activated = 0, activated_at = ? WHERE name = ?`, zeroMicros, c.Device)
	return err
}

func addActivationAttempt(ctx context.Context, q conn, device string) (onboarding.Code,
	error) {
	// RETURNING takes no table alias.
	c, err := scanActivationCode(q.QueryRowContext(ctx, `UPDATE activation_codes
		SET attempts = attempts + 1 WHERE device = ? AND state = 'outstanding'
		RETURNING `+strings.ReplaceAll(activationCodeColumns, "c.", ""), device))
	if errors.Is(err, sql.ErrNoRows) {
		err = onboarding.ErrNotFound
	}
	return c, err
}

func releaseActivationCode(ctx context.Context, q conn, device string, verifier []byte,
	at time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE activation_codes
		SET state = 'released', released_at = ?, sealed = NULL
		WHERE device = ? AND state = 'outstanding' AND verifier = ?`,
		micros(at), device, verifier)
	return oneRow(res, err, onboarding.ErrNotFound)
}

// spendActivationCode applies an [onboarding.Activation]. The code is
// spent by one conditional UPDATE, so of concurrent calls exactly one
// finds it outstanding.
func spendActivationCode(ctx context.Context, q conn, a onboarding.Activation) error {
	at := micros(a.At)
	res, err := q.ExecContext(ctx, `UPDATE activation_codes
		SET state = 'used', used_at = ?, sealed = NULL
		WHERE device = ? AND state = 'outstanding' AND verifier = ? AND expires_at > ?`,
		at, a.Device, a.Verifier, at)
	if err := oneRow(res, err, onboarding.ErrNotFound); err != nil {
		return err
	}

	if a.NewName != a.Device {
		if err := renameForActivation(ctx, q, a.Device, a.NewName); err != nil {
			return err
		}
	}
	res, err = q.ExecContext(ctx, `UPDATE onboarding_devices SET activated = 1,
		activated_at = ?, requires_activation = 0, dummy = 0, mac = ? WHERE name = ?`,
		at, a.MAC, a.NewName)
	return oneRow(res, err, onboarding.ErrNotFound)
}

// renameForActivation renames a device in both tables. The code follows
// through ON UPDATE CASCADE. The portal's record is copied, its lines
// moved and the old row deleted, because device_lines refers to it without
// a cascade on update.
func renameForActivation(ctx context.Context, q conn, from, to string) error {
	for _, t := range []string{"onboarding_devices", "devices"} {
		taken, err := exists(ctx, q, `SELECT 1 FROM `+t+` WHERE name = ?`, to)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("%q: %w", to, onboarding.ErrExists)
		}
	}
	_, err := q.ExecContext(ctx, `UPDATE onboarding_devices SET name = ? WHERE name = ?`,
		to, from)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO devices
		(name, owner, model, admin_description, description)
		SELECT ?, owner, model, admin_description, description FROM devices
		WHERE name = ?`, to, from)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE device_lines SET device = ? WHERE device = ?`,
		to, from)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `DELETE FROM devices WHERE name = ?`, from)
	return err
}

// The store outside a batch.

// CreateDevice implements [onboarding.Store]. The portal's device record
// is created with the device, without lines, unless it exists: then it
// must have the same owner, or the name counts as taken. The owner must be
// a user of the store.
func (o onboardingStore) CreateDevice(ctx context.Context, d onboarding.Device) error {
	return o.s.write(ctx, fmt.Sprintf("create device %q", d.Name), func(tx *sql.Tx) error {
		return createActivationDevice(ctx, tx, d)
	})
}

// Device implements [onboarding.Store].
func (o onboardingStore) Device(ctx context.Context, name string) (onboarding.Device,
	error) {
	return readActivationDevice(ctx, o.s.r, name)
}

// Devices implements [onboarding.Store].
func (o onboardingStore) Devices(ctx context.Context, owner string) ([]onboarding.Device,
	error) {
	return readActivationDevices(ctx, o.s.r, owner)
}

// PutCode implements [onboarding.Store].
func (o onboardingStore) PutCode(ctx context.Context, c onboarding.Code) error {
	return o.s.write(ctx, fmt.Sprintf("put code of %q", c.Device), func(tx *sql.Tx) error {
		return putActivationCode(ctx, tx, c)
	})
}

// Code implements [onboarding.Store].
func (o onboardingStore) Code(ctx context.Context, device string) (onboarding.Code, error) {
	return readActivationCode(ctx, o.s.r, `c.device = ?`, device)
}

// CodeByVerifier implements [onboarding.Store].
func (o onboardingStore) CodeByVerifier(ctx context.Context, v []byte) (onboarding.Code,
	error) {
	return readActivationCode(ctx, o.s.r, `c.verifier = ?`, v)
}

// OutstandingCodes implements [onboarding.Store].
func (o onboardingStore) OutstandingCodes(ctx context.Context, owner string) (
	[]onboarding.DeviceCode, error) {
	return readOutstandingCodes(ctx, o.s.r, owner)
}

// FirstOutstandingCodes implements [onboarding.Store].
func (o onboardingStore) FirstOutstandingCodes(ctx context.Context, owner string, n int) (
	[]onboarding.DeviceCode, int, error) {
	return readFirstOutstandingCodes(ctx, o.s.r, owner, n)
}

// AddAttempt implements [onboarding.Store] with one UPDATE … RETURNING, so
// that concurrent attempts, from any process, each get their own count.
func (o onboardingStore) AddAttempt(ctx context.Context, device string) (onboarding.Code,
	error) {
	c, err := addActivationAttempt(ctx, o.s.w, device)
	if err != nil {
		return onboarding.Code{}, fmt.Errorf("attempt at %q: %w", device, err)
	}
	return c, nil
}

// ReleaseCode implements [onboarding.Store].
func (o onboardingStore) ReleaseCode(ctx context.Context, device string, verifier []byte,
	at time.Time) error {
	err := releaseActivationCode(ctx, o.s.w, device, verifier, at)
	if err != nil {
		return fmt.Errorf("release code of %q: %w", device, err)
	}
	return nil
}

// SpendCode implements [onboarding.Store], in one transaction that also
// renames the portal's device record, lines and all.
func (o onboardingStore) SpendCode(ctx context.Context, a onboarding.Activation) error {
	return o.s.write(ctx, fmt.Sprintf("spend code of %q", a.Device), func(tx *sql.Tx) error {
		return spendActivationCode(ctx, tx, a)
	})
}

// Batch implements [selfcare.OnboardingStore] with one write transaction,
// which holds the store's only write connection until fn returns: fn must
// not write through the store itself.
func (o onboardingStore) Batch(ctx context.Context,
	fn func(onboarding.Store) error) error {
	return o.s.write(ctx, "onboarding batch", func(tx *sql.Tx) error {
		return fn(activationTx{tx})
	})
}

// The store inside a batch.

// step runs one change under a savepoint.
func (t activationTx) step(ctx context.Context, op string, fn func() error) error {
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT activation_step`); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := fn(); err != nil {
		_, rerr := t.tx.ExecContext(ctx, `ROLLBACK TO activation_step`)
		_, perr := t.tx.ExecContext(ctx, `RELEASE activation_step`)
		return fmt.Errorf("%s: %w", op, errors.Join(err, rerr, perr))
	}
	if _, err := t.tx.ExecContext(ctx, `RELEASE activation_step`); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// CreateDevice implements [onboarding.Store].
func (t activationTx) CreateDevice(ctx context.Context, d onboarding.Device) error {
	return t.step(ctx, fmt.Sprintf("create device %q", d.Name), func() error {
		return createActivationDevice(ctx, t.tx, d)
	})
}

// Device implements [onboarding.Store].
func (t activationTx) Device(ctx context.Context, name string) (onboarding.Device, error) {
	return readActivationDevice(ctx, t.tx, name)
}

// Devices implements [onboarding.Store].
func (t activationTx) Devices(ctx context.Context, owner string) ([]onboarding.Device,
	error) {
	return readActivationDevices(ctx, t.tx, owner)
}

// PutCode implements [onboarding.Store].
func (t activationTx) PutCode(ctx context.Context, c onboarding.Code) error {
	return t.step(ctx, fmt.Sprintf("put code of %q", c.Device), func() error {
		return putActivationCode(ctx, t.tx, c)
	})
}

// Code implements [onboarding.Store].
func (t activationTx) Code(ctx context.Context, device string) (onboarding.Code, error) {
	return readActivationCode(ctx, t.tx, `c.device = ?`, device)
}

// CodeByVerifier implements [onboarding.Store].
func (t activationTx) CodeByVerifier(ctx context.Context, v []byte) (onboarding.Code,
	error) {
	return readActivationCode(ctx, t.tx, `c.verifier = ?`, v)
}

// OutstandingCodes implements [onboarding.Store].
func (t activationTx) OutstandingCodes(ctx context.Context, owner string) (
	[]onboarding.DeviceCode, error) {
	return readOutstandingCodes(ctx, t.tx, owner)
}

// FirstOutstandingCodes implements [onboarding.Store].
func (t activationTx) FirstOutstandingCodes(ctx context.Context, owner string, n int) (
	[]onboarding.DeviceCode, int, error) {
	return readFirstOutstandingCodes(ctx, t.tx, owner, n)
}

// AddAttempt implements [onboarding.Store].
func (t activationTx) AddAttempt(ctx context.Context, device string) (onboarding.Code,
	error) {
	c, err := addActivationAttempt(ctx, t.tx, device)
	if err != nil {
		return onboarding.Code{}, fmt.Errorf("attempt at %q: %w", device, err)
	}
	return c, nil
}

// ReleaseCode implements [onboarding.Store].
func (t activationTx) ReleaseCode(ctx context.Context, device string, verifier []byte,
	at time.Time) error {
	err := releaseActivationCode(ctx, t.tx, device, verifier, at)
	if err != nil {
		return fmt.Errorf("release code of %q: %w", device, err)
	}
	return nil
}

// SpendCode implements [onboarding.Store].
func (t activationTx) SpendCode(ctx context.Context, a onboarding.Activation) error {
	return t.step(ctx, fmt.Sprintf("spend code of %q", a.Device), func() error {
		return spendActivationCode(ctx, t.tx, a)
	})
}

// The activation key's check value (migration 0004).

// KeyCheck implements [onboarding.KeyStore].
func (o onboardingStore) KeyCheck(ctx context.Context) ([]byte, error) {
	var v []byte
	err := o.s.r.QueryRowContext(ctx,
		`SELECT check_value FROM activation_key WHERE id = 1`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		err = onboarding.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("activation key check: %w", err)
	}
	return v, nil
}

// InitKeyCheck implements [onboarding.KeyStore]: the row is inserted only
// if absent, and read back in the same transaction, so that of processes
// starting together all see the first one's value.
func (o onboardingStore) InitKeyCheck(ctx context.Context, check []byte,
	at time.Time) ([]byte, error) {
	var v []byte
	err := o.s.write(ctx, "activation key check", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO activation_key (id, check_value, set_at)
			VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`, check, micros(at))
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx,
			`SELECT check_value FROM activation_key WHERE id = 1`).Scan(&v)
	})
	return v, err
}

// DiscardKey implements [onboarding.KeyStore] in one transaction.
func (o onboardingStore) DiscardKey(ctx context.Context, at time.Time) ([]string, error) {
	var names []string
	err := o.s.write(ctx, "discard activation key", func(tx *sql.Tx) error {
		names = nil
		rows, err := tx.QueryContext(ctx, `UPDATE activation_codes
			SET state = 'released', released_at = ?, sealed = NULL
			WHERE state = 'outstanding' RETURNING device`, micros(at))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM activation_key`)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}

// UndoFailure implements [selfcare.FailureUndoer].
func (s *Store) UndoFailure(ctx context.Context, key string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE login_failures SET count = count - 1
		WHERE key = ? AND count > 0`, key)
	if err != nil {
		return fmt.Errorf("undo failure: %w", err)
	}
	return nil
}

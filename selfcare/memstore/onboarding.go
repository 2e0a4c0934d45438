package memstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
)

// activationData is what device activation keeps: devices awaiting or past
// activation and their codes, keyed by device name. The maps are made on
// the first write.
type activationData struct {
	devices   map[string]onboarding.Device
	codes     map[string]onboarding.Code
	verifiers map[string]string // string(verifier) -> device name
	// keyCheck is the activation key's check value; nil until set.
	keyCheck []byte
}

// Onboarding returns the store's [selfcare.OnboardingStore]. It shares the
// store's lock and data, so that activating a phone renames the portal's
// device record in the same step.
func (s *Store) Onboarding() selfcare.OnboardingStore { return onboardingStore{s} }

// onboardingStore takes the store's lock around each call of an
// activationView.
type onboardingStore struct{ s *Store }

// activationView works on the data of a store whose lock its caller holds.
// In a batch, undo collects how to take each change back.
type activationView struct {
	s    *Store
	undo *[]func()
}

var (
	_ selfcare.OnboardingStore = onboardingStore{}
	_ onboarding.Store         = activationView{}
	_ selfcare.FailureUndoer   = (*Store)(nil)
)

// CreateDevice implements [onboarding.Store].
func (o onboardingStore) CreateDevice(ctx context.Context, d onboarding.Device) error {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return activationView{s: o.s}.CreateDevice(ctx, d)
}

// Device implements [onboarding.Store].
func (o onboardingStore) Device(ctx context.Context, name string) (onboarding.Device,
	error) {
	o.s.mu.RLock()
	defer o.s.mu.RUnlock()
	return activationView{s: o.s}.Device(ctx, name)
}

// Devices implements [onboarding.Store].
func (o onboardingStore) Devices(ctx context.Context, owner string) ([]onboarding.Device,
	error) {
	o.s.mu.RLock()
	defer o.s.mu.RUnlock()
	return activationView{s: o.s}.Devices(ctx, owner)
}

// PutCode implements [onboarding.Store].
func (o onboardingStore) PutCode(ctx context.Context, c onboarding.Code) error {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return activationView{s: o.s}.PutCode(ctx, c)
}

// Code implements [onboarding.Store].
func (o onboardingStore) Code(ctx context.Context, device string) (onboarding.Code, error) {
	o.s.mu.RLock()
	defer o.s.mu.RUnlock()
	return activationView{s: o.s}.Code(ctx, device)
}

// CodeByVerifier implements [onboarding.Store].
func (o onboardingStore) CodeByVerifier(ctx context.Context, v []byte) (onboarding.Code,
	error) {
	o.s.mu.RLock()
	defer o.s.mu.RUnlock()
	return activationView{s: o.s}.CodeByVerifier(ctx, v)
}

// OutstandingCodes implements [onboarding.Store].
func (o onboardingStore) OutstandingCodes(ctx context.Context, owner string) (
	[]onboarding.DeviceCode, error) {
	o.s.mu.RLock()
	defer o.s.mu.RUnlock()
	return activationView{s: o.s}.OutstandingCodes(ctx, owner)
}

// FirstOutstandingCodes implements [onboarding.Store].
func (o onboardingStore) FirstOutstandingCodes(ctx context.Context, owner string, n int) (
	[]onboarding.DeviceCode, int, error) {
	o.s.mu.RLock()
	defer o.s.mu.RUnlock()
	return activationView{s: o.s}.FirstOutstandingCodes(ctx, owner, n)
}

// AddAttempt implements [onboarding.Store].
func (o onboardingStore) AddAttempt(ctx context.Context, device string) (onboarding.Code,
	error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return activationView{s: o.s}.AddAttempt(ctx, device)
}

// ReleaseCode implements [onboarding.Store].
func (o onboardingStore) ReleaseCode(ctx context.Context, device string, verifier []byte,
	at time.Time) error {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return activationView{s: o.s}.ReleaseCode(ctx, device, verifier, at)
}

// SpendCode implements [onboarding.Store].
func (o onboardingStore) SpendCode(ctx context.Context, a onboarding.Activation) error {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return activationView{s: o.s}.SpendCode(ctx, a)
}

// Batch implements [selfcare.OnboardingStore]. It holds the store's lock
// while fn runs, so fn must not call the store itself. Each change fn
// makes records how to undo itself, and a failed batch is undone in
// reverse order.
func (o onboardingStore) Batch(ctx context.Context,
	fn func(onboarding.Store) error) error {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	var undo []func()
	if err := fn(activationView{s: o.s, undo: &undo}); err != nil {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return err
	}
	return nil
}

// keep records, in a batch, how to give the entry key of m back its
// present value, or absence.
func keep[V any](v activationView, m map[string]V, key string) {
	if v.undo == nil {
		return
	}
	old, had := m[key]
	*v.undo = append(*v.undo, func() {
		if had {
			m[key] = old
		} else {
			delete(m, key)
		}
	})
}

// keepPortal records, in a batch, how to give the portal's device record
// name, and its owner's index entry, back their present state.
func (v activationView) keepPortal(name string) {
	if v.undo == nil {
		return
	}
	s := v.s
	old, had := s.devices[name]
	*v.undo = append(*v.undo, func() {
		if cur, ok := s.devices[name]; ok {
			s.userDevices.remove(cur.Owner, name)
			delete(s.devices, name)
		}
		if had {
			s.devices[name] = old
			s.userDevices.add(old.Owner, name)
		}
	})
}

// init makes the maps on the first write.
func (v activationView) init() *activationData {
	a := &v.s.activation
	if a.devices == nil {
		a.devices = make(map[string]onboarding.Device)
		a.codes = make(map[string]onboarding.Code)
		a.verifiers = make(map[string]string)
	}
	return a
}

// CreateDevice implements [onboarding.Store]. The portal's device record
// is created with the device, without lines, unless it exists: then it
// must have the same owner, or the name counts as taken, and the same
// model but for case, or it is [selfcare.ErrModelConflict]. The owner must
// be a user of the store.
func (v activationView) CreateDevice(_ context.Context, d onboarding.Device) error {
	a := v.init()
	if _, ok := a.devices[d.Name]; ok {
		return fmt.Errorf("create device %q: %w", d.Name, onboarding.ErrExists)
	}
	pd, ok := v.s.devices[d.Name]
	switch {
	case ok && pd.Owner != d.Owner:
		return fmt.Errorf("create device %q: the portal has it for another owner: %w",
			d.Name, onboarding.ErrExists)
	case ok && !strings.EqualFold(pd.Model, d.Model):
		return fmt.Errorf("create device %q: %w: the portal has %s as a %q, not a %q",
			d.Name, selfcare.ErrModelConflict, d.Name, pd.Model, d.Model)
	case !ok:
		if _, known := v.s.users[d.Owner]; !known {
			return fmt.Errorf("create device %q: owner %q: %w", d.Name, d.Owner,
				selfcare.ErrNotFound)
		}
		v.keepPortal(d.Name)
		v.s.devices[d.Name] = selfcare.Device{Name: d.Name, Owner: d.Owner, Model: d.Model}
		v.s.userDevices.add(d.Owner, d.Name)
	}
	keep(v, a.devices, d.Name)
	a.devices[d.Name] = stampDevice(d)
	return nil
}

// Device implements [onboarding.Store].
func (v activationView) Device(_ context.Context, name string) (onboarding.Device, error) {
	d, ok := v.s.activation.devices[name]
	if !ok {
		return onboarding.Device{}, fmt.Errorf("device %q: %w", name, onboarding.ErrNotFound)
	}
	return d, nil
}

// Devices implements [onboarding.Store].
func (v activationView) Devices(_ context.Context, owner string) ([]onboarding.Device,
	error) {
	var out []onboarding.Device
	for _, name := range slices.Sorted(maps.Keys(v.s.activation.devices)) {
		if d := v.s.activation.devices[name]; owner == "" || d.Owner == owner {
			out = append(out, d)
		}
	}
	return out, nil
}

// PutCode implements [onboarding.Store].
func (v activationView) PutCode(_ context.Context, c onboarding.Code) error {
	a := v.init()
	d, ok := a.devices[c.Device]
	if !ok {
		return fmt.Errorf("put code of %q: %w", c.Device, onboarding.ErrNotFound)
	}
	if other, ok := a.verifiers[string(c.Verifier)]; ok && other != c.Device {
		return fmt.Errorf("put code of %q: verifier in use: %w", c.Device,
			onboarding.ErrExists)
	}
	keep(v, a.codes, c.Device)
	keep(v, a.devices, c.Device)
	if old, ok := a.codes[c.Device]; ok {
		keep(v, a.verifiers, string(old.Verifier))
		delete(a.verifiers, string(old.Verifier))
	}
	keep(v, a.verifiers, string(c.Verifier))
	a.codes[c.Device] = stampCode(copyCode(c))
	a.verifiers[string(c.Verifier)] = c.Device
	d.RequiresActivation, d.Activated, d.ActivatedAt = true, false, time.Time{}
	a.devices[c.Device] = d
	return nil
}

// Code implements [onboarding.Store].
func (v activationView) Code(_ context.Context, device string) (onboarding.Code, error) {
	c, ok := v.s.activation.codes[device]
	if !ok {
		return onboarding.Code{}, fmt.Errorf("code of %q: %w", device, onboarding.ErrNotFound)
	}
	return copyCode(c), nil
}

// CodeByVerifier implements [onboarding.Store].
func (v activationView) CodeByVerifier(_ context.Context, verifier []byte) (
	onboarding.Code, error) {
	name, ok := v.s.activation.verifiers[string(verifier)]
	if !ok {
		return onboarding.Code{}, fmt.Errorf("code by verifier: %w", onboarding.ErrNotFound)
	}
	return copyCode(v.s.activation.codes[name]), nil
}

// OutstandingCodes implements [onboarding.Store].
func (v activationView) OutstandingCodes(_ context.Context, owner string) (
	[]onboarding.DeviceCode, error) {
	a := v.s.activation
	var out []onboarding.DeviceCode
	for _, name := range slices.Sorted(maps.Keys(a.codes)) {
		c, d := a.codes[name], a.devices[name]
		if c.State == onboarding.StateOutstanding && (owner == "" || d.Owner == owner) {
			out = append(out, onboarding.DeviceCode{Device: d, Code: copyCode(c)})
		}
	}
	return out, nil
}

// FirstOutstandingCodes implements [onboarding.Store]; only the codes it
// returns are copied.
func (v activationView) FirstOutstandingCodes(_ context.Context, owner string, n int) (
	[]onboarding.DeviceCode, int, error) {
	a := v.s.activation
	var out []onboarding.DeviceCode
	total := 0
	for _, name := range slices.Sorted(maps.Keys(a.codes)) {
		c, d := a.codes[name], a.devices[name]
		if c.State != onboarding.StateOutstanding || d.Owner != owner {
			continue
		}
		if total++; len(out) < n {
			out = append(out, onboarding.DeviceCode{Device: d, Code: copyCode(c)})
		}
	}
	return out, total, nil
}

// AddAttempt implements [onboarding.Store].
func (v activationView) AddAttempt(_ context.Context, device string) (onboarding.Code,
	error) {
	a := v.init()
	c, ok := a.codes[device]
	if !ok || c.State != onboarding.StateOutstanding {
		return onboarding.Code{}, fmt.Errorf("attempt at %q: %w", device,
			onboarding.ErrNotFound)
	}
	c.Attempts++
	keep(v, a.codes, device)
	a.codes[device] = c
	return copyCode(c), nil
}

// ReleaseCode implements [onboarding.Store].
func (v activationView) ReleaseCode(_ context.Context, device string, verifier []byte,
	at time.Time) error {
	a := v.init()
	c, ok := a.codes[device]
	if !ok || c.State != onboarding.StateOutstanding || !bytes.Equal(c.Verifier, verifier) {
		return fmt.Errorf("release code of %q: %w", device, onboarding.ErrNotFound)
	}
	c.State, c.ReleasedAt, c.Sealed = onboarding.StateReleased, stamp(at), nil
	keep(v, a.codes, device)
	a.codes[device] = c
	return nil
}

// SpendCode implements [onboarding.Store]. A rename moves the portal's
// device record, lines and all, to the new name too.
func (v activationView) SpendCode(_ context.Context, act onboarding.Activation) error {
	a := v.init()
	c, ok := a.codes[act.Device]
	if !ok || c.State != onboarding.StateOutstanding ||
		!bytes.Equal(c.Verifier, act.Verifier) || !c.ExpiresAt.After(act.At) {
		return fmt.Errorf("spend code of %q: %w", act.Device, onboarding.ErrNotFound)
	}
	if act.NewName != act.Device {
		_, taken := a.devices[act.NewName]
		if _, portal := v.s.devices[act.NewName]; taken || portal {
			return fmt.Errorf("spend code of %q: %q: %w", act.Device, act.NewName,
				onboarding.ErrExists)
		}
	}

	for _, name := range []string{act.Device, act.NewName} {
		keep(v, a.codes, name)
		keep(v, a.devices, name)
		v.keepPortal(name)
	}
	keep(v, a.verifiers, string(c.Verifier))
	at := stamp(act.At)
	d := a.devices[act.Device]
	c.State, c.UsedAt, c.Sealed = onboarding.StateUsed, at, nil
	d.Activated, d.ActivatedAt, d.RequiresActivation = true, at, false
	d.Dummy, d.MAC = false, act.MAC
	if act.NewName != act.Device {
		delete(a.codes, act.Device)
		delete(a.devices, act.Device)
		d.Name, c.Device = act.NewName, act.NewName
		a.verifiers[string(c.Verifier)] = act.NewName
		if pd, ok := v.s.devices[act.Device]; ok {
			delete(v.s.devices, act.Device)
			v.s.userDevices.remove(pd.Owner, act.Device)
			pd.Name = act.NewName
			v.s.devices[pd.Name] = pd
			v.s.userDevices.add(pd.Owner, pd.Name)
		}
	}
	a.devices[d.Name], a.codes[d.Name] = d, c
	return nil
}

// KeyCheck implements [onboarding.KeyStore].
func (o onboardingStore) KeyCheck(context.Context) ([]byte, error) {
	o.s.mu.RLock()
	defer o.s.mu.RUnlock()
	if o.s.activation.keyCheck == nil {
		return nil, fmt.Errorf("activation key check: %w", onboarding.ErrNotFound)
	}
	return bytes.Clone(o.s.activation.keyCheck), nil
}

// InitKeyCheck implements [onboarding.KeyStore].
func (o onboardingStore) InitKeyCheck(_ context.Context, check []byte, _ time.Time) (
	[]byte, error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	a := activationView{s: o.s}.init()
	if a.keyCheck == nil {
		a.keyCheck = bytes.Clone(check)
	}
	return bytes.Clone(a.keyCheck), nil
}

// DiscardKey implements [onboarding.KeyStore].
func (o onboardingStore) DiscardKey(_ context.Context, at time.Time) ([]string, error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	a := activationView{s: o.s}.init()
	var names []string
	for _, name := range slices.Sorted(maps.Keys(a.codes)) {
		c := a.codes[name]
		if c.State != onboarding.StateOutstanding {
			continue
		}
		c.State, c.ReleasedAt, c.Sealed = onboarding.StateReleased, stamp(at), nil
		a.codes[name] = c
		names = append(names, name)
	}
	a.keyCheck = nil
	return names, nil
}

// UndoFailure implements [selfcare.FailureUndoer].
func (s *Store) UndoFailure(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.failures[key]; ok && f.Count > 0 {
		f.Count--
		s.failures[key] = f
	}
	return nil
}

// copyCode returns c with its own copies of the byte slices.
func copyCode(c onboarding.Code) onboarding.Code {
	c.Sealed = bytes.Clone(c.Sealed)
	c.Verifier = bytes.Clone(c.Verifier)
	return c
}

// stampDevice and stampCode bring times to the stored precision.
func stampDevice(d onboarding.Device) onboarding.Device {
	d.ActivatedAt, d.ProvisionedAt = stamp(d.ActivatedAt), stamp(d.ProvisionedAt)
	return d
}

func stampCode(c onboarding.Code) onboarding.Code {
	c.IssuedAt, c.ExpiresAt = stamp(c.IssuedAt), stamp(c.ExpiresAt)
	c.UsedAt, c.ReleasedAt = stamp(c.UsedAt), stamp(c.ReleasedAt)
	return c
}

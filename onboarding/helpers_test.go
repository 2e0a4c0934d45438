package onboarding_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucselfcare/portal/onboarding"
)

// memStore is the in-memory Store of these tests: one mutex, so that every
// method is atomic, and copies in and out, so that a caller that keeps or
// changes a returned slice cannot reach the stored one.
type memStore struct {
	mu        sync.Mutex
	devices   map[string]onboarding.Device
	codes     map[string]onboarding.Code // by device name
	verifiers map[string]string          // verifier → device name
	keyCheck  []byte
}

var _ onboarding.KeyedStore = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{
		devices:   make(map[string]onboarding.Device),
		codes:     make(map[string]onboarding.Code),
		verifiers: make(map[string]string),
	}
}

func copyCode(c onboarding.Code) onboarding.Code {
	c.Sealed = bytes.Clone(c.Sealed)
	c.Verifier = bytes.Clone(c.Verifier)
	return c
}

func (s *memStore) CreateDevice(_ context.Context, d onboarding.Device) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.devices[d.Name]; ok {
		return onboarding.ErrExists
	}
	s.devices[d.Name] = d
	return nil
}

func (s *memStore) Device(_ context.Context, name string) (onboarding.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[name]
	if !ok {
		return onboarding.Device{}, onboarding.ErrNotFound
	}
	return d, nil
}

func (s *memStore) Devices(_ context.Context, owner string) ([]onboarding.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []onboarding.Device
	for _, n := range slices.Sorted(maps.Keys(s.devices)) {
		if d := s.devices[n]; owner == "" || d.Owner == owner {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *memStore) PutCode(_ context.Context, c onboarding.Code) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[c.Device]
	if !ok {
		return onboarding.ErrNotFound
	}
	if other, ok := s.verifiers[string(c.Verifier)]; ok && other != c.Device {
		return onboarding.ErrExists
	}
	if old, ok := s.codes[c.Device]; ok {
		delete(s.verifiers, string(old.Verifier))
	}
	s.codes[c.Device] = copyCode(c)
	s.verifiers[string(c.Verifier)] = c.Device
	d.RequiresActivation, d.Activated, d.ActivatedAt = true, false, time.Time{}
	s.devices[c.Device] = d
	return nil
}

func (s *memStore) Code(_ context.Context, device string) (onboarding.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[device]
	if !ok {
		return onboarding.Code{}, onboarding.ErrNotFound
	}
	return copyCode(c), nil
}

func (s *memStore) CodeByVerifier(_ context.Context, v []byte) (onboarding.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := s.verifiers[string(v)]
	if !ok {
		return onboarding.Code{}, onboarding.ErrNotFound
	}
	return copyCode(s.codes[name]), nil
}

func (s *memStore) OutstandingCodes(_ context.Context, owner string) (
	[]onboarding.DeviceCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []onboarding.DeviceCode
	for _, n := range slices.Sorted(maps.Keys(s.codes)) {
		c, d := s.codes[n], s.devices[n]
		if c.State == onboarding.StateOutstanding && (owner == "" || d.Owner == owner) {
			out = append(out, onboarding.DeviceCode{Device: d, Code: copyCode(c)})
		}
	}
	return out, nil
}

func (s *memStore) FirstOutstandingCodes(_ context.Context, owner string, n int) (
	[]onboarding.DeviceCode, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []onboarding.DeviceCode
	total := 0
	for _, name := range slices.Sorted(maps.Keys(s.codes)) {
		c, d := s.codes[name], s.devices[name]
		if c.State != onboarding.StateOutstanding || owner != "" && d.Owner != owner {
			continue
		}
		if total++; len(out) < n {
			out = append(out, onboarding.DeviceCode{Device: d, Code: copyCode(c)})
		}
	}
	return out, total, nil
}

func (s *memStore) AddAttempt(_ context.Context, device string) (onboarding.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[device]
	if !ok || c.State != onboarding.StateOutstanding {
		return onboarding.Code{}, onboarding.ErrNotFound
	}
	c.Attempts++
	s.codes[device] = c
	return copyCode(c), nil
}

func (s *memStore) ReleaseCode(_ context.Context, device string, verifier []byte,
	at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[device]
	if !ok || c.State != onboarding.StateOutstanding || !bytes.Equal(c.Verifier, verifier) {
		return onboarding.ErrNotFound
	}
	c.State, c.ReleasedAt, c.Sealed = onboarding.StateReleased, at, nil
	s.codes[device] = c
	return nil
}

func (s *memStore) SpendCode(_ context.Context, a onboarding.Activation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[a.Device]
	if !ok || c.State != onboarding.StateOutstanding || !bytes.Equal(c.Verifier, a.Verifier) ||
		!c.ExpiresAt.After(a.At) {
		return onboarding.ErrNotFound
	}
	if _, taken := s.devices[a.NewName]; taken && a.NewName != a.Device {
		return onboarding.ErrExists
	}
	d := s.devices[a.Device]
	c.State, c.UsedAt, c.Sealed = onboarding.StateUsed, a.At, nil
	d.Activated, d.ActivatedAt, d.RequiresActivation = true, a.At, false
	d.Dummy, d.MAC = false, a.MAC
	delete(s.codes, a.Device)
	delete(s.devices, a.Device)
	d.Name, c.Device = a.NewName, a.NewName
	s.devices[d.Name], s.codes[d.Name] = d, c
	s.verifiers[string(c.Verifier)] = d.Name
	return nil
}

func (s *memStore) KeyCheck(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyCheck == nil {
		return nil, onboarding.ErrNotFound
	}
	return bytes.Clone(s.keyCheck), nil
}

func (s *memStore) InitKeyCheck(_ context.Context, check []byte, _ time.Time) ([]byte,
	error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyCheck == nil {
		s.keyCheck = bytes.Clone(check)
	}
	return bytes.Clone(s.keyCheck), nil
}

func (s *memStore) DiscardKey(_ context.Context, at time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var released []string
	for _, n := range slices.Sorted(maps.Keys(s.codes)) {
		if c := s.codes[n]; c.State == onboarding.StateOutstanding {
			c.State, c.ReleasedAt, c.Sealed = onboarding.StateReleased, at, nil
			s.codes[n] = c
			released = append(released, n)
		}
	}
	s.keyCheck = nil
	return released, nil
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// auditLog records events; a non-nil fail makes every Audit fail.
type auditLog struct {
	mu     sync.Mutex
	events []onboarding.Event
	fail   error
}

func (a *auditLog) Audit(_ context.Context, e onboarding.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.events = append(a.events, e)
	return nil
}

// take returns the events recorded since the last call and forgets them.
func (a *auditLog) take() []onboarding.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	es := a.events
	a.events = nil
	return es
}

// count returns how many events recorded so far match action and outcome.
func (a *auditLog) count(action, outcome string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.events {
		if e.Action == action && e.Outcome == outcome {
			n++
		}
	}
	return n
}

// fixture is a Registry on a memStore with a settable clock.
type fixture struct {
	store  *memStore
	clock  *clock
	audit  *auditLog
	sealer *onboarding.Sealer
	reg    *onboarding.Registry
}

// testKey is a fixed activation key; these tests are about the registry,
// not about key generation.
var testKey = bytes.Repeat([]byte{0x42}, onboarding.KeySize)

func newFixture(tb testing.TB, cfg onboarding.Config) *fixture {
	tb.Helper()
	sealer, err := onboarding.NewSealer(testKey)
	if err != nil {
		tb.Fatalf("NewSealer: %v", err)
	}
	f := &fixture{store: newMemStore(), clock: newClock(), audit: &auditLog{},
		sealer: sealer}
	if cfg.Now == nil {
		cfg.Now = f.clock.Now
	}
	if cfg.Auditor == nil {
		cfg.Auditor = f.audit
	}
	f.reg = onboarding.New(f.store, sealer, cfg)
	return f
}

// provision adds a device for owner: with mac, or a dummy-named one when
// mac is empty.
func (f *fixture) provision(tb testing.TB, owner, model, mac string) onboarding.Device {
	tb.Helper()
	d, err := f.reg.ProvisionDevice(context.Background(), "admin",
		onboarding.Provision{MAC: mac, Model: model, Owner: owner})
	if err != nil {
		tb.Fatalf("ProvisionDevice(%q, %q, %q): %v", owner, model, mac, err)
	}
	return d
}

// issue issues a code for device and returns it.
func (f *fixture) issue(tb testing.TB, device string) onboarding.ReadyCode {
	tb.Helper()
	rc, err := f.reg.Issue(context.Background(), "admin", device)
	if err != nil {
		tb.Fatalf("Issue(%q): %v", device, err)
	}
	return rc
}

// redeem tries a code as the phone with mac and model, from source.
func (f *fixture) redeem(mac, model string, code string, source string) (
	onboarding.Device, error) {
	return f.reg.Redeem(context.Background(), onboarding.Attempt{MAC: mac, Model: model,
		Code: onboarding.Plaintext(code), Source: source})
}

// state returns the state of a device's code now.
func (f *fixture) state(tb testing.TB, device string) onboarding.State {
	tb.Helper()
	c, err := f.reg.Code(context.Background(), device)
	if err != nil {
		tb.Fatalf("Code(%q): %v", device, err)
	}
	return c.StateAt(f.clock.Now())
}

// wrongCode returns a valid code that differs from code.
func wrongCode(code onboarding.Plaintext) string {
	s := code.Reveal()
	last := (s[len(s)-1]-'0'+1)%10 + '0'
	return s[:len(s)-1] + string(last)
}

// lastRedeemFailure returns the detail of the last failed redemption event.
func (a *auditLog) lastRedeemFailure(tb testing.TB) string {
	tb.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.events) - 1; i >= 0; i-- {
		e := a.events[i]
		if e.Action == onboarding.ActionRedeem && e.Outcome == onboarding.OutcomeFailed {
			return e.Detail
		}
	}
	tb.Fatalf("no failed redemption audited")
	return ""
}

// errAuditDown stands for an audit trail that cannot be written.
var errAuditDown = errors.New("audit trail unavailable")

// describe prints events one a line, for failure messages.
func describe(es []onboarding.Event) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %s %s %s %q", e.Action, e.Device, e.Outcome, e.Detail)
	}
	return b.String()
}

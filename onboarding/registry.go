package onboarding

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// NoLimit, as the SourceLimit or GlobalLimit of a [Config], switches that
// limit off. Zero cannot say this because zero means "the default".
const NoLimit = -1

// Defaults for the zero fields of a [Config].
const (
	// DefaultTTL is the reference's Activation Time to Live (Hours), 168.
	DefaultTTL = 168 * time.Hour
	// DefaultMaxFailures is how many failed redemptions a code survives
	// before it is released and must be replaced.
	DefaultMaxFailures = 5
	// DefaultSourceLimit failures per DefaultSourceWindow from one address,
	// as the portal allows failed logins per address.
	DefaultSourceLimit  = 20
	DefaultSourceWindow = 15 * time.Minute
	// DefaultGlobalLimit failures per DefaultGlobalWindow for the whole
	// site: the ceiling that bounds guesses at dummy-named phones, whose
	// codes are bound to a model rather than to one phone. See the package
	// documentation for the arithmetic.
	DefaultGlobalLimit  = 1000
	DefaultGlobalWindow = time.Hour
	// DefaultMaxShown is how many phones one view of a user's phones ready
	// to activate shows: enough for a desk, few enough that a user with
	// thousands of codes gets a page, and audit events, of bounded size.
	DefaultMaxShown = 20
)

// Config configures a [Registry]. Zero fields mean the Default values.
type Config struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of codes and dummy names; nil means crypto/rand.
	Rand io.Reader
	// Logger receives operational logs, never a code; nil discards them.
	Logger *slog.Logger
	// TTL returns the time to live of a new code. It is called at each
	// issue, so that a change of the Activation Time to Live parameter
	// applies at once. Nil, or a result of zero or less, means DefaultTTL.
	TTL func() time.Duration
	// MaxFailures is how many failed redemptions a code survives; the one
	// that reaches it releases the code.
	MaxFailures int
	// Counter keeps the source and site-wide failure counts; nil counts in
	// this process only, which suits a single portal process.
	Counter Counter
	// SourceLimit is how many failed redemptions one source address may
	// have per SourceWindow; NoLimit switches the limit off (for example when
	// every phone reaches the portal through one proxy).
	SourceLimit  int
	SourceWindow time.Duration
	// GlobalLimit is how many failed redemptions the whole site may have per
	// GlobalWindow; NoLimit switches the ceiling off, and with it the bound
	// on guessing the codes of dummy-named phones.
	GlobalLimit  int
	GlobalWindow time.Duration
	// Auditor receives an event for every provision, issue, view, export,
	// release and redemption; nil records nothing.
	Auditor Auditor
	// MaxShown is how many phones [Registry.ReadyToActivate] shows at
	// most; the others are only counted.
	MaxShown int
}

// Registry keeps the devices awaiting activation and their codes: it
// provisions devices, issues, replaces and releases codes, shows users
// their phones ready to activate, exports outstanding codes and redeems
// codes for phones. It is safe for concurrent use.
//
// The Registry does not decide who may call it: the portal checks that an
// administrator holds the right privileges and that the user calling
// [Registry.ReadyToActivate] is who they say and may see the feature.
type Registry struct {
	store        Store
	sealer       *Sealer
	now          func() time.Time
	rand         io.Reader
	log          *slog.Logger
	ttl          func() time.Duration
	maxFailures  int
	counter      Counter
	sourceLimit  int
	sourceWindow time.Duration
	globalLimit  int
	globalWindow time.Duration
	auditor      Auditor
	maxShown     int

	attempts, failures, throttled, activations, issued, released atomic.Uint64
}

// New returns a Registry that keeps its data in store and its codes sealed
// by sealer. It panics if store or sealer is nil.
func New(store Store, sealer *Sealer, cfg Config) *Registry {
	if store == nil || sealer == nil {
		panic("onboarding: New needs a store and a sealer")
	}
	r := &Registry{
		store:        store,
		sealer:       sealer,
		now:          cfg.Now,
		rand:         cfg.Rand,
		log:          cfg.Logger,
		ttl:          cfg.TTL,
		maxFailures:  cfg.MaxFailures,
		counter:      cfg.Counter,
		sourceLimit:  limitOr(cfg.SourceLimit, DefaultSourceLimit),
		sourceWindow: cmp.Or(max(cfg.SourceWindow, 0), DefaultSourceWindow),
		globalLimit:  limitOr(cfg.GlobalLimit, DefaultGlobalLimit),
		globalWindow: cmp.Or(max(cfg.GlobalWindow, 0), DefaultGlobalWindow),
		auditor:      cfg.Auditor,
		maxShown:     cfg.MaxShown,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.rand == nil {
		r.rand = rand.Reader
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.maxFailures <= 0 {
		r.maxFailures = DefaultMaxFailures
	}
	if r.maxShown <= 0 {
		r.maxShown = DefaultMaxShown
	}
	if r.counter == nil {
		r.counter = newMemCounter()
	}
	if r.auditor == nil {
		r.auditor = noAudit{}
	}
	return r
}

// limitOr maps a configured limit: NoLimit stays, zero and other negative
// values become def.
func limitOr(v, def int) int {
	if v == NoLimit || v > 0 {
		return v
	}
	return def
}

// codeTTL returns the time to live of a code issued now.
func (r *Registry) codeTTL() time.Duration {
	if r.ttl != nil {
		if d := r.ttl(); d > 0 {
			return d
		}
	}
	return DefaultTTL
}

// Provision describes a phone an administrator adds.
type Provision struct {
	// MAC is the phone's MAC address in any form [ParseMAC] accepts, or
	// empty for a phone whose MAC is not known yet: it then gets a dummy
	// name and its codes are bound to its model.
	MAC string
	// Name may be left empty. With a MAC it must be "SEP" and that MAC;
	// without, a dummy name ("BAT" and 12 hexadecimal digits) to keep, as
	// when importing phones provisioned elsewhere.
	Name  string
	Model string
	Owner string
}

// dummyNameTries bounds the draws of a free dummy name; with 2^48 names a
// second draw is already rare.
const dummyNameTries = 4

// ProvisionDevice adds a phone on behalf of the administrator actor. It
// returns [ErrInvalid] for a malformed MAC, name, model or owner, and
// [ErrExists] when the name is taken. The owner's existence is the
// caller's to check.
func (r *Registry) ProvisionDevice(ctx context.Context, actor string, p Provision) (Device,
	error) {
	model, err := cleanModel(p.Model)
	if err != nil {
		return Device{}, err
	}
	if err := checkOwner(p.Owner); err != nil {
		return Device{}, err
	}
	name, err := r.provisionName(p)
	if err != nil {
		return Device{}, err
	}
	d := Device{Model: model, Owner: p.Owner, ProvisionedAt: r.now()}
	if mac, ok := strings.CutPrefix(name, PrefixMAC); ok {
		d.MAC = mac
	} else {
		d.Dummy = true
	}

	// A generated name may collide; a given one may not.
	for try := 0; ; try++ {
		d.Name = name
		if d.Name == "" {
			if d.Name, err = dummyName(r.rand); err != nil {
				return Device{}, err
			}
		}
		err = r.store.CreateDevice(ctx, d)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrExists) || name != "" || try == dummyNameTries-1 {
			return Device{}, fmt.Errorf("onboarding: provisioning %s: %w", d.Name, err)
		}
	}

	detail := fmt.Sprintf("model %q, owner %q", d.Model, d.Owner)
	if d.Dummy {
		detail += ", dummy name, codes bound to the model"
	}
	r.audit(ctx, Event{Actor: actor, Action: ActionProvision, Device: d.Name,
		Outcome: OutcomeOK, Detail: detail})
	r.log.Info("onboarding: device provisioned", "device", d.Name, "model", d.Model,
		"owner", d.Owner)
	return d, nil
}

// provisionName checks the name and MAC of p and returns the device name,
// or "" when a dummy name is to be generated.
func (r *Registry) provisionName(p Provision) (string, error) {
	if p.MAC != "" {
		mac, err := ParseMAC(p.MAC)
		if err != nil {
			return "", err
		}
		name := PrefixMAC + mac
		if p.Name != "" && p.Name != name {
			return "", fmt.Errorf("%w: name: %s does not match the MAC, want %s",
				ErrInvalid, quoteName(p.Name), name)
		}
		return name, nil
	}
	if p.Name == "" {
		return "", nil
	}
	if !validName(p.Name) || p.Name[:3] != PrefixDummy {
		return "", fmt.Errorf("%w: name: without a MAC, want %s and 12 upper-case "+
			"hexadecimal digits", ErrInvalid, PrefixDummy)
	}
	return p.Name, nil
}

// Device returns one device, or [ErrNotFound].
func (r *Registry) Device(ctx context.Context, name string) (Device, error) {
	d, err := r.store.Device(ctx, name)
	if err != nil {
		return Device{}, fmt.Errorf("onboarding: device %s: %w", quoteName(name), err)
	}
	return d, nil
}

// Devices returns the devices of owner, or every device when owner is
// empty, ordered by name.
func (r *Registry) Devices(ctx context.Context, owner string) ([]Device, error) {
	ds, err := r.store.Devices(ctx, owner)
	if err != nil {
		return nil, fmt.Errorf("onboarding: devices: %w", err)
	}
	return ds, nil
}

// Code returns the record of a device's code, without the code itself, or
// [ErrNotFound]; [Code.StateAt] tells its state.
func (r *Registry) Code(ctx context.Context, device string) (Code, error) {
	c, err := r.store.Code(ctx, device)
	if err != nil {
		return Code{}, fmt.Errorf("onboarding: code of %s: %w", quoteName(device), err)
	}
	return c, nil
}

// RequireActivation marks a device as requiring an activation code and
// makes sure it has an outstanding one, issuing a code unless an unexpired
// one is outstanding. The code is not returned: the owner sees it in the
// portal, and administrators export it. It returns [ErrNotFound] for an
// unknown device.
func (r *Registry) RequireActivation(ctx context.Context, actor, device string) error {
	d, c, err := r.deviceAndCode(ctx, device)
	if err != nil {
		return err
	}
	if c.StateAt(r.now()) == StateOutstanding {
		return nil
	}
	_, err = r.issue(ctx, actor, d, ActionIssue, false)
	return err
}

// Issue issues a code for a device that has no outstanding one and marks
// the device as requiring activation (even one already activated, which
// then onboards again). It returns [ErrExists] when an unexpired code is
// outstanding, and [ErrNotFound] for an unknown device. The answer carries
// the code for the administrator and is audited as such.
func (r *Registry) Issue(ctx context.Context, actor, device string) (ReadyCode, error) {
	d, c, err := r.deviceAndCode(ctx, device)
	if err != nil {
		return ReadyCode{}, err
	}
	if c.StateAt(r.now()) == StateOutstanding {
		return ReadyCode{}, fmt.Errorf("onboarding: %s has an outstanding code; "+
			"replace it: %w", d.Name, ErrExists)
	}
	return r.issue(ctx, actor, d, ActionIssue, true)
}

// Replace issues a new code for a device whatever the state of its old one,
// which stops working at once. It returns [ErrNotFound] for an unknown
// device.
func (r *Registry) Replace(ctx context.Context, actor, device string) (ReadyCode, error) {
	d, _, err := r.deviceAndCode(ctx, device)
	if err != nil {
		return ReadyCode{}, err
	}
	return r.issue(ctx, actor, d, ActionReplace, true)
}

// deviceAndCode returns a device and its code; a zero Code when it has
// none.
func (r *Registry) deviceAndCode(ctx context.Context, name string) (Device, Code, error) {
	d, err := r.Device(ctx, name)
	if err != nil {
		return Device{}, Code{}, err
	}
	c, err := r.store.Code(ctx, d.Name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Device{}, Code{}, fmt.Errorf("onboarding: code of %s: %w", d.Name, err)
	}
	return d, c, nil
}

// issueTries bounds the draws of a code whose verifier is free; a
// collision among 10^16 codes is already rare.
const issueTries = 4

// issue draws, seals and stores a new code for d. When disclose is true
// the code is returned, and only if its audit event was recorded.
func (r *Registry) issue(ctx context.Context, actor string, d Device, action string,
	disclose bool) (ReadyCode, error) {
	now := r.now()
	b := Binding{MAC: d.MAC, Model: d.Model}
	var (
		code   Plaintext
		sealed []byte
		c      Code
		err    error
	)
	for try := 0; ; try++ {
		if code, err = GenerateCode(r.rand); err != nil {
			return ReadyCode{}, err
		}
		if sealed, err = r.sealer.Seal(code, d.Name); err != nil {
			return ReadyCode{}, err
		}
		c = Code{Device: d.Name, Sealed: sealed, Verifier: r.sealer.Verifier(b, code),
			BoundTo: b, IssuedAt: now, ExpiresAt: now.Add(r.codeTTL()),
			State: StateOutstanding}
		err = r.store.PutCode(ctx, c)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrExists) || try == issueTries-1 {
			return ReadyCode{}, fmt.Errorf("onboarding: issuing a code for %s: %w", d.Name, err)
		}
	}
	r.issued.Add(1)

	e := Event{Actor: actor, Action: action, Device: d.Name, Outcome: OutcomeOK,
		Detail: "expires " + c.ExpiresAt.UTC().Format(time.RFC3339)}
	if disclose {
		e.Detail += "; code shown to the administrator"
	}
	if !disclose {
		r.audit(ctx, e)
	} else if err := r.auditDisclosure(ctx, e); err != nil {
		return ReadyCode{}, err
	}
	r.log.Info("onboarding: code issued", "device", d.Name, "action", action,
		"expires", c.ExpiresAt)
	if !disclose {
		return ReadyCode{}, nil
	}
	return ReadyCode{Device: d.Name, Model: d.Model, Owner: d.Owner,
		State: StateOutstanding, Code: code, IssuedAt: c.IssuedAt,
		ExpiresAt: c.ExpiresAt}, nil
}

// Release releases a device's outstanding (or expired) code: it stops
// working and is no longer shown; the device still requires activation, so
// a new code must be issued. It returns [ErrNotFound] when the device has
// no such code.
func (r *Registry) Release(ctx context.Context, actor, device string) error {
	c, err := r.store.Code(ctx, device)
	if err != nil {
		return fmt.Errorf("onboarding: releasing the code of %s: %w", quoteName(device), err)
	}
	if err := r.store.ReleaseCode(ctx, c.Device, c.Verifier, r.now()); err != nil {
		return fmt.Errorf("onboarding: releasing the code of %s: %w", c.Device, err)
	}
	r.released.Add(1)
	r.audit(ctx, Event{Actor: actor, Action: ActionRelease, Device: c.Device,
		Outcome: OutcomeOK})
	r.log.Info("onboarding: code released", "device", c.Device)
	return nil
}

// ReadyToActivate returns one view of the phones of userID that are ready
// to activate, ordered by device name: each outstanding code of a device
// userID owns, opened, with its expiry, and each expired one without its
// code, so that the user knows to ask for another. A view shows at most
// MaxShown phones and counts the rest, so that neither the page nor the
// audit trail grows with a user's codes. Each code shown is audited as
// viewed by userID from source, one event per code; a code whose event
// cannot be recorded is not shown, and the call fails. The caller makes
// sure that userID is the signed-in user and that the portal shows phones
// ready to activate.
func (r *Registry) ReadyToActivate(ctx context.Context, userID, source string) (
	ReadyList, error) {
	if checkOwner(userID) != nil {
		return ReadyList{}, fmt.Errorf("%w: user ID", ErrInvalid)
	}
	dcs, total, err := r.store.FirstOutstandingCodes(ctx, userID, r.maxShown)
	if err != nil {
		return ReadyList{}, fmt.Errorf("onboarding: phones ready to activate: %w", err)
	}
	slices.SortFunc(dcs, func(a, b DeviceCode) int {
		return cmp.Compare(a.Device.Name, b.Device.Name)
	})

	// The owner is checked again, as in open, for a store that ignored it.
	now := r.now()
	list := ReadyList{More: max(total-len(dcs), 0)}
	for _, dc := range dcs {
		d, c := dc.Device, dc.Code
		st := c.StateAt(now)
		if d.Owner != userID || c.Device != d.Name ||
			st != StateOutstanding && st != StateExpired {
			continue
		}
		if len(list.Phones) == r.maxShown {
			list.More++
			continue
		}
		rc := ReadyCode{Device: d.Name, Model: d.Model, Owner: d.Owner, State: st,
			IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt}
		if st == StateOutstanding {
			if rc.Code, err = r.sealer.Open(c.Sealed, d.Name); err != nil {
				// Not shown, so counted among the others.
				r.log.ErrorContext(ctx, "onboarding: stored code cannot be opened; "+
					"replace it", "device", d.Name, "err", err)
				list.More++
				continue
			}
		}
		list.Phones = append(list.Phones, rc)
	}

	for _, rc := range list.Phones {
		if rc.State != StateOutstanding {
			continue
		}
		err := r.auditDisclosure(ctx, Event{Actor: userID, Action: ActionView,
			Device: rc.Device, Outcome: OutcomeOK, Source: source})
		if err != nil {
			return ReadyList{}, err
		}
	}
	return list, nil
}

// Export returns every outstanding, unexpired code with its device and
// owner, for an administrator to hand out (see [WriteCSV]). The export is
// audited first, and nothing is returned if that fails: this suits an
// answer that cannot be taken back once sent. Use [Registry.ExportTo] for
// a file.
func (r *Registry) Export(ctx context.Context, actor string) ([]ReadyCode, error) {
	out, err := r.outstanding(ctx)
	if err != nil {
		return nil, err
	}
	err = r.auditDisclosure(ctx, Event{Actor: actor, Action: ActionExport,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%d outstanding codes", len(out))})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ExportTo hands every outstanding, unexpired code to deliver, which puts
// them where the administrator asked, such as a file, and audits the
// export once deliver has returned: as done when it returned nil, and as
// failed, with its error, otherwise. So the trail never says that codes
// were exported when they were not. It returns deliver's error; or, when
// the event of a delivery that worked cannot be recorded, that error, and
// the caller must then take back what deliver did (remove the file), so
// that no code is disclosed without a trace.
func (r *Registry) ExportTo(ctx context.Context, actor string,
	deliver func([]ReadyCode) error) error {
	out, err := r.outstanding(ctx)
	if err != nil {
		return err
	}
	e := Event{Actor: actor, Action: ActionExport, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("%d outstanding codes", len(out))}
	if derr := deliver(out); derr != nil {
		e.Outcome = OutcomeFailed
		e.Detail += fmt.Sprintf(", not delivered: %v", derr)
		r.audit(ctx, e)
		return fmt.Errorf("onboarding: export: %w", derr)
	}
	return r.auditDisclosure(ctx, e)
}

// outstanding returns every outstanding, unexpired code, opened.
func (r *Registry) outstanding(ctx context.Context) ([]ReadyCode, error) {
	dcs, err := r.store.OutstandingCodes(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("onboarding: export: %w", err)
	}
	return r.open(ctx, dcs, "")
}

// open opens the unexpired codes of dcs owned by owner (any owner when
// empty). The owner is checked again here so that a store that ignored it
// still shows nobody another user's code.
func (r *Registry) open(ctx context.Context, dcs []DeviceCode, owner string) (
	[]ReadyCode, error) {
	now := r.now()
	out := make([]ReadyCode, 0, len(dcs))
	for _, dc := range dcs {
		d, c := dc.Device, dc.Code
		if owner != "" && d.Owner != owner || c.Device != d.Name ||
			c.StateAt(now) != StateOutstanding {
			continue
		}
		code, err := r.sealer.Open(c.Sealed, d.Name)
		if err != nil {
			// Nobody above can repair it; the other codes are still good.
			r.log.ErrorContext(ctx, "onboarding: stored code cannot be opened; replace it",
				"device", d.Name, "err", err)
			continue
		}
		out = append(out, ReadyCode{Device: d.Name, Model: d.Model, Owner: d.Owner,
			State: StateOutstanding, Code: code, IssuedAt: c.IssuedAt,
			ExpiresAt: c.ExpiresAt})
	}
	slices.SortFunc(out, func(a, b ReadyCode) int { return cmp.Compare(a.Device, b.Device) })
	return out, nil
}

// Stats returns the counters of this Registry; they count in this process
// only.
func (r *Registry) Stats() Stats {
	return Stats{
		Attempts:    r.attempts.Load(),
		Failures:    r.failures.Load(),
		Throttled:   r.throttled.Load(),
		Activations: r.activations.Load(),
		Issued:      r.issued.Load(),
		Released:    r.released.Load(),
	}
}

// Odds bound the chance of guessing an activation code during its time to
// live under a configuration; the package documentation explains them.
type Odds struct {
	// MACGuesses is how many guesses can ever be checked against a code
	// bound to a MAC; MACBound the chance that one of them finds it.
	MACGuesses int64
	MACBound   float64
	// ModelGuesses is how many failed guesses the whole site may make while
	// a code of a dummy-named phone lives; each could find it, so ModelBound
	// is the chance that one does. A code is found with a chance this many
	// times larger by guesses aimed at any of that many codes of one model.
	ModelGuesses int64
	ModelBound   float64
}

// Odds returns the bounds under the configuration in force, with the time
// to live a code issued now would get. Without a site-wide ceiling, nothing
// bounds guesses at dummy-named phones and ModelBound is 1.
func (r *Registry) Odds() Odds {
	o := Odds{MACGuesses: int64(r.maxFailures)}
	o.MACBound = float64(o.MACGuesses) / float64(codeSpace)
	if r.globalLimit == NoLimit {
		o.ModelGuesses, o.ModelBound = math.MaxInt64, 1
		return o
	}
	// Windows start one after another, so a life of ttl overlaps at most
	// ceil(ttl/window) windows starting in it and one already running.
	ttl := r.codeTTL()
	windows := int64((ttl+r.globalWindow-1)/r.globalWindow) + 1
	o.ModelGuesses = windows * int64(r.globalLimit)
	o.ModelBound = min(1, float64(o.ModelGuesses)/float64(codeSpace))
	return o
}

// audit records an event that discloses nothing; a failure is logged.
func (r *Registry) audit(ctx context.Context, e Event) {
	if err := r.auditDisclosure(ctx, e); err != nil {
		r.log.ErrorContext(ctx, "onboarding: audit event lost", "action", e.Action,
			"device", e.Device, "err", err)
	}
}

// auditDisclosure records an event and returns the error, for callers that
// must not disclose a code that was not audited.
func (r *Registry) auditDisclosure(ctx context.Context, e Event) error {
	e.Time = r.now()
	e.Actor, e.Source = cleanField(e.Actor), cleanField(e.Source)
	// The request may be ending; the event must still be written.
	if err := r.auditor.Audit(context.WithoutCancel(ctx), e); err != nil {
		return fmt.Errorf("onboarding: audit: %w", err)
	}
	return nil
}

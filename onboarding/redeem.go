package onboarding

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Redeem activates the phone that sends a code: it succeeds only for an
// outstanding, unexpired code bound to the phone's MAC, or to its model
// when the code belongs to a dummy-named phone, and then, in one store
// transaction, spends the code, marks the device activated and renames a
// dummy-named device "SEP" and the MAC. Of concurrent redemptions of one
// code, exactly one succeeds.
//
// Every failure answers [ErrRedeemFailed] and nothing else: a wrong,
// expired, used or released code, a mismatched MAC or model, malformed
// input, a throttled source, even a store failure. The cause goes to the
// audit trail. A code survives MaxFailures failed attempts and is then
// released; failures also count against the source address and against
// the site-wide ceiling of the [Config].
func (r *Registry) Redeem(ctx context.Context, a Attempt) (Device, error) {
	r.attempts.Add(1)
	now := r.now()

	// The attempt counts as a failure against its source and the site
	// before the code is looked at, so that concurrent guesses cannot
	// overrun a limit; a success gives its counts back.
	held, o := r.hold(ctx, a.Source, now)
	if o.cause == "" && o.err == nil {
		o = r.redeem(ctx, a, now)
	}
	if o.cause == "" && o.err == nil {
		r.giveBack(ctx, held)
		r.activated(ctx, a, o)
		return o.device, nil
	}

	r.failures.Add(1)
	if o.throttled {
		r.throttled.Add(1)
	}
	if o.err != nil {
		// Logged, not returned: the phone must not tell this apart.
		r.log.ErrorContext(ctx, "onboarding: redemption failed on an error",
			"device", o.target, "err", o.err)
		o.cause = "internal error"
	}
	r.audit(ctx, Event{Action: ActionRedeem, Device: o.target, Outcome: OutcomeFailed,
		Detail: o.cause, Source: a.Source})
	r.log.DebugContext(ctx, "onboarding: activation refused", "attempt", a,
		"device", o.target, "cause", o.cause)
	return Device{}, ErrRedeemFailed
}

// outcome is the result of one redemption attempt.
type outcome struct {
	// device is the activated device, and renamedFrom its dummy name.
	device      Device
	renamedFrom string
	// target is the device name the attempt concerned, when known.
	target string
	// cause says why the attempt failed, in words for the audit trail.
	cause     string
	throttled bool
	// err is a failure of the store or the counter.
	err error
}

// hold counts one failure for the source and one for the site, and returns
// the keys counted and, when a limit is exceeded, the refusal.
func (r *Registry) hold(ctx context.Context, source string, now time.Time) ([]string,
	outcome) {
	limits := []struct {
		key    string
		limit  int
		window time.Duration
		cause  string
	}{
		{sourceKey(source), r.sourceLimit, r.sourceWindow, "too many failures from the source"},
		{keyGlobal, r.globalLimit, r.globalWindow, "site-wide failure ceiling reached"},
	}
	var held []string
	for _, l := range limits {
		if l.limit == NoLimit {
			continue
		}
		n, err := r.counter.AddFailure(ctx, l.key, now, l.window)
		if err != nil {
			return held, outcome{err: fmt.Errorf("counting failures: %w", err)}
		}
		held = append(held, l.key)
		if n > l.limit {
			return held, outcome{cause: l.cause, throttled: true}
		}
	}
	return held, outcome{}
}

// giveBack returns the failures that hold counted for an attempt that
// succeeded.
func (r *Registry) giveBack(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := r.counter.UndoFailure(ctx, k); err != nil {
			// The count stays one too high until its window ends.
			r.log.WarnContext(ctx, "onboarding: giving back a failure count", "err", err)
		}
	}
}

// sourceKey is the counter key of a source address, bounded in length.
func sourceKey(source string) string {
	if len(source) > maxSourceKey {
		source = source[:maxSourceKey]
	}
	return keySource + source
}

// redeem checks an attempt and, when it holds, spends the code.
func (r *Registry) redeem(ctx context.Context, a Attempt, now time.Time) outcome {
	code, err := Normalize(a.Code.Reveal())
	if err != nil {
		return outcome{cause: "malformed code"}
	}
	mac, err := ParseMAC(a.MAC)
	if err != nil {
		return outcome{cause: "malformed MAC"}
	}
	model, err := cleanModel(a.Model)
	if err != nil {
		return outcome{cause: "malformed model"}
	}
	name := PrefixMAC + mac

	// A phone provisioned with its MAC has its own record, and its code
	// counts every attempt made at it.
	c, err := r.store.AddAttempt(ctx, name)
	if err == nil {
		return r.redeemBound(ctx, c, mac, model, code, now)
	}
	if !errors.Is(err, ErrNotFound) {
		return outcome{target: name, err: err}
	}

	// Otherwise it may be a dummy-named phone, whose code is bound to the
	// model and found through its verifier. These guesses name no device;
	// the site-wide ceiling bounds them.
	v := r.sealer.Verifier(Binding{Model: model}, code)
	c, err = r.store.CodeByVerifier(ctx, v)
	if errors.Is(err, ErrNotFound) {
		return outcome{target: name,
			cause: "no outstanding code for the MAC, and no code of the model matches"}
	}
	if err != nil {
		return outcome{target: name, err: err}
	}
	o := outcome{target: c.Device}
	switch st := c.StateAt(now); {
	case c.BoundTo.MAC != "" || !hmac.Equal(c.Verifier, v):
		// Only a store that returned the wrong row gets here.
		o.cause = "code found is not bound to the model"
	case st != StateOutstanding:
		o.cause = "code " + string(st)
	default:
		return r.spend(ctx, c, name, mac, now)
	}
	return o
}

// redeemBound checks an attempt at the code of the phone's own record,
// whose Attempts already counts this attempt.
func (r *Registry) redeemBound(ctx context.Context, c Code, mac, model string,
	code Plaintext, now time.Time) outcome {
	o := outcome{target: c.Device}
	if c.Attempts > r.maxFailures {
		// The attempt that reached the limit releases the code, unless an
		// earlier one is about to succeed; this one checks nothing.
		o.cause = "attempt limit reached"
		return o
	}
	switch {
	case c.StateAt(now) == StateExpired:
		o.cause = "code expired"
	case !strings.EqualFold(c.BoundTo.Model, model):
		o.cause = "model does not match"
	case c.BoundTo.MAC != mac:
		o.cause = "code bound to another MAC"
	case !hmac.Equal(c.Verifier, r.sealer.Verifier(c.BoundTo, code)):
		o.cause = "wrong code"
	default:
		return r.spend(ctx, c, c.Device, mac, now)
	}
	if c.Attempts == r.maxFailures && r.releaseAfterFailures(ctx, c, now) {
		o.cause += fmt.Sprintf("; code released after %d failed attempts", c.Attempts)
	}
	return o
}

// spend redeems c for the phone with mac, naming its device newName.
func (r *Registry) spend(ctx context.Context, c Code, newName, mac string,
	now time.Time) outcome {
	err := r.store.SpendCode(ctx, Activation{Device: c.Device, Verifier: c.Verifier,
		NewName: newName, MAC: mac, At: now})
	switch {
	case errors.Is(err, ErrNotFound):
		return outcome{target: c.Device, cause: "code already used, released or replaced"}
	case errors.Is(err, ErrExists):
		return outcome{target: c.Device, cause: "device " + newName + " already exists"}
	case err != nil:
		return outcome{target: c.Device, err: err}
	}

	o := outcome{target: newName}
	if newName != c.Device {
		o.renamedFrom = c.Device
	}
	o.device, err = r.store.Device(ctx, newName)
	if err != nil {
		// The phone is activated; only the answer is short of details.
		r.log.WarnContext(ctx, "onboarding: reading an activated device", "device", newName,
			"err", err)
		o.device = Device{Name: newName, Model: c.BoundTo.Model, MAC: mac,
			Activated: true, ActivatedAt: now}
	}
	return o
}

// releaseAfterFailures releases a code that reached the attempt limit and
// reports whether this call released it.
func (r *Registry) releaseAfterFailures(ctx context.Context, c Code, now time.Time) bool {
	err := r.store.ReleaseCode(ctx, c.Device, c.Verifier, now)
	if errors.Is(err, ErrNotFound) {
		return false // used or replaced meanwhile
	}
	if err != nil {
		r.log.ErrorContext(ctx, "onboarding: releasing a code after failed attempts",
			"device", c.Device, "err", err)
		return false
	}
	r.released.Add(1)
	r.audit(ctx, Event{Action: ActionRelease, Device: c.Device, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("released after %d failed attempts; a new code must be issued",
			c.Attempts)})
	r.log.WarnContext(ctx, "onboarding: code released after failed attempts",
		"device", c.Device, "attempts", c.Attempts)
	return true
}

// activated records a successful redemption.
func (r *Registry) activated(ctx context.Context, a Attempt, o outcome) {
	r.activations.Add(1)
	detail := "device activated"
	if o.renamedFrom != "" {
		detail += ", renamed from " + o.renamedFrom
	}
	r.audit(ctx, Event{Action: ActionRedeem, Device: o.device.Name, Outcome: OutcomeOK,
		Detail: detail, Source: a.Source})
	r.log.InfoContext(ctx, "onboarding: device activated", "device", o.device.Name,
		"renamed_from", o.renamedFrom, "model", o.device.Model, "source", a.Source)
}

// maxEventField bounds a request-supplied field of an audit event.
const maxEventField = 256

// cleanField makes request-supplied text safe for the audit trail: valid
// UTF-8, no control characters (no forged line breaks), bounded length.
func cleanField(s string) string {
	if len(s) <= maxEventField && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) > maxEventField {
		s = strings.ToValidUTF8(s[:maxEventField], "") + "…"
	}
	return s
}

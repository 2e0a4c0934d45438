package params

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ucselfcare/portal/acl"
)

// Values is an immutable snapshot of every parameter's value. It is safe to
// share between goroutines and cheap to copy.
//
// The zero Values holds no set value: every parameter has its default. Use
// [NewValues] to build one from what a store holds, and [Values.Apply] to
// derive the next one.
//
// The typed getters never fail at run time, because every value was
// validated on its way in. They panic when key is not a parameter of the
// matching kind: that is a bug in the caller, which any test running the
// line finds. Code that handles keys typed by a person uses [Values.Setting]
// or [Validate], which return errors instead.
type Values struct {
	s *valueSet
}

type valueSet struct {
	// eff holds every parameter of the table: its set value or default.
	eff map[string]entry
	// stored holds what the store held for each known key, valid or not.
	stored map[string]storedValue
}

type entry struct {
	def *Definition
	v   value
}

type storedValue struct {
	raw string
	err error // why raw was refused; nil when it is in force
}

// NewValues builds a snapshot from the values an administrator set, keyed
// by parameter key, checking server names against c.
//
// It always returns a usable Values. A stored value that does not validate
// is not in force: its default applies, [Values.Setting] reports the value
// and why it was refused, and the returned error (built with errors.Join)
// lists it. So does a key the table does not know, which is dropped. A
// caller loading from a store typically logs the error and carries on.
func NewValues(raw map[string]string, c Cluster) (Values, error) {
	s := &valueSet{
		eff:    make(map[string]entry, len(table)),
		stored: make(map[string]storedValue, len(raw)),
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		d := lookup(k)
		if d == nil {
			errs = append(errs, unknownKey(k))
			continue
		}
		v, err := d.validate(raw[k], c)
		s.stored[k] = storedValue{raw: raw[k], err: err}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.eff[k] = entry{def: d, v: v}
	}
	for i := range table {
		d := &table[i]
		if _, ok := s.eff[d.Key]; !ok {
			s.eff[d.Key] = entry{def: d, v: d.defaultValue()}
		}
	}
	return Values{s: s}, errors.Join(errs...)
}

// Defaults returns the snapshot in which no value is set. It behaves as the
// zero Values, with faster getters.
func Defaults() Values {
	v, _ := NewValues(nil, Cluster{}) // nothing to refuse
	return v
}

// defaultValue returns the parsed default. The table test proves that every
// default validates, so the fallback exists only to keep this total.
func (d *Definition) defaultValue() value {
	v, err := d.validate(d.Default, Cluster{})
	if err != nil {
		return value{text: d.Default}
	}
	return v
}

// get returns the effective value of key, which must be of kind k.
func (v Values) get(key string, k Kind, method string) value {
	var e entry
	if v.s != nil {
		e = v.s.eff[key]
	} else if d := lookup(key); d != nil {
		e = entry{def: d, v: d.defaultValue()}
	}
	switch {
	case e.def == nil:
		panic(fmt.Sprintf("params: Values.%s(%q): unknown parameter", method, key))
	case k != 0 && e.def.Kind != k:
		panic(fmt.Sprintf("params: Values.%s(%q): a %s parameter", method, key, e.def.Kind))
	}
	return e.v
}

// IsSet reports whether an administrator set a valid value for key; when
// it is false, the default applies. An unknown key is not set.
func (v Values) IsSet(key string) bool {
	if v.s == nil {
		return false
	}
	s, ok := v.s.stored[key]
	return ok && s.err == nil
}

// Value returns the value of key in canonical form, whatever its kind.
func (v Values) Value(key string) string { return v.get(key, 0, "Value").text }

// Bool returns the value of a [KindBool] parameter.
func (v Values) Bool(key string) bool { return v.get(key, KindBool, "Bool").b }

// Enum returns the option value of a [KindEnum] parameter.
func (v Values) Enum(key string) string { return v.get(key, KindEnum, "Enum").text }

// Int returns the value of a [KindInt] parameter.
func (v Values) Int(key string) int { return v.get(key, KindInt, "Int").n }

// Duration returns the value of a [KindDuration] parameter.
func (v Values) Duration(key string) time.Duration {
	return v.get(key, KindDuration, "Duration").d
}

// Server returns the value of a [KindServer] parameter: a server name as
// the cluster spells it, or [ServerNone].
func (v Values) Server(key string) string { return v.get(key, KindServer, "Server").text }

// Setting is one parameter as the administration lists it.
type Setting struct {
	Definition
	// Value is the value in force, canonical.
	Value string
	// Set reports that Value was set by an administrator rather than
	// being the default.
	Set bool
	// Stored is what the store holds for the parameter, if anything, as
	// it was written.
	Stored string
	// Err, when not nil, says why Stored was refused; the default applies.
	// It is a *ValidationError.
	Err error
}

// Setting returns the parameter key as the administration shows it, or an
// error matching [ErrUnknown].
func (v Values) Setting(key string) (Setting, error) {
	d := lookup(key)
	if d == nil {
		return Setting{}, unknownKey(key)
	}
	return v.setting(d), nil
}

// Settings returns every parameter in table order.
func (v Values) Settings() []Setting {
	out := make([]Setting, len(table))
	for i := range table {
		out[i] = v.setting(&table[i])
	}
	return out
}

func (v Values) setting(d *Definition) Setting {
	st := Setting{Definition: d.clone(), Value: v.Value(d.Key)}
	if v.s != nil {
		if s, ok := v.s.stored[d.Key]; ok {
			st.Stored, st.Err, st.Set = s.raw, s.err, s.err == nil
		}
	}
	return st
}

// Stored returns a copy of what the store held for the known parameters,
// valid or not, keyed by parameter key.
func (v Values) Stored() map[string]string {
	out := make(map[string]string)
	if v.s == nil {
		return out
	}
	for k, s := range v.s.stored {
		out[k] = s.raw
	}
	return out
}

// Change is one parameter change, as a store applies it and the audit
// trail records it.
type Change struct {
	Key string
	// Old and New are the values in force before and after the change,
	// canonical.
	Old, New string
	// Reset removes the stored value, so that the default (New) applies;
	// otherwise New is stored.
	Reset bool
	// Implied reports a change that follows from another one in the same
	// plan rather than from the administrator's request.
	Implied bool
}

// PlanSet validates raw for key and returns the changes that setting it
// makes, the requested one first. Only one rule implies a second change:
// setting an Intra-cluster Maximum Login Time other than 0:00 while its
// enforcement is off turns enforcement on, as the reference product does,
// since an administrator who enters a limit means it to apply.
//
// Errors are those of [Validate].
func (v Values) PlanSet(key, raw string, c Cluster) ([]Change, error) {
	d := lookup(key)
	if d == nil {
		return nil, unknownKey(key)
	}
	nv, err := d.validate(raw, c)
	if err != nil {
		return nil, err
	}
	plan := []Change{{Key: key, Old: v.Value(key), New: nv.text}}
	if key == KeyIntraClusterLoginTime && nv.d != 0 &&
		!v.Bool(KeyEnforceIntraClusterLoginTime) {
		plan = append(plan, Change{
			Key: KeyEnforceIntraClusterLoginTime, Old: "false", New: "true",
			Implied: true,
		})
	}
	return plan, nil
}

// PlanReset returns the change that removes the stored value of key, so
// that its default applies; nil when nothing is stored. An unknown key
// yields an error matching [ErrUnknown].
func (v Values) PlanReset(key string) ([]Change, error) {
	d := lookup(key)
	if d == nil {
		return nil, unknownKey(key)
	}
	if v.s == nil {
		return nil, nil
	}
	if _, ok := v.s.stored[key]; !ok {
		return nil, nil
	}
	return []Change{{Key: key, Old: v.Value(key), New: d.Default, Reset: true}}, nil
}

// Apply returns the snapshot that results from the changes, as a store
// would hold it after applying them. It refuses the whole plan, returning
// v and the first error, when a change names an unknown key or a value
// that does not validate against c; stored values that were already
// refused stay as they were.
func (v Values) Apply(changes []Change, c Cluster) (Values, error) {
	raw := v.Stored()
	for _, ch := range changes {
		d := lookup(ch.Key)
		if d == nil {
			return v, unknownKey(ch.Key)
		}
		if ch.Reset {
			delete(raw, ch.Key)
			continue
		}
		if _, err := d.validate(ch.New, c); err != nil {
			return v, err
		}
		raw[ch.Key] = ch.New
	}
	next, _ := NewValues(raw, c) // earlier refusals stay visible in Setting
	return next, nil
}

// Named getters for the values the portal reads on most requests.

// DefaultServerName returns the value of Self Care Portal Default Server: a
// server name or [ServerNone]. [DefaultServer] resolves it.
func (v Values) DefaultServerName() string { return v.Server(KeyDefaultServer) }

// ShowPhonesReadyToActivate returns Show Phones Ready to Activate.
func (v Values) ShowPhonesReadyToActivate() bool {
	return v.Bool(KeyShowPhonesReadyToActivate)
}

// ShowCallForwarding returns Show Call Forwarding.
func (v Values) ShowCallForwarding() CallForwardMode {
	return callForwardMode(v.Enum(KeyShowCallForwarding))
}

// PhoneServiceDisplay returns Phone Service Display.
func (v Values) PhoneServiceDisplay() PhoneServiceDisplay {
	return phoneServiceDisplay(v.Enum(KeyPhoneServiceDisplay))
}

// OverlapPolicy returns Effective Access Privileges For Overlapping User
// Groups and Roles, for [acl.ResolverConfig] and [acl.Resolver.SetPolicy].
func (v Values) OverlapPolicy() acl.OverlapPolicy {
	p, err := acl.ParseOverlapPolicy(v.Enum(KeyOverlapPolicy))
	if err != nil {
		// Unreachable, since the options are the policy names; the
		// stricter policy is the safer reading.
		return acl.Minimum
	}
	return p
}

// ActivationTTL returns Activation Time to Live (Hours) as a duration.
func (v Values) ActivationTTL() time.Duration {
	return time.Duration(v.Int(KeyActivationTTL)) * time.Hour
}

// ForwardMaxHops returns Forward Maximum Hop Count.
func (v Values) ForwardMaxHops() int { return v.Int(KeyForwardMaxHop) }

// EMServiceParams are the Extension Mobility service parameters that the
// login-time rule reads; see [EffectiveLoginTime].
type EMServiceParams struct {
	// EnforceIntra is Enforce Intra-cluster Maximum Login Time.
	EnforceIntra bool
	// IntraMax is Intra-cluster Maximum Login Time; 0 means no limit.
	IntraMax time.Duration
	// InterMax is Inter-cluster Maximum Login Time; 0 means no limit.
	InterMax time.Duration
}

// ExtensionMobility returns the Extension Mobility service parameters.
func (v Values) ExtensionMobility() EMServiceParams {
	return EMServiceParams{
		EnforceIntra: v.Bool(KeyEnforceIntraClusterLoginTime),
		IntraMax:     v.Duration(KeyIntraClusterLoginTime),
		InterMax:     v.Duration(KeyInterClusterLoginTime),
	}
}

// CredentialPolicy is the credential policy for passwords and PINs, with the
// reference's meanings of zero. The portal's authentication maps it onto its
// own configuration.
type CredentialPolicy struct {
	// FailedLogonThreshold is the number of failed logons that locks an
	// account; 0 never locks.
	FailedLogonThreshold int
	// ResetFailedAfter restarts the count of failed logons.
	ResetFailedAfter time.Duration
	// LockoutDuration is how long a locked account stays locked; 0 keeps
	// it locked until an administrator unlocks it.
	LockoutDuration time.Duration
	// ExpiresAfter is the life of a credential; 0 means it never expires.
	ExpiresAfter time.Duration
	// MinPasswordLength is in characters, MinPINLength in digits.
	MinPasswordLength int
	MinPINLength      int
	// History is how many of the latest credentials, the current one
	// included, a new credential must differ from, as selfcare counts
	// them; 0 and 1 both check the current one only.
	History int
	// TrivialCheck refuses trivial credentials (repeats, sequences, keypad
	// patterns, the user's own name or extension).
	TrivialCheck bool
}

// CredentialPolicy returns the credential policy parameters.
func (v Values) CredentialPolicy() CredentialPolicy {
	const day = 24 * time.Hour
	return CredentialPolicy{
		FailedLogonThreshold: v.Int(KeyFailedLogonThreshold),
		ResetFailedAfter:     time.Duration(v.Int(KeyResetFailedLogon)) * time.Minute,
		LockoutDuration:      time.Duration(v.Int(KeyLockoutDuration)) * time.Minute,
		ExpiresAfter:         time.Duration(v.Int(KeyCredentialExpiry)) * day,
		MinPasswordLength:    v.Int(KeyMinPasswordLength),
		MinPINLength:         v.Int(KeyMinPINLength),
		History:              v.Int(KeyCredentialHistory),
		TrivialCheck:         v.Bool(KeyTrivialCheck),
	}
}

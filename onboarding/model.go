package onboarding

import (
	"log/slog"
	"strings"
	"time"
)

// Device is a phone as device activation sees it. It may be the same phone
// as the portal's own device record (name, owner, model); this package
// keeps only what activation needs, keyed by the device name.
type Device struct {
	// Name is "SEP" and the MAC, or "BAT" and 12 random hexadecimal digits
	// for a phone provisioned without its MAC (see [PrefixDummy]).
	Name string
	// Model is the phone model as the phone reports it, such as
	// "Cisco 8845". Phones are matched against it case-insensitively.
	Model string
	// Owner is the user ID of the phone's owner, who sees its code.
	Owner string
	// MAC is 12 upper-case hexadecimal digits, empty while a dummy-named
	// phone is not activated.
	MAC string
	// Dummy is true while the name is a generated placeholder; activation
	// gives the phone its real name and clears it.
	Dummy bool
	// RequiresActivation is true from the first code issued until the
	// phone redeems one.
	RequiresActivation bool
	// Activated is true once the phone has redeemed a code, and false again
	// when a new code is issued for it.
	Activated   bool
	ActivatedAt time.Time
	// ProvisionedAt is when an administrator added the phone.
	ProvisionedAt time.Time
}

// Binding says which phone may redeem a code: the phone with this MAC, or
// when MAC is empty (a dummy-named phone) any phone of this model. The
// model must match in both cases.
type Binding struct {
	MAC   string
	Model string
}

// identity is what the verifier binds a code to: what the phone presents.
// Models compare case-insensitively, so the identity upper-cases them.
func (b Binding) identity() string {
	if b.MAC != "" {
		return "mac:" + b.MAC
	}
	return "model:" + strings.ToUpper(b.Model)
}

// State is the state of an activation code.
type State string

// States of a code. A store keeps only outstanding, used and released;
// expired is computed from the clock by [Code.StateAt].
const (
	StateOutstanding State = "outstanding"
	StateUsed        State = "used"
	StateExpired     State = "expired"
	StateReleased    State = "released"
)

// Code is the stored record of a device's activation code. It never holds
// the code itself: Sealed can be opened only with the activation key, and
// Verifier is a keyed hash. A device has at most one Code.
type Code struct {
	// Device is the name of the device the code belongs to.
	Device string
	// Sealed is the code encrypted by [Sealer.Seal] for Device; it is
	// dropped when the code is used or released.
	Sealed []byte
	// Verifier is [Sealer.Verifier] of BoundTo and the code; unique among
	// stored codes.
	Verifier []byte
	// BoundTo says which phone may redeem the code.
	BoundTo   Binding
	IssuedAt  time.Time
	ExpiresAt time.Time
	// State is StateOutstanding, StateUsed or StateReleased as stored; use
	// StateAt for the state at a given time.
	State State
	// Attempts counts the redemptions checked against this code. Each is
	// counted before the check, so concurrent guesses cannot exceed the
	// limit; for a code not used, every one of them failed.
	Attempts   int
	UsedAt     time.Time
	ReleasedAt time.Time
}

// StateAt returns the state of the code at now: an outstanding code whose
// time to live has passed is expired.
func (c Code) StateAt(now time.Time) State {
	if c.State == StateOutstanding && !now.Before(c.ExpiresAt) {
		return StateExpired
	}
	return c.State
}

// ReadyCode is an outstanding activation code opened for a person: an
// entry of a user's phones ready to activate, a row of an export, or the
// answer to an administrator who issued it.
type ReadyCode struct {
	Device string
	Model  string
	Owner  string
	// State is StateOutstanding, with the Code; or, among a user's phones
	// ready to activate only, StateExpired, without one, so that the user
	// learns to ask for a new code rather than see the phone vanish.
	State State
	// Code is masked when printed or logged; see [Plaintext].
	Code      Plaintext
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// ReadyList is one view of a user's phones ready to activate, as
// [Registry.ReadyToActivate] returns it.
type ReadyList struct {
	// Phones are the first phones by device name, at most the registry's
	// MaxShown: each with its code, or with StateExpired and no code.
	Phones []ReadyCode
	// More counts the user's other phones awaiting activation, which the
	// view leaves out.
	More int
}

// Attempt is what a phone sends to redeem a code.
type Attempt struct {
	// MAC is the phone's MAC address, in any form [ParseMAC] accepts.
	MAC string
	// Model is the phone's model.
	Model string
	// Code is what the user typed or the phone scanned, in any form
	// [Normalize] accepts. It is masked when printed or logged.
	Code Plaintext
	// Source is the network address the attempt came from (without a
	// port), which failures are counted against. Empty sources share one
	// counter.
	Source string
}

// LogValue leaves the code out of log lines.
func (a Attempt) LogValue() slog.Value {
	return slog.GroupValue(slog.String("mac", a.MAC), slog.String("model", a.Model),
		slog.String("source", a.Source))
}

// Stats are the counters of a [Registry] since it was made, in the manner of
// the reference's ActivationCodeAttempts and ActivationCodeFails.
type Stats struct {
	// Attempts counts calls to Redeem; Failures those that failed, of which
	// Throttled were refused by a source or site-wide limit before any
	// check; Activations those that succeeded.
	Attempts    uint64
	Failures    uint64
	Throttled   uint64
	Activations uint64
	// Issued counts codes issued or replaced; Released counts codes released
	// by an administrator or after too many failed attempts.
	Issued   uint64
	Released uint64
}

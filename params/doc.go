// Package params holds the enterprise and service parameters that shape the
// Self Care portal, the user profiles, the feature gates that follow from the
// parameters, and the Extension Mobility login-time rule.
//
// One definition table (see [Definitions]) lists every parameter: its key,
// display name, group, [Kind], default and allowed values. A store keeps only
// the values an administrator set; a key that is absent is "not set" and its
// default applies. [NewValues] turns what a store holds into an immutable
// [Values] snapshot with typed getters. A stored value that no longer
// validates (a server was removed, a bound tightened) is kept apart from a
// value that was never set: the default applies, and [Setting.Err] says why.
//
// New values come in through [Validate], or [PlanSet] and [PlanReset], which
// also say what else changes and give the old and new values for the audit.
// A refused value yields a [*ValidationError] that names the parameter and
// its allowed values; its Message is a sentence for people. A store applies
// a plan only at the generation it was made from (see [Store]), so that a
// plan made from a stale snapshot is refused with [ErrConflict] and made
// again, rather than undoing a change it never saw.
//
// [FeaturesOf] derives the [Features] the portal shows and accepts;
// [Features.Check] returns a [*GateError] naming the parameter that hides a
// feature, for a clear 403. [EffectiveLoginTime] is the pure Extension
// Mobility rule, and [DefaultServer] picks the server for embedded pages.
//
// The package is pure: it reads through the small [Store] interface that
// adapters implement, and a [Cache] keeps the current snapshot, reloading it
// when the store's generation moves, so that every process sharing a
// database follows a change without a restart.
package params

import "errors"

// Errors returned by the package; a [Store] returns ErrNotFound, ErrInUse,
// ErrExists and ErrConflict.
var (
	// ErrInvalid is matched by every [*ValidationError].
	ErrInvalid = errors.New("params: invalid value")
	// ErrUnknown reports a parameter key or feature that the table does not
	// list.
	ErrUnknown = errors.New("params: unknown parameter")
	// ErrFeatureHidden is matched by every [*GateError].
	ErrFeatureHidden = errors.New("params: feature hidden by a parameter")
	// ErrNotFound reports a user profile or server that does not exist.
	ErrNotFound = errors.New("params: not found")
	// ErrInUse reports a user profile still assigned to a user, or a
	// server that the cluster or a parameter still needs.
	ErrInUse = errors.New("params: in use")
	// ErrExists reports a user profile whose name another profile has in
	// other letter case.
	ErrExists = errors.New("params: name taken")
	// ErrConflict reports a change refused because the parameters or the
	// servers changed after it was planned; plan again from a fresh
	// snapshot.
	ErrConflict = errors.New("params: changed meanwhile")
)

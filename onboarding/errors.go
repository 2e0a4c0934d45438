package onboarding

import "errors"

// Errors returned by this package. Callers decide with [errors.Is]; messages
// never contain an activation code.
var (
	// ErrRedeemFailed is the one answer that [Registry.Redeem] gives to a
	// phone, whatever the cause: a wrong, expired, used or released code, a
	// MAC or model that does not match, a throttled source, a store failure.
	// The real cause goes to the audit trail and the log.
	ErrRedeemFailed = errors.New("onboarding: activation failed")
	// ErrInvalid marks bad input such as a malformed MAC address, model,
	// owner, device name or code; the wrapping message names the field.
	ErrInvalid = errors.New("onboarding: invalid input")
	// ErrNotFound means that the device or code does not exist, or that a
	// code is not in the state the operation needs.
	ErrNotFound = errors.New("onboarding: not found")
	// ErrExists means that a device name is taken, or that a device already
	// has an outstanding code (use [Registry.Replace]).
	ErrExists = errors.New("onboarding: already exists")
	// ErrKey means that a key has the wrong size or that a key file cannot be
	// used as it is.
	ErrKey = errors.New("onboarding: unusable activation key")
	// ErrKeyMismatch means that the activation key is not the one that
	// sealed the stored codes: its check value differs from the stored one
	// (see [VerifyKey]). Codes sealed under one key cannot be opened under
	// another; restore the key, or discard the codes ([KeyStore.DiscardKey]).
	ErrKeyMismatch = errors.New("onboarding: the activation key is not the one " +
		"that sealed the stored codes")
	// ErrSeal means that a sealed code cannot be opened: it was tampered
	// with, sealed for another device, or sealed under another key.
	ErrSeal = errors.New("onboarding: sealed code cannot be opened")
	// ErrRandom means that the random source kept giving values that
	// rejection sampling must discard, which a working source does not do.
	ErrRandom = errors.New("onboarding: random source looks broken")
)

package onboarding

import (
	"context"
	"time"
)

// Store keeps devices awaiting activation and their codes, keyed by device
// name, so that it can live in tables of its own beside the portal's
// devices. Implementations return [ErrNotFound] and [ErrExists] (wrapped
// or not) as each method says, and must be safe for concurrent use by
// several processes sharing one database.
type Store interface {
	// CreateDevice adds a device, or returns ErrExists when the name is
	// taken.
	CreateDevice(ctx context.Context, d Device) error
	// Device returns one device, or ErrNotFound.
	Device(ctx context.Context, name string) (Device, error)
	// Devices returns the devices of owner, or every device when owner is
	// empty, ordered by name.
	Devices(ctx context.Context, owner string) ([]Device, error)

	// PutCode stores c as the only code of device c.Device, replacing any
	// previous one whatever its state, and in the same transaction marks the
	// device as requiring activation and not activated. It returns
	// ErrNotFound when the device does not exist, and ErrExists when another
	// device's code has the same Verifier (the caller then draws a new code).
	PutCode(ctx context.Context, c Code) error
	// Code returns the code of a device, or ErrNotFound.
	Code(ctx context.Context, device string) (Code, error)
	// CodeByVerifier returns the code whose Verifier equals verifier, in any
	// state, or ErrNotFound.
	CodeByVerifier(ctx context.Context, verifier []byte) (Code, error)
	// OutstandingCodes returns the codes stored as StateOutstanding (expired
	// ones included) with their devices, of the devices of owner, or of
	// every device when owner is empty, ordered by device name.
	OutstandingCodes(ctx context.Context, owner string) ([]DeviceCode, error)
	// FirstOutstandingCodes returns the first n of the codes that
	// OutstandingCodes returns for owner, who is never empty, and how many
	// it returns in all, so that a view of a user with thousands of codes
	// reads only what it shows.
	FirstOutstandingCodes(ctx context.Context, owner string, n int) ([]DeviceCode, int,
		error)

	// AddAttempt adds one to Attempts of the device's code, atomically, if
	// the code is stored as StateOutstanding (expired or not), and returns
	// the code after the change. Concurrent calls must see different counts.
	// It returns ErrNotFound when the device has no such code.
	AddAttempt(ctx context.Context, device string) (Code, error)
	// ReleaseCode sets the device's code to StateReleased at at and drops
	// its Sealed, if the code is stored as StateOutstanding and its Verifier
	// equals verifier (so that a release meant for a code that has since
	// been replaced does nothing); otherwise it returns ErrNotFound.
	ReleaseCode(ctx context.Context, device string, verifier []byte, at time.Time) error
	// SpendCode redeems a code, atomically: see [Activation]. Of several
	// concurrent calls for one code, exactly one may succeed. It returns
	// ErrNotFound when the code is not outstanding with that verifier or has
	// expired at a.At, and ErrExists when a.NewName is another device's name.
	SpendCode(ctx context.Context, a Activation) error
}

// DeviceCode is a device with its code.
type DeviceCode struct {
	Device Device
	Code   Code
}

// Activation is one successful redemption, applied by [Store.SpendCode] in
// one transaction when device Device has a code stored as
// StateOutstanding, with Verifier equal to Verifier and ExpiresAt after At:
//
//   - the code becomes StateUsed with UsedAt = At, and its Sealed is dropped;
//   - the device gets Activated = true, ActivatedAt = At,
//     RequiresActivation = false, Dummy = false and MAC = MAC;
//   - when NewName differs from Device, the device and its code are renamed
//     to NewName (a dummy "BAT" name becomes "SEP" and the MAC). A store
//     that keeps the portal's own devices in the same database renames that
//     record in the same transaction.
type Activation struct {
	Device   string
	Verifier []byte
	NewName  string
	MAC      string
	At       time.Time
}

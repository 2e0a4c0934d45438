package onboarding

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"
)

// A portal started with another activation key than the one that sealed
// the stored codes (a lost key file made anew, a database copied without
// its key, a command line pointed at another file) cannot open a single
// code, and would seal new ones that its peers cannot open either. A check
// value of the key, stored in the database beside the codes, lets it
// notice at once instead.

// checkLabel is what the check value authenticates: a fixed text, so that
// the value depends on the key alone.
const checkLabel = "activation key check"

// keyProbe bounds how many stored codes [VerifyKey] tries to open in a
// store that has codes but no check value yet.
const keyProbe = 3

// keyCheck returns the check value for a key derived from the activation
// key: HMAC-SHA256 of checkLabel.
func keyCheck(derived []byte) []byte {
	m := hmac.New(sha256.New, derived)
	io.WriteString(m, checkLabel)
	return m.Sum(nil)
}

// KeyCheck returns the check value of the sealer's activation key: an
// HMAC-SHA256 of a fixed label under a key derived from the activation key
// with HKDF, as the sealing and verifier keys are. Equal keys give equal
// values; the value says nothing about the key, nor about any code.
func (s *Sealer) KeyCheck() []byte { return bytes.Clone(s.check) }

// KeyStore keeps the check value of the activation key in the database
// that holds the codes the key sealed. Implementations return
// [ErrNotFound] as each method says, and must be safe for concurrent use
// by several processes sharing one database.
type KeyStore interface {
	// KeyCheck returns the stored check value, or ErrNotFound when none is
	// stored.
	KeyCheck(ctx context.Context) ([]byte, error)
	// InitKeyCheck stores check, set at at, unless a check value is stored
	// already, and returns the value stored afterwards: check, or the one
	// stored first (by another process starting at the same time, say).
	InitKeyCheck(ctx context.Context, check []byte, at time.Time) ([]byte, error)
	// DiscardKey forgets the activation key, in one transaction: every
	// code stored as StateOutstanding becomes StateReleased at at and
	// loses its Sealed, and the check value is deleted. It returns the
	// names of the devices whose codes it released, ordered by name.
	DiscardKey(ctx context.Context, at time.Time) ([]string, error)
}

// KeyedStore is a [Store] that keeps the check value of the activation key
// too, as the portal's stores do.
type KeyedStore interface {
	Store
	KeyStore
}

// KeyRecorded reports whether st holds codes sealed under some activation
// key: a check value, or outstanding codes (stored before check values
// were kept). A new activation key must not be made for such a store: its
// codes would become unreadable without a word.
func KeyRecorded(ctx context.Context, st KeyedStore) (bool, error) {
	_, err := st.KeyCheck(ctx)
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, ErrNotFound):
		return false, fmt.Errorf("onboarding: reading the key check: %w", err)
	}
	dcs, err := st.OutstandingCodes(ctx, "")
	if err != nil {
		return false, fmt.Errorf("onboarding: reading the key check: %w", err)
	}
	return len(dcs) > 0, nil
}

// VerifyKey checks that s holds the activation key that sealed the codes
// of st, and returns [ErrKeyMismatch] when it does not. A store without a
// check value gets the one of s, set at now, so that every later start
// compares against it; if such a store has codes already (sealed before
// check values were kept), one of them must open under s first.
func VerifyKey(ctx context.Context, st KeyedStore, s *Sealer, now time.Time) error {
	stored, err := st.KeyCheck(ctx)
	if err == nil {
		return matchCheck(stored, s)
	}
	if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("onboarding: reading the key check: %w", err)
	}

	// Any code that opens proves the key; one that does not may merely
	// be damaged, so a few are tried.
	dcs, err := st.OutstandingCodes(ctx, "")
	if err != nil {
		return fmt.Errorf("onboarding: reading the key check: %w", err)
	}
	opened := len(dcs) == 0
	for _, dc := range dcs[:min(len(dcs), keyProbe)] {
		if _, err := s.Open(dc.Code.Sealed, dc.Device.Name); err == nil {
			opened = true
			break
		}
	}
	if !opened {
		return fmt.Errorf("onboarding: %d stored codes, none of the first %d opens: %w",
			len(dcs), min(len(dcs), keyProbe), ErrKeyMismatch)
	}

	stored, err = st.InitKeyCheck(ctx, s.KeyCheck(), now)
	if err != nil {
		return fmt.Errorf("onboarding: storing the key check: %w", err)
	}
	return matchCheck(stored, s)
}

// matchCheck compares a stored check value with the sealer's.
func matchCheck(stored []byte, s *Sealer) error {
	if !hmac.Equal(stored, s.check) {
		return ErrKeyMismatch
	}
	return nil
}

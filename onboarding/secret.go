package onboarding

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Phone services carry secret parameters, such as a contact-centre agent's
// password, that must reach the phone's service URL and so cannot be
// hashed. A SecretSealer keeps them unreadable at rest under the
// activation key: a fourth purpose of that key, with a key of its own.

// infoSecret is the HKDF info of the key that seals phone service
// secrets: another purpose than the codes', so another key.
const infoSecret = "ucselfcare onboarding v1: phone service secret"

// SecretPrefix starts the text form of a sealed secret; the version in it
// lets a later format or key be told apart.
const SecretPrefix = "v1:"

// secretPad rounds a sealed value up to a multiple of this many bytes, so
// that the stored text does not give away the length of a short secret.
const secretPad = 32

// MaxSecret bounds a secret's length in bytes; a longer one is [ErrInvalid].
const MaxSecret = 4096

// ErrSecretSeal means that a sealed secret cannot be opened: it was
// tampered with, moved to another place or sealed under another key.
var ErrSecretSeal = errors.New("onboarding: sealed secret cannot be opened")

// SecretPlace is where a secret belongs: a parameter of a phone's
// subscription to a service. A seal opens only at the place it was made
// for, so that a sealed value copied to another row is useless.
type SecretPlace struct {
	Device  string
	Service string
	Param   string
}

// ad returns the associated data of a seal: the version and the three
// names, each preceded by its length, so that no two places give the same
// bytes however their names are split.
func (p SecretPlace) ad() []byte {
	out := []byte(SecretPrefix)
	for _, s := range []string{p.Device, p.Service, p.Param} {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return out
}

// SecretSealer seals short secrets with AES-256-GCM under a key derived
// with HKDF-SHA256 from the activation key, binding each to its
// [SecretPlace]. It is safe for concurrent use.
type SecretSealer struct {
	aead cipher.AEAD
}

// NewSecretSealer returns a SecretSealer for a [KeySize]-byte activation
// key, or [ErrKey] for a key of another size. [Sealer.Secrets] returns the
// same sealer for the key a Sealer was made with.
func NewSecretSealer(key []byte) (*SecretSealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("onboarding: key of %d bytes, want %d: %w", len(key),
			KeySize, ErrKey)
	}
	k, err := hkdf.Key(sha256.New, key, nil, infoSecret, 32)
	if err != nil {
		return nil, fmt.Errorf("onboarding: deriving keys: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	// Random nonces, as for codes: a site seals far fewer than 2^32
	// secrets under one key.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	return &SecretSealer{aead: aead}, nil
}

// Secrets returns the sealer of phone service secrets for the activation
// key that s was made with.
func (s *Sealer) Secrets() *SecretSealer { return s.secrets }

// Seal returns the text form of value sealed for at: [SecretPrefix] and
// standard base64. The result differs every time, even for one value, and
// its length tells the value's only to the nearest 32 bytes. A value
// longer than [MaxSecret] bytes is [ErrInvalid].
func (s *SecretSealer) Seal(value string, at SecretPlace) (string, error) {
	if len(value) > MaxSecret {
		return "", fmt.Errorf("onboarding: a secret of %d bytes, at most %d: %w",
			len(value), MaxSecret, ErrInvalid)
	}

	// Two bytes of length, the value, then zeros up to the padding.
	n := 2 + len(value)
	pt := make([]byte, n+(secretPad-n%secretPad)%secretPad)
	binary.BigEndian.PutUint16(pt, uint16(len(value)))
	copy(pt[2:], value)

	sealed := s.aead.Seal(nil, nil, pt, at.ad())
	return SecretPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// Open returns the value that sealed holds, or [ErrSecretSeal] when it
// was changed, made for another place or under another key, or is not a
// sealed secret at all.
func (s *SecretSealer) Open(sealed string, at SecretPlace) (string, error) {
	raw, ok := decodeSecret(sealed)
	if !ok {
		return "", ErrSecretSeal
	}
	pt, err := s.aead.Open(nil, nil, raw, at.ad())
	if err != nil || len(pt) < 2 {
		return "", ErrSecretSeal
	}
	n := int(binary.BigEndian.Uint16(pt))
	if n > len(pt)-2 {
		return "", ErrSecretSeal
	}
	return string(pt[2 : 2+n]), nil
}

// IsSealedSecret reports whether v has the form that [SecretSealer.Seal]
// returns. It does not tell whether v opens: that needs the key. A clear
// value of that form would have to start with "v1:" and hold 80 or more
// base64 characters after it, so it tells a store's sealed values from
// the clear ones kept before sealing began.
func IsSealedSecret(v string) bool {
	_, ok := decodeSecret(v)
	return ok
}

// minSealedSecret is the length of the shortest seal: a nonce, one padded
// block and a tag.
const minSealedSecret = 12 + secretPad + 16

// decodeSecret returns the bytes of a sealed secret's text form.
func decodeSecret(v string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(v, SecretPrefix)
	if !ok || len(rest) > base64.StdEncoding.EncodedLen(12+MaxSecret+secretPad+16) {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < minSealedSecret || (len(raw)-12-16)%secretPad != 0 {
		return nil, false
	}
	return raw, true
}

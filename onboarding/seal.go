package onboarding

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeySize is the size in bytes of the activation key, the master key from
// which a [Sealer] derives its encryption and verifier keys.
const KeySize = 32

// sealVersion starts every sealed code, so that a later format or key
// rotation can tell old seals apart. It is authenticated with the device
// name, so changing it breaks the seal.
const sealVersion byte = 1

// HKDF info strings: one purpose per derived key, so that the encryption
// key and the verifier key are independent even though one master key
// yields both.
const (
	infoSeal     = "ucselfcare onboarding v1: seal"
	infoVerifier = "ucselfcare onboarding v1: verifier"
	infoCheck    = "ucselfcare onboarding v1: key check"
)

// Sealer keeps activation codes unreadable at rest and checks codes without
// storing them.
//
// Seal encrypts a code with AES-256-GCM, binding it to the device name, so
// that the portal can show it again later; Open reverses that. Verifier
// computes an HMAC-SHA256 of the code and the identity the phone presents,
// which is what redemption compares and what a store can index. Both keys
// are derived from one activation key with HKDF-SHA256.
//
// A Sealer is safe for concurrent use.
type Sealer struct {
	aead        cipher.AEAD
	verifierKey []byte
	check       []byte
	// secrets seals phone service secrets under a key of their own.
	secrets *SecretSealer
}

// NewSealer returns a Sealer for a [KeySize]-byte activation key, or
// [ErrKey] for a key of another size. The caller keeps the key secret and
// outside the database: whoever holds both can read every stored code.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("onboarding: key of %d bytes, want %d: %w", len(key),
			KeySize, ErrKey)
	}
	enc, err := hkdf.Key(sha256.New, key, nil, infoSeal, 32)
	if err != nil {
		return nil, fmt.Errorf("onboarding: deriving keys: %w", err)
	}
	ver, err := hkdf.Key(sha256.New, key, nil, infoVerifier, 32)
	if err != nil {
		return nil, fmt.Errorf("onboarding: deriving keys: %w", err)
	}
	chk, err := hkdf.Key(sha256.New, key, nil, infoCheck, 32)
	if err != nil {
		return nil, fmt.Errorf("onboarding: deriving keys: %w", err)
	}
	block, err := aes.NewCipher(enc)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	// Random 96-bit nonces are safe for up to 2^32 seals under one key,
	// far more codes than a site issues.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	secrets, err := NewSecretSealer(key)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, verifierKey: ver, check: keyCheck(chk), secrets: secrets},
		nil
}

// sealAD is the associated data of a seal: the format version and the
// device name, so that a seal copied to another device's row fails.
func sealAD(device string) []byte {
	return append([]byte{sealVersion}, device...)
}

// Seal encrypts a valid code for device. It fails with [ErrInvalid] when
// code is not 16 digits. The result differs every time, even for the same
// code.
func (s *Sealer) Seal(code Plaintext, device string) ([]byte, error) {
	if !validCode(code) {
		return nil, errCodeFormat
	}
	out := make([]byte, 1, 1+len(code)+s.aead.Overhead())
	out[0] = sealVersion
	return s.aead.Seal(out, nil, []byte(code), sealAD(device)), nil
}

// Open decrypts a code sealed for device, or fails with [ErrSeal] when the
// seal was changed, made for another device or under another key.
func (s *Sealer) Open(sealed []byte, device string) (Plaintext, error) {
	if len(sealed) < 1 || sealed[0] != sealVersion {
		return "", ErrSeal
	}
	pt, err := s.aead.Open(nil, nil, sealed[1:], sealAD(device))
	if err != nil || !validCode(Plaintext(pt)) {
		return "", ErrSeal
	}
	return Plaintext(pt), nil
}

// Verifier returns HMAC-SHA256 of the binding's identity and the code,
// under a key derived from the activation key. It is deterministic, so a
// store can index it; it says nothing about the code to someone without
// the key; and a code checked against a different MAC or model gives a
// different value. The caller passes a normalized code.
func (s *Sealer) Verifier(b Binding, code Plaintext) []byte {
	m := hmac.New(sha256.New, s.verifierKey)
	io.WriteString(m, b.identity())
	// The code has a fixed length and comes last, so the separator alone
	// keeps every (identity, code) pair distinct.
	io.WriteString(m, "|")
	io.WriteString(m, string(code))
	return m.Sum(nil)
}

// GenerateKey returns a new activation key read from r; nil means
// [crypto/rand.Reader].
func GenerateKey(r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("onboarding: generating a key: %w", err)
	}
	return key, nil
}

// EncodeKey returns the key file form of a key: standard base64 and a
// newline, so that an operator can move it as text.
func EncodeKey(key []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(key))
	out := make([]byte, n, n+1)
	base64.StdEncoding.Encode(out, key)
	return append(out, '\n')
}

// DecodeKey reads the form written by [EncodeKey]; surrounding white space
// is ignored. Anything that is not a [KeySize]-byte key is [ErrKey].
func DecodeKey(data []byte) ([]byte, error) {
	data = bytes.TrimSpace(data)
	key := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(key, data)
	if err != nil || n != KeySize {
		return nil, fmt.Errorf("onboarding: want %d bytes in base64: %w", KeySize, ErrKey)
	}
	return key[:n], nil
}

// maxKeyFile bounds how much of a key file is read.
const maxKeyFile = 1024

// LoadOrCreateKeyFile returns the activation key kept in the file at path,
// creating the file with a new key (mode 0600) when it does not exist;
// created tells which happened. The file must not be readable or writable
// by group or others (except on Windows, where modes mean little).
//
// Several processes may start at once: the new key is written to a private
// temporary file (created with O_EXCL) in the same folder and then linked
// into place, which fails when another process got there first; the loser
// then reads the winner's key, and nobody ever reads a half-written one.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}

	key, err = GenerateKey(nil)
	if err != nil {
		return nil, false, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".activation-key-*")
	if err != nil {
		return nil, false, fmt.Errorf("onboarding: creating the key file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(EncodeKey(key))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("onboarding: writing the key file: %w", err)
	}

	err = os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("onboarding: creating the key file: %w", err)
	}
	return key, true, nil
}

// LoadKeyFile returns the activation key kept in the file at path, which
// must exist and be private as for [LoadOrCreateKeyFile]; it never makes
// one. A missing file is an error matching [fs.ErrNotExist].
func LoadKeyFile(path string) ([]byte, error) { return readKeyFile(path) }

// readKeyFile reads and checks a key file.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("onboarding: reading the key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("onboarding: reading the key file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("onboarding: key file %s has mode %v, want 0600: %w",
			path, fi.Mode().Perm(), ErrKey)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, fmt.Errorf("onboarding: reading the key file: %w", err)
	}
	key, err := DecodeKey(data)
	if err != nil {
		return nil, fmt.Errorf("onboarding: key file %s: %w", path, err)
	}
	return key, nil
}

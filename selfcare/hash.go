package selfcare

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// HashParams are the argon2id parameters for new password and PIN hashes.
// Zero fields mean the matching field of [DefaultHashParams].
type HashParams struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Iterations is the time cost (passes over the memory).
	Iterations uint32
	// Parallelism is the number of lanes.
	Parallelism uint8
	// SaltLength and KeyLength are in bytes.
	SaltLength uint32
	KeyLength  uint32
}

// DefaultHashParams follow the OWASP minimum for argon2id: 19 MiB, two
// passes, one lane, a 16-byte salt and a 32-byte key.
var DefaultHashParams = HashParams{
	Memory:      19456,
	Iterations:  2,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// Bounds on the parameters of a stored hash. A hash read from the store is
// data, and a corrupted or planted one must not make one login allocate
// gigabytes or spin for minutes.
const (
	maxHashMemory     = 1 << 20 // KiB, 1 GiB
	maxHashIterations = 64
	minSaltLength     = 8
	maxSaltLength     = 64
	minKeyLength      = 16
	maxKeyLength      = 128
)

// withDefaults fills zero fields from DefaultHashParams.
func (p HashParams) withDefaults() HashParams {
	d := DefaultHashParams
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Iterations == 0 {
		p.Iterations = d.Iterations
	}
	if p.Parallelism == 0 {
		p.Parallelism = d.Parallelism
	}
	if p.SaltLength == 0 {
		p.SaltLength = d.SaltLength
	}
	if p.KeyLength == 0 {
		p.KeyLength = d.KeyLength
	}
	return p
}

// weakerThan reports whether a hash made with p should be replaced by one
// made with cur. A different lane count alone is not weaker.
func (p HashParams) weakerThan(cur HashParams) bool {
	return p.Memory < cur.Memory || p.Iterations < cur.Iterations ||
		p.SaltLength < cur.SaltLength || p.KeyLength < cur.KeyLength
}

// keyFunc has the signature of argon2.IDKey, so that an internal test can
// count or hold the computations.
type keyFunc func(secret, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte

// HashSecret returns the argon2id hash of secret in the PHC string format
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>", with a salt
// read from rand (crypto/rand.Reader when nil). Zero fields of p mean
// [DefaultHashParams]. It does not bound concurrency: a [Service] does.
func HashSecret(rand io.Reader, p HashParams, secret string) (string, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	return hashWith(argon2.IDKey, rand, p.withDefaults(), secret)
}

// VerifySecret reports whether secret matches the PHC string encoded, with a
// constant-time comparison of the keys. outdated is true when the hash was
// made with parameters weaker than current (zero fields: the defaults), so
// the caller should store a fresh hash. A hash that cannot be parsed yields
// [ErrBadHash].
func VerifySecret(encoded, secret string, current HashParams) (ok, outdated bool, err error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, false, err
	}
	return h.verify(argon2.IDKey, secret), h.params.weakerThan(current.withDefaults()), nil
}

func hashWith(key keyFunc, rand io.Reader, p HashParams, secret string) (string, error) {
	salt := make([]byte, p.SaltLength)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("selfcare: hash salt: %w", err)
	}
	k := key([]byte(secret), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt),
		b64.EncodeToString(k)), nil
}

// phcHash is a parsed stored hash.
type phcHash struct {
	params HashParams
	salt   []byte
	key    []byte
}

func (h phcHash) verify(key keyFunc, secret string) bool {
	p := h.params
	k := key([]byte(secret), h.salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return subtle.ConstantTimeCompare(k, h.key) == 1
}

// parseHash reads a PHC argon2id string, refusing other algorithms, other
// versions and parameters outside the bounds above.
func parseHash(s string) (phcHash, error) {
	var h phcHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, ErrBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, ErrBadHash
	}
	for kv := range strings.SplitSeq(parts[3], ",") {
		name, val, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return h, ErrBadHash
		}
		switch name {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Iterations = uint32(n)
		case "p":
			if n > 255 {
				return h, ErrBadHash
			}
			h.params.Parallelism = uint8(n)
		default:
			return h, ErrBadHash
		}
	}
	var err error
	b64 := base64.RawStdEncoding
	if h.salt, err = b64.DecodeString(parts[4]); err != nil {
		return h, ErrBadHash
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil {
		return h, ErrBadHash
	}
	p := &h.params
	p.SaltLength, p.KeyLength = uint32(len(h.salt)), uint32(len(h.key))
	switch {
	case p.Iterations < 1 || p.Iterations > maxHashIterations,
		p.Parallelism < 1,
		p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxHashMemory,
		p.SaltLength < minSaltLength || p.SaltLength > maxSaltLength,
		p.KeyLength < minKeyLength || p.KeyLength > maxKeyLength:
		return h, ErrBadHash
	}
	return h, nil
}

// hasher computes argon2id under a weighted semaphore. Each computation
// holds tens of MiB and a core for tens of milliseconds; without a bound, a
// burst of logins would exhaust memory and starve every other request.
type hasher struct {
	params HashParams
	rand   io.Reader
	key    keyFunc
	sem    *semaphore.Weighted
	// wait bounds how long a caller queues for a slot.
	wait time.Duration

	// dummy is a hash of a random secret with the current parameters,
	// verified when there is no real hash so that every refusal costs the
	// same.
	dummy func() (phcHash, error)

	// verifications counts verify calls, so an internal test can check that
	// each login path runs exactly one.
	verifications atomic.Int64
}

func newHasher(p HashParams, rand io.Reader, slots int, wait time.Duration) *hasher {
	h := &hasher{
		params: p,
		rand:   rand,
		key:    argon2.IDKey,
		sem:    semaphore.NewWeighted(int64(slots)),
		wait:   wait,
	}
	h.dummy = sync.OnceValues(func() (phcHash, error) {
		secret := make([]byte, 16)
		if _, err := io.ReadFull(h.rand, secret); err != nil {
			return phcHash{}, fmt.Errorf("selfcare: dummy hash: %w", err)
		}
		enc, err := hashWith(h.key, h.rand, h.params, string(secret))
		if err != nil {
			return phcHash{}, err
		}
		return parseHash(enc)
	})
	return h
}

// acquire waits for a hashing slot. It returns ErrBusy when ctx ends or the
// wait bound passes first; the caller must call the returned release.
func (h *hasher) acquire(ctx context.Context) (release func(), err error) {
	release = func() { h.sem.Release(1) }
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrBusy, err)
	}
	// A free slot is taken whatever the wait bound says: Acquire refuses
	// once that bound has passed even when nothing holds the slot, which a
	// slow machine can reach before the first caller gets here.
	if h.sem.TryAcquire(1) {
		return release, nil
	}
	if h.wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.wait)
		defer cancel()
	}
	if err := h.sem.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrBusy, err)
	}
	return release, nil
}

// hash returns a new PHC string for secret, holding a slot while it works.
func (h *hasher) hash(ctx context.Context, secret string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashWith(h.key, h.rand, h.params, secret)
}

// verify checks secret against encoded and holds a slot while it works.
func (h *hasher) verify(ctx context.Context, encoded, secret string) (ok, outdated bool,
	err error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	return h.verifyHeld(encoded, secret)
}

// verifyHeld is verify for a caller that already holds a slot. It always runs
// exactly one argon2id computation: when encoded is empty or malformed it
// checks the dummy hash instead and reports false, with ErrBadHash for the
// malformed case.
func (h *hasher) verifyHeld(encoded, secret string) (ok, outdated bool, err error) {
	h.verifications.Add(1)
	ph, perr := parseHash(encoded)
	if encoded == "" || perr != nil {
		d, derr := h.dummy()
		if derr != nil {
			return false, false, derr
		}
		d.verify(h.key, secret)
		if encoded == "" {
			return false, false, nil
		}
		return false, false, perr
	}
	return ph.verify(h.key, secret), ph.params.weakerThan(h.params), nil
}

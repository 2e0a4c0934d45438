package onboarding_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/onboarding"
)

func newSealer(tb testing.TB, key []byte) *onboarding.Sealer {
	tb.Helper()
	s, err := onboarding.NewSealer(key)
	if err != nil {
		tb.Fatalf("NewSealer: %v", err)
	}
	return s
}

const sealDevice = "BAT0A1B2C3D4E5F"

func TestSealOpenRoundTrip(t *testing.T) {
	s := newSealer(t, testKey)
	code := onboarding.Plaintext("0123456789012345")
	a, err := s.Seal(code, sealDevice)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	b, err := s.Seal(code, sealDevice)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of one code are equal; the nonce must differ")
	}
	if bytes.Contains(a, []byte(code)) {
		t.Error("the seal contains the code in the clear")
	}
	for _, sealed := range [][]byte{a, b} {
		got, err := s.Open(sealed, sealDevice)
		if err != nil || got != code {
			t.Errorf("Open = %q, %v; want the code", got.Reveal(), err)
		}
	}
	if _, err := s.Seal("12345", sealDevice); !errors.Is(err, onboarding.ErrInvalid) {
		t.Errorf("Seal of a short code: err = %v, want ErrInvalid", err)
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	s := newSealer(t, testKey)
	sealed, err := s.Seal("0123456789012345", sealDevice)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	otherKey := bytes.Repeat([]byte{0x17}, onboarding.KeySize)
	tests := []struct {
		name   string
		s      *onboarding.Sealer
		sealed []byte
		device string
	}{
		{"another device as associated data fails", s, sealed, "BAT0A1B2C3D4E50"},
		{"the renamed device fails", s, sealed, "SEP001B54AABBCC"},
		{"an empty device fails", s, sealed, ""},
		{"another key fails", newSealer(t, otherKey), sealed, sealDevice},
		{"a changed version byte fails", s, flip(0), sealDevice},
		{"a changed nonce fails", s, flip(1), sealDevice},
		{"a changed ciphertext fails", s, flip(14), sealDevice},
		{"a changed tag fails", s, flip(len(sealed) - 1), sealDevice},
		{"a truncated seal fails", s, sealed[:len(sealed)-1], sealDevice},
		{"a seal of one byte fails", s, sealed[:1], sealDevice},
		{"an empty seal fails", s, nil, sealDevice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Open(tt.sealed, tt.device)
			if !errors.Is(err, onboarding.ErrSeal) {
				t.Errorf("Open = %q, %v; want ErrSeal", got.Reveal(), err)
			}
		})
	}
}

func TestVerifier(t *testing.T) {
	s := newSealer(t, testKey)
	other := newSealer(t, bytes.Repeat([]byte{0x17}, onboarding.KeySize))
	const code = onboarding.Plaintext("0123456789012345")
	mac := onboarding.Binding{MAC: "001B54AABBCC", Model: "Cisco 8845"}
	model := onboarding.Binding{Model: "Cisco 8845"}
	base := s.Verifier(mac, code)

	if len(base) != 32 {
		t.Fatalf("verifier of %d bytes, want 32", len(base))
	}
	if !bytes.Equal(base, s.Verifier(mac, code)) {
		t.Error("the verifier is not deterministic")
	}
	if !bytes.Equal(s.Verifier(model, code),
		s.Verifier(onboarding.Binding{Model: "CISCO 8845"}, code)) {
		t.Error("the model's case changes the verifier; models compare case-insensitively")
	}
	differ := map[string][]byte{
		"another code":                 s.Verifier(mac, "0123456789012346"),
		"another MAC":                  s.Verifier(onboarding.Binding{MAC: "001B54AABBCD"}, code),
		"the model instead of the MAC": s.Verifier(model, code),
		"another key":                  other.Verifier(mac, code),
	}
	for name, v := range differ {
		if bytes.Equal(v, base) {
			t.Errorf("%s gives the same verifier", name)
		}
	}
	if bytes.Contains(base, []byte(code)) {
		t.Error("the verifier contains the code")
	}
}

func TestNewSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := onboarding.NewSealer(make([]byte, n)); !errors.Is(err, onboarding.ErrKey) {
			t.Errorf("NewSealer(%d bytes): err = %v, want ErrKey", n, err)
		}
	}
}

func TestKeyEncoding(t *testing.T) {
	key, err := onboarding.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	enc := onboarding.EncodeKey(key)
	if !bytes.HasSuffix(enc, []byte("\n")) {
		t.Errorf("EncodeKey = %q, want a trailing newline", enc)
	}
	got, err := onboarding.DecodeKey(append([]byte("  "), enc...))
	if err != nil || !bytes.Equal(got, key) {
		t.Errorf("DecodeKey(EncodeKey(k)) = %x, %v; want %x", got, err, key)
	}
	bad := map[string]string{
		"empty":       "",
		"not base64":  "not a key at all!",
		"a short key": "AAAA",
		"a long key":  strings.Repeat("A", 48),
		"the raw key": string(key),
	}
	for name, in := range bad {
		if _, err := onboarding.DecodeKey([]byte(in)); !errors.Is(err, onboarding.ErrKey) {
			t.Errorf("DecodeKey(%s): err = %v, want ErrKey", name, err)
		}
	}
	if _, err := onboarding.GenerateKey(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Error("GenerateKey from a short source: no error")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "activation.key")

	key, created, err := onboarding.LoadOrCreateKeyFile(path)
	if err != nil || !created || len(key) != onboarding.KeySize {
		t.Fatalf("first LoadOrCreateKeyFile = %d bytes, created %v, %v", len(key), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := onboarding.LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Errorf("second LoadOrCreateKeyFile: created %v, %v, same key %v", created, err,
			bytes.Equal(again, key))
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".activation-key-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	t.Run("a file others can read is refused", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("file modes mean little on Windows")
		}
		p := filepath.Join(t.TempDir(), "activation.key")
		if err := os.WriteFile(p, onboarding.EncodeKey(key), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := onboarding.LoadOrCreateKeyFile(p); !errors.Is(err, onboarding.ErrKey) {
			t.Errorf("err = %v, want ErrKey", err)
		}
	})
	t.Run("a file without a key is refused, not replaced", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "activation.key")
		if err := os.WriteFile(p, []byte("garbage\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := onboarding.LoadOrCreateKeyFile(p); !errors.Is(err, onboarding.ErrKey) {
			t.Errorf("err = %v, want ErrKey", err)
		}
		if b, _ := os.ReadFile(p); string(b) != "garbage\n" {
			t.Errorf("the file was changed to %q", b)
		}
	})
	t.Run("processes starting at once agree on one key", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "activation.key")
		const n = 16
		keys := make([][]byte, n)
		errs := make([]error, n)
		createdBy := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { keys[i], createdBy[i], errs[i] = onboarding.LoadOrCreateKeyFile(p) })
		}
		wg.Wait()
		creators := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("call %d got another key", i)
			}
			if createdBy[i] {
				creators++
			}
		}
		if creators != 1 {
			t.Errorf("%d calls say they created the key, want 1", creators)
		}
	})
}

func TestLoadKeyFileNeverCreates(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "activation.key")
	if _, err := onboarding.LoadKeyFile(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKeyFile of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKeyFile made a key file: %v", err)
	}
	key, _, err := onboarding.LoadOrCreateKeyFile(missing)
	if err != nil {
		t.Fatal(err)
	}
	got, err := onboarding.LoadKeyFile(missing)
	if err != nil || !bytes.Equal(got, key) {
		t.Errorf("LoadKeyFile = %v; want the key written", err)
	}
}

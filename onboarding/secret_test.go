package onboarding_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/onboarding"
)

func newSecretSealer(tb testing.TB, key []byte) *onboarding.SecretSealer {
	tb.Helper()
	s, err := onboarding.NewSecretSealer(key)
	if err != nil {
		tb.Fatalf("NewSecretSealer: %v", err)
	}
	return s
}

var agentPlace = onboarding.SecretPlace{Device: "SEP001B54AABBCC", Service: "agent",
	Param: "password"}

func TestSecretSealOpenRoundTrip(t *testing.T) {
	s := newSecretSealer(t, testKey)
	for _, value := range []string{"", "pw", "Tr0ub4dor&3 ünïcode",
		strings.Repeat("x", 30), strings.Repeat("y", onboarding.MaxSecret)} {
		a, err := s.Seal(value, agentPlace)
		if err != nil {
			t.Fatalf("Seal(%d bytes): %v", len(value), err)
		}
		b, err := s.Seal(value, agentPlace)
		if err != nil {
			t.Fatal(err)
		}
		if a == b {
			t.Errorf("two seals of %q are equal; the nonce must differ", value)
		}
		if !strings.HasPrefix(a, onboarding.SecretPrefix) || !onboarding.IsSealedSecret(a) {
			t.Errorf("seal %q lacks the versioned form", a)
		}
		// Only values of 8 bytes and more: a shorter one turns up in the
		// base64 text of random bytes by chance ("pw" in about 1 seal of
		// 70), which says nothing about the sealing.
		if len(value) >= 8 && strings.Contains(a, value) {
			t.Errorf("the seal holds %q in the clear", value)
		}
		for _, sealed := range []string{a, b} {
			if got, err := s.Open(sealed, agentPlace); err != nil || got != value {
				t.Errorf("Open = %q, %v; want %q", got, err, value)
			}
		}
	}
}

func TestSecretSealHidesShortLengths(t *testing.T) {
	s := newSecretSealer(t, testKey)
	one, err := s.Seal("a", agentPlace)
	if err != nil {
		t.Fatal(err)
	}
	thirty, err := s.Seal(strings.Repeat("b", 30), agentPlace)
	if err != nil {
		t.Fatal(err)
	}
	longer, err := s.Seal(strings.Repeat("c", 31), agentPlace)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != len(thirty) {
		t.Errorf("seals of 1 and 30 bytes are %d and %d long; want equal", len(one),
			len(thirty))
	}
	if len(longer) <= len(thirty) {
		t.Errorf("a 31-byte secret fits the 30-byte padding: %d <= %d", len(longer),
			len(thirty))
	}
	if _, err := s.Seal(strings.Repeat("z", onboarding.MaxSecret+1),
		agentPlace); !errors.Is(err, onboarding.ErrInvalid) {
		t.Errorf("Seal of a too long secret: %v, want ErrInvalid", err)
	}
}

func TestSecretOpenRefuses(t *testing.T) {
	s := newSecretSealer(t, testKey)
	sealed, err := s.Seal("hunter2", agentPlace)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed,
		onboarding.SecretPrefix))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return onboarding.SecretPrefix + base64.StdEncoding.EncodeToString(b)
	}
	at := func(device, service, param string) onboarding.SecretPlace {
		return onboarding.SecretPlace{Device: device, Service: service, Param: param}
	}
	codeSealer := newSealer(t, testKey)
	codeSeal, err := codeSealer.Seal("0123456789012345", agentPlace.Device)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		s      *onboarding.SecretSealer
		sealed string
		at     onboarding.SecretPlace
	}{
		// Moved to another row or column.
		{"another device fails", s, sealed, at("SEP001B54AABBCD", "agent", "password")},
		{"another service fails", s, sealed, at(agentPlace.Device, "agent2", "password")},
		{"another parameter fails", s, sealed, at(agentPlace.Device, "agent", "pin")},
		{"names split elsewhere fail", s, sealed,
			at(agentPlace.Device+"a", "gent", "password")},
		{"an empty place fails", s, sealed, onboarding.SecretPlace{}},

		// Another key, or the code-sealing key of the same activation key.
		{"another activation key fails",
			newSecretSealer(t, bytes.Repeat([]byte{0x17}, onboarding.KeySize)), sealed,
			agentPlace},
		{"a sealed activation code is no sealed secret", s,
			onboarding.SecretPrefix + base64.StdEncoding.EncodeToString(codeSeal),
			agentPlace},

		// Changed bytes and forms.
		{"a changed nonce fails", s, flip(0), agentPlace},
		{"a changed ciphertext fails", s, flip(14), agentPlace},
		{"a changed tag fails", s, flip(len(raw) - 1), agentPlace},
		{"a truncated seal fails", s, sealed[:len(sealed)-4], agentPlace},
		{"another version fails", s, "v2:" + strings.TrimPrefix(sealed, "v1:"),
			agentPlace},
		{"a clear value fails", s, "hunter2", agentPlace},
		{"the prefix alone fails", s, onboarding.SecretPrefix, agentPlace},
		{"an empty value fails", s, "", agentPlace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Open(tt.sealed, tt.at)
			if !errors.Is(err, onboarding.ErrSecretSeal) || got != "" {
				t.Errorf("Open = %q, %v; want ErrSecretSeal", got, err)
			}
		})
	}
}

func TestSealerSecretsIsTheSecretSealerOfItsKey(t *testing.T) {
	mine := newSealer(t, testKey).Secrets()
	sealed, err := mine.Seal("pw", agentPlace)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newSecretSealer(t, testKey).Open(sealed, agentPlace); err != nil ||
		got != "pw" {
		t.Errorf("NewSecretSealer(same key).Open = %q, %v; want pw", got, err)
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := onboarding.NewSecretSealer(make([]byte, n)); !errors.Is(err,
			onboarding.ErrKey) {
			t.Errorf("NewSecretSealer(%d bytes): %v, want ErrKey", n, err)
		}
	}
}

func TestIsSealedSecret(t *testing.T) {
	s := newSecretSealer(t, testKey)
	sealed, err := s.Seal("pw", agentPlace)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    string
		want bool
	}{
		{"a seal is sealed", sealed, true},
		{"a clear password is not", "hunter2", false},
		{"an empty value is not", "", false},
		{"a clear value with the prefix is not", "v1:hunter2", false},
		{"short base64 after the prefix is not", "v1:" +
			base64.StdEncoding.EncodeToString(make([]byte, 59)), false},
		{"base64 of no whole block is not", "v1:" +
			base64.StdEncoding.EncodeToString(make([]byte, 61)), false},
		{"another version is not", "v2:" + strings.TrimPrefix(sealed, "v1:"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := onboarding.IsSealedSecret(tt.v); got != tt.want {
				t.Errorf("IsSealedSecret(%q) = %t, want %t", tt.v, got, tt.want)
			}
		})
	}
}

// A phone service secret is sealed for its place before it is stored, and
// opened only where the clear value is really needed.
func ExampleSecretSealer() {
	key, err := onboarding.GenerateKey(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	sealer, err := onboarding.NewSecretSealer(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	at := onboarding.SecretPlace{Device: "SEP001B54AABBCC", Service: "agent",
		Param: "password"}
	sealed, err := sealer.Seal("Tr0ub4dor&3", at)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stored form:", onboarding.IsSealedSecret(sealed))

	at.Device = "SEP001B54AABBCD" // the value copied to another phone's row
	_, err = sealer.Open(sealed, at)
	fmt.Println(err)
	// Output:
	// stored form: true
	// onboarding: sealed secret cannot be opened
}

// BenchmarkSecretSealer seals and opens a 16-byte secret, the work one
// save and one future service URL add.
func BenchmarkSecretSealer(b *testing.B) {
	s := newSecretSealer(b, testKey)
	const value = "0123456789abcdef"
	sealed, err := s.Seal(value, agentPlace)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("seal", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Seal(value, agentPlace); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Open(sealed, agentPlace); err != nil {
				b.Fatal(err)
			}
		}
	})
}

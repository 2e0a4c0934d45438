package selfcare_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// TestHashSecretDefaults is the one test on the default parameters: the
// format, the round trip and the upgrade signal.
func TestHashSecretDefaults(t *testing.T) {
	h, err := selfcare.HashSecret(nil, selfcare.HashParams{}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(h, prefix) {
		t.Fatalf("hash %q lacks prefix %q", h, prefix)
	}
	parts := strings.Split(h, "$")
	// 16-byte salt and 32-byte key in unpadded base64.
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("hash %q: want a 22-character salt and a 43-character key", h)
	}
	again, err := selfcare.HashSecret(rand.Reader, selfcare.DefaultHashParams, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if again == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}

	tests := []struct {
		name         string
		secret       string
		current      selfcare.HashParams
		ok, outdated bool
	}{
		{name: "right secret verifies", secret: testPassword, ok: true},
		{name: "wrong secret fails", secret: testPassword + "x"},
		{name: "empty secret fails", secret: ""},
		{name: "stronger current parameters mark it outdated", secret: testPassword,
			current: selfcare.HashParams{Memory: 46 * 1024, Iterations: 1}, ok: true,
			outdated: true},
		{name: "cheaper current parameters do not", secret: testPassword,
			current: cheapHash, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, outdated, err := selfcare.VerifySecret(h, tt.secret, tt.current)
			if err != nil || ok != tt.ok || outdated != tt.outdated {
				t.Errorf("VerifySecret = %t, %t, %v; want %t, %t, nil",
					ok, outdated, err, tt.ok, tt.outdated)
			}
		})
	}
}

func TestVerifySecretRefusesMalformedHashes(t *testing.T) {
	good, err := selfcare.HashSecret(nil, cheapHash, "secret")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	for name, h := range map[string]string{
		"empty":              "",
		"bcrypt":             "$2a$10$abcdefghijklmnopqrstuu5r0yQ3bXy6aHkqJ0iWl2yPqI3m5q0Sm",
		"argon2i":            "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"old version":        "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"missing key":        "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"unknown parameter":  "$argon2id$v=19$m=64,t=1,p=1,x=2$" + salt + "$" + key,
		"zero passes":        "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"huge memory":        "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"many passes":        "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"short salt":         "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,
		"bad base64":         "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$***",
		"negative parameter": "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
	} {
		ok, _, err := selfcare.VerifySecret(h, "secret", cheapHash)
		if ok || !errors.Is(err, selfcare.ErrBadHash) {
			t.Errorf("%s: VerifySecret = %t, %v; want false, ErrBadHash", name, ok, err)
		}
	}
	if ok, _, err := selfcare.VerifySecret(good, "secret", cheapHash); !ok || err != nil {
		t.Fatalf("the well-formed hash fails: %t, %v", ok, err)
	}
}

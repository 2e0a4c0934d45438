package onboarding_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ucselfcare/portal/onboarding"
)

// BenchmarkSealOpen is the baseline of the redemption benchmarks: sealing
// and opening one code, the cryptography of an issue and a view.
func BenchmarkSealOpen(b *testing.B) {
	s := newSealer(b, testKey)
	code, err := onboarding.GenerateCode(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sealed, err := s.Seal(code, sealDevice)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Open(sealed, sealDevice); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMAC returns a distinct unicast MAC for each i.
func benchMAC(i int) string { return fmt.Sprintf("02%010X", i) }

// benchRedeem redeems b.N codes, one per phone, provisioned beforehand
// with or without their MAC, against the in-memory store of these tests.
func benchRedeem(b *testing.B, withMAC bool) {
	f := newFixture(b, onboarding.Config{})
	ctx := context.Background()
	attempts := make([]onboarding.Attempt, b.N)
	for i := range b.N {
		mac := benchMAC(i)
		p := onboarding.Provision{Model: model8845, Owner: "alice"}
		if withMAC {
			p.MAC = mac
		}
		d, err := f.reg.ProvisionDevice(ctx, "admin", p)
		if err != nil {
			b.Fatal(err)
		}
		rc := f.issue(b, d.Name)
		attempts[i] = onboarding.Attempt{MAC: mac, Model: model8845, Code: rc.Code,
			Source: "192.0.2.1"}
	}
	f.audit.take()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.reg.Redeem(ctx, attempts[i]); err != nil {
			b.Fatalf("Redeem %d: %v (%s)", i, err, f.audit.lastRedeemFailure(b))
		}
	}
}

// BenchmarkRedeem redeems codes bound to the phone's MAC.
func BenchmarkRedeem(b *testing.B) { benchRedeem(b, true) }

// BenchmarkRedeemDummy redeems codes of dummy-named phones, found by their
// model-bound verifier and renamed on activation.
func BenchmarkRedeemDummy(b *testing.B) { benchRedeem(b, false) }

// BenchmarkReadyToActivateManyCodes is one view of a user with 10,000
// phones awaiting activation: the view opens and audits DefaultMaxShown
// codes, not all of them, so what remains is reading the store's list.
func BenchmarkReadyToActivateManyCodes(b *testing.B) {
	const phones = 10_000
	f := newFixture(b, onboarding.Config{})
	ctx := context.Background()
	for i := range phones {
		d, err := f.reg.ProvisionDevice(ctx, "admin",
			onboarding.Provision{MAC: benchMAC(i), Model: model8845, Owner: "alice"})
		if err != nil {
			b.Fatal(err)
		}
		f.issue(b, d.Name)
	}
	f.audit.take()
	b.ReportAllocs()
	for b.Loop() {
		list, err := f.reg.ReadyToActivate(ctx, "alice", "192.0.2.1")
		if err != nil || len(list.Phones) != onboarding.DefaultMaxShown {
			b.Fatalf("ReadyToActivate: %d phones, %v", len(list.Phones), err)
		}
		f.audit.take()
	}
}

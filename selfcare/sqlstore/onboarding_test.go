package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// activationService is a service with device activation on store, with
// one user, ann.
func activationService(tb testing.TB, store selfcare.Store,
	ob selfcare.OnboardingStore) *selfcare.Service {
	tb.Helper()
	sealer, err := onboarding.NewSealer(bytes.Repeat([]byte{5}, onboarding.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	svc := selfcare.New(store, selfcare.Config{
		Onboarding: selfcare.OnboardingConfig{Store: ob, Sealer: sealer},
	})
	if _, err := store.User(context.Background(), "ann"); errors.Is(err,
		selfcare.ErrNotFound) {
		if err := store.CreateUser(context.Background(), selfcare.User{ID: "ann"}); err != nil {
			tb.Fatal(err)
		}
	}
	return svc
}

// readyPhones provisions n phones with their MACs and returns the attempts
// that redeem them.
func readyPhones(tb testing.TB, svc *selfcare.Service, n int) []onboarding.Attempt {
	tb.Helper()
	ctx := context.Background()
	da, err := svc.DeviceAdmin(selfcare.LocalCaller("bench"))
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]onboarding.Attempt, n)
	for i := range out {
		mac := fmt.Sprintf("001B54%06X", i)
		d, err := da.Provision(ctx, onboarding.Provision{MAC: mac, Model: "Cisco 8845",
			Owner: "ann"}, false)
		if err != nil {
			tb.Fatal(err)
		}
		rc, err := da.IssueCode(ctx, d.Name)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = onboarding.Attempt{MAC: mac, Model: "Cisco 8845", Code: rc.Code,
			Source: "127.0.0.1"}
	}
	return out
}

// benchRedeem redeems a fresh code per iteration, serially or from
// GOMAXPROCS goroutines at once; the codes are issued before the timer
// starts. Each redemption counts a failure for its source and for the
// site, adds an attempt, spends the code and renames nothing in one
// transaction, reads the device, gives the two failures back and appends
// the audit event.
func benchRedeem(b *testing.B, svc *selfcare.Service, parallel bool) {
	attempts := readyPhones(b, svc, b.N)
	ctx := b.Context()
	var next atomic.Int64
	redeemNext := func() {
		a := attempts[next.Add(1)-1]
		if _, err := svc.RedeemActivationCode(ctx, a); err != nil {
			b.Error(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				redeemNext()
			}
		})
	} else {
		for range b.N {
			redeemNext()
		}
	}
	b.StopTimer()
	if got := svc.ActivationStats().Activations; got != uint64(b.N) {
		b.Fatalf("%d activations, want %d", got, b.N)
	}
}

// BenchmarkRedeemSQLite is redemption throughput on the SQLite store, with
// synchronous=FULL: the writes wait for the disk. BenchmarkAddFailure, one
// single-statement write, is the floor of any write in the same run, and
// BenchmarkRedeemMemstore the cost of the registry and service alone.
func BenchmarkRedeemSQLite(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		name := map[bool]string{false: "serial", true: "parallel"}[parallel]
		b.Run(name, func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "bench.db"))
			benchRedeem(b, activationService(b, s, s.Onboarding()), parallel)
		})
	}
}

func BenchmarkRedeemMemstore(b *testing.B) {
	s := memstore.New()
	benchRedeem(b, activationService(b, s, s.Onboarding()), false)
}

// TestOneCodeSpentOnceAcrossTwoStores has two stores on one file, as two
// portal processes on one database, redeem the same code at once.
func TestOneCodeSpentOnceAcrossTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := open(t, path), open(t, path)
	svcA := activationService(t, a, a.Onboarding())
	svcB := activationService(t, b, b.Onboarding())
	attempt := readyPhones(t, svcA, 1)[0]

	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		svc := []*selfcare.Service{svcA, svcB}[i%2]
		wg.Go(func() {
			if _, err := svc.RedeemActivationCode(t.Context(), attempt); err == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d redemptions succeeded, want 1", wins.Load())
	}
	// The failures counted in advance were given back by the winner only;
	// the losers' stay, in the one counter both stores share.
	f, err := b.Failures(t.Context(), "onboarding:source:127.0.0.1")
	if err != nil || f.Count != 19 {
		t.Errorf("shared source counter %+v, %v; want 19 failures", f, err)
	}
}

// BenchmarkReadyToActivateManyCodesSQLite is one view of a user with
// 10,000 phones awaiting activation on SQLite: the store reads the first
// page and counts the rest, the registry opens and audits that page only.
func BenchmarkReadyToActivateManyCodesSQLite(b *testing.B) {
	const phones = 10_000
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	if err := s.CreateUser(ctx, selfcare.User{ID: "ann"}); err != nil {
		b.Fatal(err)
	}
	sealer, err := onboarding.NewSealer(bytes.Repeat([]byte{5}, onboarding.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	// One transaction for the lot, so that the setup takes seconds, not
	// minutes of synchronous commits.
	err = s.Onboarding().Batch(ctx, func(st onboarding.Store) error {
		reg := onboarding.New(st, sealer, onboarding.Config{})
		for i := range phones {
			d, err := reg.ProvisionDevice(ctx, "bench", onboarding.Provision{
				MAC: fmt.Sprintf("001B54%06X", i), Model: "Cisco 8845", Owner: "ann"})
			if err != nil {
				return err
			}
			if err := reg.RequireActivation(ctx, "bench", d.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	reg := onboarding.New(s.Onboarding(), sealer, onboarding.Config{})
	b.ReportAllocs()
	for b.Loop() {
		list, err := reg.ReadyToActivate(ctx, "ann", "127.0.0.1")
		if err != nil || len(list.Phones) != onboarding.DefaultMaxShown ||
			list.More != phones-onboarding.DefaultMaxShown {
			b.Fatalf("ReadyToActivate: %d phones and %d more, %v", len(list.Phones),
				list.More, err)
		}
	}
}

// TestTwoProcessesWithDifferentKeys: of two stores on one file, as two
// portal processes on one database, started at once with different
// activation keys, exactly one key is recorded and the other refused.
func TestTwoProcessesWithDifferentKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	stores := []*sqlstore.Store{open(t, path), open(t, path)}
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, st := range stores {
		sealer, err := onboarding.NewSealer(bytes.Repeat([]byte{byte(i + 1)},
			onboarding.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			errs[i] = onboarding.VerifyKey(t.Context(), st.Onboarding(), sealer, time.Now())
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, onboarding.ErrKeyMismatch):
			t.Errorf("VerifyKey: %v, want nil or ErrKeyMismatch", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of two keys accepted, want 1: %v", ok, errs)
	}
}

package storetest

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
)

// onboardingProvider is how a store offers device activation: memstore
// and sqlstore both have this method.
type onboardingProvider interface {
	Onboarding() selfcare.OnboardingStore
}

// onboardingOf returns the device activation store of s, and the undo of
// its failure counters, or fails the test.
func onboardingOf(t testing.TB, s selfcare.Store) selfcare.OnboardingStore {
	t.Helper()
	p, ok := s.(onboardingProvider)
	if !ok {
		t.Fatalf("%T has no Onboarding() selfcare.OnboardingStore", s)
	}
	return p.Onboarding()
}

// freshOnboarding opens a store for a parallel subtest, with users alice
// and bob.
func freshOnboarding(t *testing.T, open Opener) (context.Context, selfcare.Store,
	selfcare.OnboardingStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	createUsers(t, ctx, s, "alice", "bob")
	return ctx, s, onboardingOf(t, s)
}

// Names of the suite's phones.
const (
	sepAlice   = "SEP001B54AABBCC"
	sepBob     = "SEP001B54DDEEFF"
	batAlice   = "BAT0A1B2C3D4E5F"
	macOfAlice = "001B54AABBCC"
)

// activationDevice returns a device with every field set.
func activationDevice(name, owner string) onboarding.Device {
	d := onboarding.Device{Name: name, Model: "Cisco 8845", Owner: owner,
		ProvisionedAt: at(-time.Hour)}
	if name[:3] == onboarding.PrefixDummy {
		d.Dummy = true
	} else {
		d.MAC = name[3:]
	}
	return d
}

// activationCode returns an outstanding code of device whose verifier and
// seal are derived from tag, so that codes with different tags differ.
func activationCode(device string, tag byte) onboarding.Code {
	v := make([]byte, 32)
	for i := range v {
		v[i] = tag ^ byte(i)
	}
	c := onboarding.Code{Device: device, Sealed: append([]byte{1, tag}, v[:20]...),
		Verifier: v, BoundTo: onboarding.Binding{Model: "Cisco 8845"},
		IssuedAt: base, ExpiresAt: at(168 * time.Hour),
		State: onboarding.StateOutstanding}
	if device[:3] == onboarding.PrefixMAC {
		c.BoundTo.MAC = device[3:]
	}
	return c
}

// addActivation creates devices and stores one code for each, tagged in
// order from 1.
func addActivation(t testing.TB, ctx context.Context, ob onboarding.Store,
	ds ...onboarding.Device) []onboarding.Code {
	t.Helper()
	var cs []onboarding.Code
	for i, d := range ds {
		must(t, ob.CreateDevice(ctx, d))
		c := activationCode(d.Name, byte(i+1))
		must(t, ob.PutCode(ctx, c))
		cs = append(cs, c)
	}
	return cs
}

// ready is a device as PutCode leaves it.
func ready(d onboarding.Device) onboarding.Device {
	d.RequiresActivation, d.Activated, d.ActivatedAt = true, false, time.Time{}
	return d
}

func testOnboarding(t *testing.T, open Opener) {
	t.Run("CreateDeviceRoundTrips", func(t *testing.T) {
		ctx, s, ob := freshOnboarding(t, open)
		d := activationDevice(sepAlice, "alice")
		d.Activated, d.RequiresActivation = true, true
		d.ActivatedAt = time.Date(2025, 3, 1, 10, 0, 0, 999_999_999, time.UTC)
		must(t, ob.CreateDevice(ctx, d))
		must(t, ob.CreateDevice(ctx, activationDevice(batAlice, "alice")))
		must(t, ob.CreateDevice(ctx, activationDevice(sepBob, "bob")))

		want := d
		want.ActivatedAt = time.Date(2025, 3, 1, 10, 0, 0, 999_999_000, time.UTC)
		wantDiff(t, "Device", ok(ob.Device(ctx, sepAlice))(t), want)
		wantDiff(t, "Devices(alice)", ok(ob.Devices(ctx, "alice"))(t),
			[]onboarding.Device{activationDevice(batAlice, "alice"), want})
		wantDiff(t, "Devices()", len(ok(ob.Devices(ctx, ""))(t)), 3)
		wantDiff(t, "Devices(nobody)", ok(ob.Devices(ctx, "nobody"))(t),
			[]onboarding.Device(nil))

		// The portal's own record comes with it, without lines.
		wantDiff(t, "portal Device", ok(s.Device(ctx, batAlice))(t),
			selfcare.Device{Name: batAlice, Owner: "alice", Model: "Cisco 8845"})
	})

	t.Run("CreateDeviceKeepsThePortalRecordOfItsOwner", func(t *testing.T) {
		ctx, s, ob := freshOnboarding(t, open)
		p := phone(sepAlice, "alice", 2)
		p.Model = "Cisco 8845"
		must(t, s.PutDevice(ctx, p))
		must(t, ob.CreateDevice(ctx, activationDevice(sepAlice, "alice")))
		wantDiff(t, "portal Device", ok(s.Device(ctx, sepAlice))(t), p)

		wantErr(t, "CreateDevice again",
			ob.CreateDevice(ctx, activationDevice(sepAlice, "alice")), onboarding.ErrExists)
		must(t, s.PutDevice(ctx, phone(sepBob, "bob", 1)))
		wantErr(t, "CreateDevice of another owner's phone",
			ob.CreateDevice(ctx, activationDevice(sepBob, "alice")), onboarding.ErrExists)
		if err := ob.CreateDevice(ctx, activationDevice(batAlice, "nobody")); err == nil {
			t.Error("CreateDevice for an unknown owner succeeded")
		}
		for _, name := range []string{sepBob, batAlice} {
			_, err := ob.Device(ctx, name)
			wantErr(t, "Device "+name, err, onboarding.ErrNotFound)
		}
		_, err := s.Device(ctx, batAlice)
		wantErr(t, "portal Device of the refused one", err, selfcare.ErrNotFound)
	})

	t.Run("CreateDeviceRefusesAnotherModelThanThePortalRecord", func(t *testing.T) {
		ctx, s, ob := freshOnboarding(t, open)
		p := phone(sepAlice, "alice", 1)
		p.Model = "Cisco 7841"
		must(t, s.PutDevice(ctx, p))
		err := ob.CreateDevice(ctx, activationDevice(sepAlice, "alice")) // a Cisco 8845
		wantErr(t, "CreateDevice as another model", err, selfcare.ErrModelConflict)
		_, err = ob.Device(ctx, sepAlice)
		wantErr(t, "Device after the refusal", err, onboarding.ErrNotFound)

		// Models compare without regard to case.
		d := activationDevice(sepAlice, "alice")
		d.Model = "CISCO 7841"
		must(t, ob.CreateDevice(ctx, d))
		wantDiff(t, "portal Device", ok(s.Device(ctx, sepAlice))(t), p)
	})

	t.Run("KeyCheckIsSetOnce", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		_, err := ob.KeyCheck(ctx)
		wantErr(t, "KeyCheck of a new store", err, onboarding.ErrNotFound)
		first, second := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
		wantDiff(t, "InitKeyCheck", ok(ob.InitKeyCheck(ctx, first, base))(t), first)
		wantDiff(t, "InitKeyCheck of another value",
			ok(ob.InitKeyCheck(ctx, second, at(time.Hour)))(t), first)
		wantDiff(t, "KeyCheck", ok(ob.KeyCheck(ctx))(t), first)
	})

	t.Run("ConcurrentInitKeyCheckAgrees", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		const n = 10
		got := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				got[i], errs[i] = ob.InitKeyCheck(ctx, bytes.Repeat([]byte{byte(i)}, 32), base)
			})
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		for i := range got {
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("concurrent InitKeyCheck calls saw %x and %x", got[0], got[i])
			}
		}
	})

	t.Run("DiscardKeyReleasesOutstandingCodes", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		ds := []onboarding.Device{activationDevice(sepBob, "bob"),
			activationDevice(batAlice, "alice"), activationDevice(sepAlice, "alice")}
		cs := addActivation(t, ctx, ob, ds...)
		must(t, ob.SpendCode(ctx, onboarding.Activation{Device: sepAlice,
			Verifier: cs[2].Verifier, NewName: sepAlice, MAC: macOfAlice, At: base}))
		_ = ok(ob.InitKeyCheck(ctx, []byte("check"), base))(t)

		names := ok(ob.DiscardKey(ctx, at(time.Hour)))(t)
		wantDiff(t, "DiscardKey", names, []string{batAlice, sepBob})
		for i, name := range []string{sepBob, batAlice} {
			want := cs[i]
			want.State, want.ReleasedAt, want.Sealed = onboarding.StateReleased,
				at(time.Hour), nil
			wantDiff(t, "Code of "+name, ok(ob.Code(ctx, name))(t), want)
		}
		if c := ok(ob.Code(ctx, sepAlice))(t); c.State != onboarding.StateUsed {
			t.Errorf("a used code became %s", c.State)
		}
		_, err := ob.KeyCheck(ctx)
		wantErr(t, "KeyCheck after DiscardKey", err, onboarding.ErrNotFound)
		wantDiff(t, "DiscardKey again", ok(ob.DiscardKey(ctx, at(time.Hour)))(t),
			[]string(nil))
	})

	t.Run("MissingIsNotFound", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		c := activationCode(sepAlice, 1)
		_, err := ob.Device(ctx, sepAlice)
		wantErr(t, "Device", err, onboarding.ErrNotFound)
		_, err = ob.Code(ctx, sepAlice)
		wantErr(t, "Code", err, onboarding.ErrNotFound)
		_, err = ob.CodeByVerifier(ctx, c.Verifier)
		wantErr(t, "CodeByVerifier", err, onboarding.ErrNotFound)
		_, err = ob.AddAttempt(ctx, sepAlice)
		wantErr(t, "AddAttempt", err, onboarding.ErrNotFound)
		wantErr(t, "PutCode", ob.PutCode(ctx, c), onboarding.ErrNotFound)
		wantErr(t, "ReleaseCode", ob.ReleaseCode(ctx, sepAlice, c.Verifier, base),
			onboarding.ErrNotFound)
		wantErr(t, "SpendCode", ob.SpendCode(ctx, onboarding.Activation{Device: sepAlice,
			Verifier: c.Verifier, NewName: sepAlice, MAC: macOfAlice, At: base}),
			onboarding.ErrNotFound)
	})

	t.Run("PutCodeRoundTripsAndResetsTheDevice", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		d := activationDevice(sepAlice, "alice")
		d.Activated, d.ActivatedAt = true, at(-time.Minute)
		must(t, ob.CreateDevice(ctx, d))
		c := activationCode(sepAlice, 1)
		c.Attempts = 2
		must(t, ob.PutCode(ctx, c))
		wantDiff(t, "Code", ok(ob.Code(ctx, sepAlice))(t), c)
		wantDiff(t, "CodeByVerifier", ok(ob.CodeByVerifier(ctx, c.Verifier))(t), c)
		wantDiff(t, "Device", ok(ob.Device(ctx, sepAlice))(t), ready(d))
	})

	t.Run("PutCodeReplacesAndKeepsVerifiersUnique", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		cs := addActivation(t, ctx, ob, activationDevice(sepAlice, "alice"),
			activationDevice(sepBob, "bob"))
		next := activationCode(sepAlice, 9)
		next.IssuedAt = at(time.Hour)
		must(t, ob.PutCode(ctx, next))
		wantDiff(t, "Code after replace", ok(ob.Code(ctx, sepAlice))(t), next)
		_, err := ob.CodeByVerifier(ctx, cs[0].Verifier)
		wantErr(t, "CodeByVerifier of the replaced code", err, onboarding.ErrNotFound)

		clash := activationCode(sepBob, 9)
		wantErr(t, "PutCode with another device's verifier", ob.PutCode(ctx, clash),
			onboarding.ErrExists)
		wantDiff(t, "Code of bob unchanged", ok(ob.Code(ctx, sepBob))(t), cs[1])
	})

	t.Run("OutstandingCodesSkipsUsedAndReleased", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		ds := []onboarding.Device{activationDevice(batAlice, "alice"),
			activationDevice(sepAlice, "alice"), activationDevice(sepBob, "bob"),
			activationDevice("SEP001B54000001", "alice"),
			activationDevice("SEP001B54000002", "alice")}
		cs := addActivation(t, ctx, ob, ds...)
		must(t, ob.ReleaseCode(ctx, ds[3].Name, cs[3].Verifier, at(time.Minute)))
		must(t, ob.SpendCode(ctx, onboarding.Activation{Device: ds[4].Name,
			Verifier: cs[4].Verifier, NewName: ds[4].Name, MAC: ds[4].MAC, At: base}))

		// Expiry is the registry's business: an expired code is listed.
		want := []onboarding.DeviceCode{{Device: ready(ds[0]), Code: cs[0]},
			{Device: ready(ds[1]), Code: cs[1]}}
		wantDiff(t, "OutstandingCodes(alice)",
			ok(ob.OutstandingCodes(ctx, "alice"))(t), want)
		all := ok(ob.OutstandingCodes(ctx, ""))(t)
		var names []string
		for _, dc := range all {
			names = append(names, dc.Device.Name)
		}
		wantDiff(t, "OutstandingCodes()", names, []string{batAlice, sepAlice, sepBob})
	})

	t.Run("FirstOutstandingCodesReadsAPageAndCountsAll", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		ds := []onboarding.Device{activationDevice(batAlice, "alice"),
			activationDevice(sepAlice, "alice"), activationDevice(sepBob, "bob"),
			activationDevice("SEP001B54000001", "alice"),
			activationDevice("SEP001B54000002", "alice")}
		cs := addActivation(t, ctx, ob, ds...)
		must(t, ob.ReleaseCode(ctx, ds[3].Name, cs[3].Verifier, at(time.Minute)))

		// Alice has three outstanding codes: BAT…, SEP001B54000002, SEP001B54AABBCC.
		got, total, err := ob.FirstOutstandingCodes(ctx, "alice", 2)
		must(t, err)
		wantDiff(t, "FirstOutstandingCodes(alice, 2)", got, []onboarding.DeviceCode{
			{Device: ready(ds[0]), Code: cs[0]}, {Device: ready(ds[4]), Code: cs[4]}})
		wantDiff(t, "total", total, 3)
		got, total, err = ob.FirstOutstandingCodes(ctx, "alice", 10)
		must(t, err)
		wantDiff(t, "FirstOutstandingCodes(alice, 10)", len(got), 3)
		wantDiff(t, "total", total, 3)
		got, total, err = ob.FirstOutstandingCodes(ctx, "nobody", 10)
		must(t, err)
		wantDiff(t, "FirstOutstandingCodes(nobody)", got, []onboarding.DeviceCode(nil))
		wantDiff(t, "total", total, 0)
	})

	t.Run("AddAttemptCountsOutstandingCodesOnly", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		cs := addActivation(t, ctx, ob, activationDevice(sepAlice, "alice"))
		for want := 1; want <= 3; want++ {
			got := ok(ob.AddAttempt(ctx, sepAlice))(t)
			want := func() onboarding.Code { c := cs[0]; c.Attempts = want; return c }()
			wantDiff(t, "AddAttempt", got, want)
		}
		must(t, ob.ReleaseCode(ctx, sepAlice, cs[0].Verifier, base))
		_, err := ob.AddAttempt(ctx, sepAlice)
		wantErr(t, "AddAttempt after release", err, onboarding.ErrNotFound)
	})

	t.Run("ConcurrentAddAttemptCountsEach", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		addActivation(t, ctx, ob, activationDevice(sepAlice, "alice"))
		const n = 20
		counts := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c, err := ob.AddAttempt(ctx, sepAlice)
				counts[i], errs[i] = c.Attempts, err
			})
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		sort.Ints(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("attempt counts %v, want 1 to %d once each", counts, n)
			}
		}
	})

	t.Run("ReleaseCodeNeedsTheVerifier", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		cs := addActivation(t, ctx, ob, activationDevice(sepAlice, "alice"))
		other := activationCode(sepAlice, 7).Verifier
		wantErr(t, "ReleaseCode with another verifier",
			ob.ReleaseCode(ctx, sepAlice, other, base), onboarding.ErrNotFound)
		wantDiff(t, "Code unchanged", ok(ob.Code(ctx, sepAlice))(t), cs[0])

		must(t, ob.ReleaseCode(ctx, sepAlice, cs[0].Verifier, at(time.Minute)))
		want := cs[0]
		want.State, want.ReleasedAt, want.Sealed = onboarding.StateReleased,
			at(time.Minute), nil
		wantDiff(t, "released Code", ok(ob.Code(ctx, sepAlice))(t), want)
		wantErr(t, "ReleaseCode again",
			ob.ReleaseCode(ctx, sepAlice, cs[0].Verifier, base), onboarding.ErrNotFound)
		wantDiff(t, "CodeByVerifier finds it in any state",
			ok(ob.CodeByVerifier(ctx, cs[0].Verifier))(t), want)
	})

	t.Run("SpendCodeActivatesTheDevice", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		d := activationDevice(sepAlice, "alice")
		cs := addActivation(t, ctx, ob, d)
		must(t, ob.SpendCode(ctx, onboarding.Activation{Device: sepAlice,
			Verifier: cs[0].Verifier, NewName: sepAlice, MAC: macOfAlice,
			At: at(time.Hour)}))
		wantC := cs[0]
		wantC.State, wantC.UsedAt, wantC.Sealed = onboarding.StateUsed, at(time.Hour), nil
		wantDiff(t, "Code", ok(ob.Code(ctx, sepAlice))(t), wantC)
		wantD := d
		wantD.Activated, wantD.ActivatedAt = true, at(time.Hour)
		wantDiff(t, "Device", ok(ob.Device(ctx, sepAlice))(t), wantD)
	})

	t.Run("SpendCodeRenamesBothRecords", func(t *testing.T) {
		ctx, s, ob := freshOnboarding(t, open)
		d := activationDevice(batAlice, "alice")
		cs := addActivation(t, ctx, ob, d)
		lines := phone(batAlice, "alice", 2)
		lines.Model = d.Model
		must(t, s.PutDevice(ctx, lines))

		must(t, ob.SpendCode(ctx, onboarding.Activation{Device: batAlice,
			Verifier: cs[0].Verifier, NewName: sepAlice, MAC: macOfAlice, At: base}))

		wantD := d
		wantD.Name, wantD.MAC, wantD.Dummy = sepAlice, macOfAlice, false
		wantD.Activated, wantD.ActivatedAt = true, base
		wantDiff(t, "Device", ok(ob.Device(ctx, sepAlice))(t), wantD)
		wantC := cs[0]
		wantC.Device, wantC.State, wantC.UsedAt, wantC.Sealed = sepAlice,
			onboarding.StateUsed, base, nil
		wantDiff(t, "Code", ok(ob.Code(ctx, sepAlice))(t), wantC)
		wantDiff(t, "CodeByVerifier", ok(ob.CodeByVerifier(ctx, cs[0].Verifier))(t), wantC)
		_, err := ob.Device(ctx, batAlice)
		wantErr(t, "Device under the dummy name", err, onboarding.ErrNotFound)
		_, err = ob.Code(ctx, batAlice)
		wantErr(t, "Code under the dummy name", err, onboarding.ErrNotFound)

		// The portal's record moved, lines and all.
		wantP := lines
		wantP.Name = sepAlice
		wantDiff(t, "portal Device", ok(s.Device(ctx, sepAlice))(t), wantP)
		_, err = s.Device(ctx, batAlice)
		wantErr(t, "portal Device under the dummy name", err, selfcare.ErrNotFound)
		wantDiff(t, "UserDevices", ok(s.UserDevices(ctx, "alice"))(t),
			[]selfcare.Device{wantP})
	})

	t.Run("SpendCodeRefusesAndChangesNothing", func(t *testing.T) {
		ctx, s, ob := freshOnboarding(t, open)
		d := activationDevice(batAlice, "alice")
		cs := addActivation(t, ctx, ob, d, activationDevice(sepBob, "bob"))
		must(t, s.PutDevice(ctx, phone("SEP001B54000009", "bob", 1)))
		spend := func(v []byte, name string, when time.Time) error {
			return ob.SpendCode(ctx, onboarding.Activation{Device: batAlice, Verifier: v,
				NewName: name, MAC: name[3:], At: when})
		}
		expires := cs[0].ExpiresAt
		for _, c := range []struct {
			what string
			err  error
			want error
		}{
			{"another verifier", spend(cs[1].Verifier, sepAlice, base), onboarding.ErrNotFound},
			{"at expiry", spend(cs[0].Verifier, sepAlice, expires), onboarding.ErrNotFound},
			{"after expiry", spend(cs[0].Verifier, sepAlice, expires.Add(time.Second)),
				onboarding.ErrNotFound},
			{"a name activation knows", spend(cs[0].Verifier, sepBob, base),
				onboarding.ErrExists},
			{"a name the portal knows", spend(cs[0].Verifier, "SEP001B54000009", base),
				onboarding.ErrExists},
		} {
			wantErr(t, "SpendCode with "+c.what, c.err, c.want)
		}
		wantDiff(t, "Code unchanged", ok(ob.Code(ctx, batAlice))(t), cs[0])
		wantDiff(t, "Device unchanged", ok(ob.Device(ctx, batAlice))(t), ready(d))
		wantDiff(t, "portal Device unchanged", ok(s.Device(ctx, batAlice))(t),
			selfcare.Device{Name: batAlice, Owner: "alice", Model: d.Model})

		must(t, spend(cs[0].Verifier, sepAlice, base))
		wantErr(t, "SpendCode again", ob.SpendCode(ctx, onboarding.Activation{
			Device: sepAlice, Verifier: cs[0].Verifier, NewName: sepAlice,
			MAC: macOfAlice, At: base}), onboarding.ErrNotFound)
	})

	t.Run("ConcurrentSpendCodeSucceedsOnce", func(t *testing.T) {
		for _, name := range []string{sepAlice, batAlice} {
			t.Run(name[:3], func(t *testing.T) {
				ctx, s, ob := freshOnboarding(t, open)
				cs := addActivation(t, ctx, ob, activationDevice(name, "alice"))
				const n = 50
				errs := make([]error, n)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range n {
					wg.Go(func() {
						<-start
						errs[i] = ob.SpendCode(ctx, onboarding.Activation{Device: name,
							Verifier: cs[0].Verifier, NewName: sepAlice, MAC: macOfAlice,
							At: base})
					})
				}
				close(start)
				wg.Wait()
				won := 0
				for _, err := range errs {
					switch {
					case err == nil:
						won++
					case !errors.Is(err, onboarding.ErrNotFound):
						t.Errorf("a losing SpendCode: %v, want ErrNotFound", err)
					}
				}
				if won != 1 {
					t.Fatalf("%d of %d concurrent SpendCode calls succeeded, want 1", won, n)
				}
				c := ok(ob.Code(ctx, sepAlice))(t)
				if c.State != onboarding.StateUsed {
					t.Errorf("code state %q, want used", c.State)
				}
				wantDiff(t, "UserDevices", len(ok(s.UserDevices(ctx, "alice"))(t)), 1)
			})
		}
	})

	t.Run("BatchCommitsOrRollsBack", func(t *testing.T) {
		ctx, s, ob := freshOnboarding(t, open)
		errStop := errors.New("stop")
		err := ob.Batch(ctx, func(st onboarding.Store) error {
			addActivation(t, ctx, st, activationDevice(batAlice, "alice"))
			// Reads inside the batch see its writes.
			if _, err := st.Code(ctx, batAlice); err != nil {
				return err
			}
			return errStop
		})
		wantErr(t, "Batch", err, errStop)
		_, err = ob.Device(ctx, batAlice)
		wantErr(t, "Device after rollback", err, onboarding.ErrNotFound)
		_, err = ob.CodeByVerifier(ctx, activationCode(batAlice, 1).Verifier)
		wantErr(t, "CodeByVerifier after rollback", err, onboarding.ErrNotFound)
		_, err = s.Device(ctx, batAlice)
		wantErr(t, "portal Device after rollback", err, selfcare.ErrNotFound)

		must(t, ob.Batch(ctx, func(st onboarding.Store) error {
			addActivation(t, ctx, st, activationDevice(batAlice, "alice"),
				activationDevice(sepBob, "bob"))
			// A change that fails inside a batch leaves nothing behind.
			err := st.CreateDevice(ctx, activationDevice(sepAlice, "nobody"))
			if err == nil {
				t.Error("CreateDevice for an unknown owner succeeded in a batch")
			}
			return nil
		}))
		wantDiff(t, "Devices after commit", len(ok(ob.Devices(ctx, ""))(t)), 2)
		_, err = s.Device(ctx, sepAlice)
		wantErr(t, "portal Device of the failed change", err, selfcare.ErrNotFound)
	})

	t.Run("UndoFailureTakesOneBack", func(t *testing.T) {
		ctx, s := fresh(t, open)
		u, isUndoer := s.(selfcare.FailureUndoer)
		if !isUndoer {
			t.Fatalf("%T does not implement selfcare.FailureUndoer", s)
		}
		const window = time.Hour
		for i := range 3 {
			_ = ok(s.AddFailure(ctx, "k", at(time.Duration(i)*time.Second), window))(t)
		}
		must(t, u.UndoFailure(ctx, "k"))
		wantDiff(t, "Failures after one undo", ok(s.Failures(ctx, "k"))(t),
			selfcare.Failures{Count: 2, First: base, Last: at(2 * time.Second)})
		for range 4 {
			must(t, u.UndoFailure(ctx, "k"))
		}
		if f := ok(s.Failures(ctx, "k"))(t); f.Count != 0 {
			t.Errorf("Count = %d after more undos than failures, want 0", f.Count)
		}
		must(t, u.UndoFailure(ctx, "unknown"))
		if f := ok(s.AddFailure(ctx, "k", at(3*time.Second), window))(t); f.Count != 1 {
			t.Errorf("Count = %d after undoing to zero and one more failure, want 1",
				f.Count)
		}
	})

	t.Run("CodesAreCopied", func(t *testing.T) {
		ctx, _, ob := freshOnboarding(t, open)
		must(t, ob.CreateDevice(ctx, activationDevice(sepAlice, "alice")))
		in, want := activationCode(sepAlice, 1), activationCode(sepAlice, 1)
		must(t, ob.PutCode(ctx, in))
		in.Sealed[0] ^= 0xff
		in.Verifier[0] ^= 0xff

		ok(ob.Code(ctx, sepAlice))(t).Sealed[1] ^= 0xff
		ok(ob.CodeByVerifier(ctx, want.Verifier))(t).Verifier[1] ^= 0xff
		ok(ob.OutstandingCodes(ctx, ""))(t)[0].Code.Sealed[2] ^= 0xff
		got := ok(ob.Code(ctx, sepAlice))(t)
		if !bytes.Equal(got.Sealed, want.Sealed) || !bytes.Equal(got.Verifier, want.Verifier) {
			t.Error("changing a code passed in or returned changed the stored one")
		}
	})
}

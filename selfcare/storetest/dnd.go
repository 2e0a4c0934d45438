package storetest

import (
	"context"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testDND checks [selfcare.DNDStore]. The choices it pins: a user never
// saved reads as selfcare.DefaultDoNotDisturb at Version 0; every field
// round-trips; a stale save changes nothing and matches
// selfcare.ErrVersionConflict.
func testDND(t *testing.T, open Opener) {
	t.Run("NeverSavedIsTheDefaultAtVersionZero", func(t *testing.T) {
		ctx, s := freshDND(t, open)
		wantDiff(t, "DoNotDisturb", ok(s.DoNotDisturb(ctx, "ann"))(t),
			selfcare.DefaultDoNotDisturb("ann"))
	})

	t.Run("SaveRoundTripsAndCountsVersions", func(t *testing.T) {
		ctx, s := freshDND(t, open)
		d := selfcare.DoNotDisturb{UserID: "ann", Enabled: true,
			Option: selfcare.DNDCallReject, Alert: selfcare.DNDAlertBeepOnly}
		want := d
		want.Version = 1
		wantDiff(t, "returned", ok(s.UpdateDoNotDisturb(ctx, d))(t), want)
		wantDiff(t, "read back", ok(s.DoNotDisturb(ctx, "ann"))(t), want)

		next := want
		next.Enabled, next.Alert = false, selfcare.DNDAlertFlashOnly
		want = next
		want.Version = 2
		wantDiff(t, "second save", ok(s.UpdateDoNotDisturb(ctx, next))(t), want)
		wantDiff(t, "after second save", ok(s.DoNotDisturb(ctx, "ann"))(t), want)
		wantDiff(t, "other user", ok(s.DoNotDisturb(ctx, "ben"))(t),
			selfcare.DefaultDoNotDisturb("ben"))
	})

	t.Run("StaleVersionIsRefusedAndChangesNothing", func(t *testing.T) {
		ctx, s := freshDND(t, open)
		on := selfcare.DefaultDoNotDisturb("ann")
		on.Enabled = true
		first := ok(s.UpdateDoNotDisturb(ctx, on))(t)
		for _, v := range []int64{0, 9} {
			stale := first
			stale.Version, stale.Enabled = v, false
			_, err := s.UpdateDoNotDisturb(ctx, stale)
			wantErr(t, "stale save", err, selfcare.ErrVersionConflict)
		}
		wantDiff(t, "stored", ok(s.DoNotDisturb(ctx, "ann"))(t), first)
	})
}

// freshDND opens a store that must also keep Do Not Disturb.
func freshDND(t *testing.T, open Opener) (context.Context, selfcare.DNDStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	ds, ok := s.(selfcare.DNDStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.DNDStore", s)
	}
	return ctx, ds
}

package storetest

import (
	"context"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testConferencing checks [selfcare.ConferencingStore]. The choices it
// pins: a user never saved reads as selfcare.DefaultConferencing at
// Version 0; the access code round-trips exactly, leading zeros
// included; a stale save changes nothing and matches
// selfcare.ErrVersionConflict.
func testConferencing(t *testing.T, open Opener) {
	t.Run("NeverSavedIsTheDefaultAtVersionZero", func(t *testing.T) {
		ctx, s := freshConferencing(t, open)
		wantDiff(t, "Conferencing", ok(s.Conferencing(ctx, "ann"))(t),
			selfcare.DefaultConferencing("ann"))
	})

	t.Run("SaveRoundTripsAndCountsVersions", func(t *testing.T) {
		ctx, s := freshConferencing(t, open)
		c := selfcare.Conferencing{UserID: "ann", Enabled: true, AccessCode: "0472"}
		want := c
		want.Version = 1
		wantDiff(t, "returned", ok(s.UpdateConferencing(ctx, c))(t), want)
		wantDiff(t, "read back", ok(s.Conferencing(ctx, "ann"))(t), want)

		next := want
		next.Enabled, next.AccessCode = false, ""
		want = next
		want.Version = 2
		wantDiff(t, "second save", ok(s.UpdateConferencing(ctx, next))(t), want)
		wantDiff(t, "after second save", ok(s.Conferencing(ctx, "ann"))(t), want)
		wantDiff(t, "other user", ok(s.Conferencing(ctx, "ben"))(t),
			selfcare.DefaultConferencing("ben"))
	})

	t.Run("StaleVersionIsRefusedAndChangesNothing", func(t *testing.T) {
		ctx, s := freshConferencing(t, open)
		first := ok(s.UpdateConferencing(ctx, selfcare.Conferencing{UserID: "ann",
			Enabled: true, AccessCode: "52719"}))(t)
		for _, v := range []int64{0, 7} {
			stale := first
			stale.Version, stale.AccessCode = v, "80413"
			_, err := s.UpdateConferencing(ctx, stale)
			wantErr(t, "stale save", err, selfcare.ErrVersionConflict)
		}
		wantDiff(t, "stored", ok(s.Conferencing(ctx, "ann"))(t), first)
	})
}

// freshConferencing opens a store that must also keep Conference Now.
func freshConferencing(t *testing.T, open Opener) (context.Context,
	selfcare.ConferencingStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	cs, ok := s.(selfcare.ConferencingStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.ConferencingStore", s)
	}
	return ctx, cs
}

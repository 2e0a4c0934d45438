package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testSpeedDials checks [selfcare.SpeedDialStore]. The choices it pins
// where the contract leaves room:
//
//   - A phone never saved reads as no entries, Version 0 and the device
//     filled in; it is not an error.
//   - Entries come back ordered by position, whatever order they were
//     saved in, and a save replaces the whole list.
//   - A stale save changes nothing and matches selfcare.ErrVersionConflict.
func testSpeedDials(t *testing.T, open Opener) {
	t.Run("NeverSavedIsEmptyAtVersionZero", func(t *testing.T) {
		ctx, s := freshSpeedDials(t, open)
		wantDiff(t, "SpeedDials", ok(s.SpeedDials(ctx, "SEPA"))(t),
			selfcare.SpeedDials{Device: "SEPA"})
	})

	t.Run("SaveReplacesTheListOrderedByPosition", func(t *testing.T) {
		ctx, s := freshSpeedDials(t, open)
		l := selfcare.SpeedDials{Device: "SEPA", Entries: []selfcare.SpeedDial{
			{Position: 7, Destination: "95551234,1234,5678#", Label: "Bank"},
			{Position: 2, Destination: "name@example.com"},
		}}
		want := selfcare.SpeedDials{Device: "SEPA", Version: 1,
			Entries: []selfcare.SpeedDial{l.Entries[1], l.Entries[0]}}
		wantDiff(t, "returned", ok(s.UpdateSpeedDials(ctx, l))(t), want)
		wantDiff(t, "read back", ok(s.SpeedDials(ctx, "SEPA"))(t), want)

		next := selfcare.SpeedDials{Device: "SEPA", Version: 1,
			Entries: []selfcare.SpeedDial{{Position: 3, Destination: "4021", Label: "Ann"}}}
		want = next
		want.Version = 2
		wantDiff(t, "second save", ok(s.UpdateSpeedDials(ctx, next))(t), want)
		wantDiff(t, "after second save", ok(s.SpeedDials(ctx, "SEPA"))(t), want)

		empty := ok(s.UpdateSpeedDials(ctx, selfcare.SpeedDials{Device: "SEPA",
			Version: 2}))(t)
		if got := ok(s.SpeedDials(ctx, "SEPA"))(t); len(got.Entries) != 0 ||
			got.Version != 3 || empty.Version != 3 {
			t.Errorf("emptied list: %+v, returned %+v", got, empty)
		}
		wantDiff(t, "other phone", ok(s.SpeedDials(ctx, "SEPB"))(t),
			selfcare.SpeedDials{Device: "SEPB"})
	})

	t.Run("StaleVersionIsRefusedAndChangesNothing", func(t *testing.T) {
		ctx, s := freshSpeedDials(t, open)
		first := ok(s.UpdateSpeedDials(ctx, selfcare.SpeedDials{Device: "SEPA",
			Entries: []selfcare.SpeedDial{{Position: 1, Destination: "4021"}}}))(t)
		for _, v := range []int64{0, 5} {
			_, err := s.UpdateSpeedDials(ctx, selfcare.SpeedDials{Device: "SEPA",
				Version: v})
			wantErr(t, "stale save", err, selfcare.ErrVersionConflict)
		}
		wantDiff(t, "stored", ok(s.SpeedDials(ctx, "SEPA"))(t), first)
	})

	t.Run("ConcurrentSavesOfOneVersionOneWins", func(t *testing.T) {
		ctx, s := freshSpeedDials(t, open)
		const n = 8
		var (
			wg         sync.WaitGroup
			mu         sync.Mutex
			won, stale int
		)
		for i := range n {
			wg.Go(func() {
				_, err := s.UpdateSpeedDials(ctx, selfcare.SpeedDials{Device: "SEPA",
					Entries: []selfcare.SpeedDial{{Position: i + 1, Destination: "4021"}}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, selfcare.ErrVersionConflict):
					stale++
				default:
					t.Errorf("save %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		got := ok(s.SpeedDials(ctx, "SEPA"))(t)
		if won != 1 || stale != n-1 || got.Version != 1 || len(got.Entries) != 1 {
			t.Errorf("%d won, %d stale, stored %+v; want one winner", won, stale, got)
		}
	})
}

// freshSpeedDials opens a store that must also keep speed dials.
func freshSpeedDials(t *testing.T, open Opener) (context.Context, selfcare.SpeedDialStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	ss, ok := s.(selfcare.SpeedDialStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.SpeedDialStore", s)
	}
	return ctx, ss
}

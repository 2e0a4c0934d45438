package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// testForwarding checks [selfcare.ForwardingStore]. The choices it pins
// where the contract leaves room:
//
//   - An extension never saved reads as every rule off, Version 0 and the
//     extension filled in; it is not an error.
//   - The table passed to check holds the Call Forward All number of
//     every stored extension, the one being saved included, and leaves
//     out rules set to voicemail, whose destination is still stored.
//   - A refused save (stale version or failed check) changes nothing, and
//     the version error matches selfcare.ErrVersionConflict.
func testForwarding(t *testing.T, open Opener) {
	t.Run("NeverSavedIsOffAtVersionZero", func(t *testing.T) {
		ctx, s := freshForwarding(t, open)
		got := ok(s.LineForwarding(ctx, "4021"))(t)
		wantDiff(t, "LineForwarding", got, selfcare.CallForwarding{Extension: "4021"})
	})

	t.Run("SaveRoundTripsEveryRuleAndCountsVersions", func(t *testing.T) {
		ctx, s := freshForwarding(t, open)
		f := everyRule("4021")
		saved := ok(s.UpdateLineForwarding(ctx, f, nil))(t)
		want := f
		want.Version = 1
		wantDiff(t, "returned", saved, want)
		wantDiff(t, "read back", ok(s.LineForwarding(ctx, "4021"))(t), want)

		saved.Rules[params.ForwardBusyExternal] = selfcare.ForwardRule{}
		again := ok(s.UpdateLineForwarding(ctx, saved, nil))(t)
		if again.Version != 2 {
			t.Errorf("second save: version %d, want 2", again.Version)
		}
		wantDiff(t, "after second save", ok(s.LineForwarding(ctx, "4021"))(t), again)
		// Other extensions are not touched.
		wantDiff(t, "other line", ok(s.LineForwarding(ctx, "4022"))(t),
			selfcare.CallForwarding{Extension: "4022"})
	})

	t.Run("StaleVersionIsRefusedAndChangesNothing", func(t *testing.T) {
		ctx, s := freshForwarding(t, open)
		first := ok(s.UpdateLineForwarding(ctx, everyRule("4021"), nil))(t)
		stale := first
		stale.Version = 0
		stale.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{Destination: "4999"}
		_, err := s.UpdateLineForwarding(ctx, stale, nil)
		wantErr(t, "version 0 over version 1", err, selfcare.ErrVersionConflict)
		ahead := first
		ahead.Version = 7
		_, err = s.UpdateLineForwarding(ctx, ahead, nil)
		wantErr(t, "version from the future", err, selfcare.ErrVersionConflict)
		wantDiff(t, "stored", ok(s.LineForwarding(ctx, "4021"))(t), first)
	})

	t.Run("CheckSeesCallForwardAllNumbersAndCanRefuse", func(t *testing.T) {
		ctx, s := freshForwarding(t, open)
		save := func(ext string, r selfcare.ForwardRule) {
			t.Helper()
			f := selfcare.CallForwarding{Extension: ext}
			f.Rules[params.ForwardAllCalls] = r
			ok(s.UpdateLineForwarding(ctx, f, nil))(t)
		}
		save("4021", selfcare.ForwardRule{Destination: "4022"})
		save("4022", selfcare.ForwardRule{Voicemail: true, Destination: "4023"})
		save("4023", selfcare.ForwardRule{Destination: "914085550100"})

		var seen selfcare.ForwardTable
		refusal := errors.New("refused by check")
		f := selfcare.CallForwarding{Extension: "4024"}
		f.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{Destination: "4021"}
		_, err := s.UpdateLineForwarding(ctx, f, func(tb selfcare.ForwardTable) error {
			seen = tb
			return refusal
		})
		wantErr(t, "refused save", err, refusal)
		wantDiff(t, "table", seen.Forwards, map[string]string{
			"4021": "4022", "4023": "914085550100"})
		wantDiff(t, "refused extension", ok(s.LineForwarding(ctx, "4024"))(t),
			selfcare.CallForwarding{Extension: "4024"})
	})

	t.Run("ConcurrentSavesOfOneVersionOneWins", func(t *testing.T) {
		ctx, s := freshForwarding(t, open)
		const n = 8
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			wins     []string
			conflict int
		)
		for i := range n {
			wg.Go(func() {
				f := selfcare.CallForwarding{Extension: "4021"}
				dest := "40" + string(rune('3'+i%7)) + "0"
				f.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{Destination: dest}
				_, err := s.UpdateLineForwarding(ctx, f, func(selfcare.ForwardTable) error {
					return nil
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins = append(wins, dest)
				case errors.Is(err, selfcare.ErrVersionConflict):
					conflict++
				default:
					t.Errorf("save %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if len(wins) != 1 || conflict != n-1 {
			t.Fatalf("%d saves won and %d conflicted, want 1 and %d", len(wins),
				conflict, n-1)
		}
		got := ok(s.LineForwarding(ctx, "4021"))(t)
		if got.Version != 1 || got.Rules[params.ForwardAllCalls].Destination != wins[0] {
			t.Errorf("stored %+v, want the winner %s at version 1", got, wins[0])
		}
	})
}

// everyRule returns forwarding with every rule set differently, so that a
// store that mixes up two columns is caught.
func everyRule(ext string) selfcare.CallForwarding {
	f := selfcare.CallForwarding{Extension: ext}
	f.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{Voicemail: true,
		Destination: "914085550100"}
	f.Rules[params.ForwardBusyInternal] = selfcare.ForwardRule{Destination: "4031"}
	f.Rules[params.ForwardBusyExternal] = selfcare.ForwardRule{Voicemail: true}
	f.Rules[params.ForwardNoAnswerInternal] = selfcare.ForwardRule{
		Destination: "name@example.com"}
	f.Rules[params.ForwardNoAnswerExternal] = selfcare.ForwardRule{Voicemail: true,
		Destination: "4032"}
	return f
}

// freshForwarding opens a store for a parallel subtest, as the call
// forwarding store it must also be.
func freshForwarding(t *testing.T, open Opener) (context.Context, selfcare.ForwardingStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	fs, ok := s.(selfcare.ForwardingStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.ForwardingStore", s)
	}
	return ctx, fs
}

package storetest

import (
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testDestPolicy checks [selfcare.DestinationPolicyStore]. The choices it
// pins: nothing stored reads as Custom false at Version 0 with a zero
// policy; a policy round-trips field by field, kinds and messages
// included; a reset keeps counting versions; a stale save changes
// nothing, the generation included; every save advances the generation;
// the store keeps no slice of its caller's.
func testDestPolicy(t *testing.T, open Opener) {
	sample := func() selfcare.DestinationPolicy {
		p := selfcare.NewDestinationPolicy(selfcare.DestinationSite{CountryCode: "44",
			AccessCode: "9", InternationalPrefix: "00", NationalPrefix: "0",
			ExtensionLengths: []int{4, 5}, URIDomains: []string{"example.com"}})
		p.Classes[0].Kinds = []selfcare.DestinationKind{selfcare.DestinationForward,
			selfcare.DestinationRemote}
		return p
	}
	t.Run("NothingStoredIsTheDefaultAtVersionZero", func(t *testing.T) {
		ctx, s := fresh(t, open)
		ps := asDestPolicy(t, s)
		wantDiff(t, "DestinationPolicy", ok(ps.DestinationPolicy(ctx))(t),
			selfcare.ConfiguredDestinationPolicy{})
	})

	t.Run("SaveRoundTripsResetKeepsCountingAndGenerationMoves", func(t *testing.T) {
		ctx, s := fresh(t, open)
		ps := asDestPolicy(t, s)
		gen0 := ok(s.Generation(ctx))(t)

		in := selfcare.ConfiguredDestinationPolicy{Policy: sample(), Custom: true}
		want := selfcare.ConfiguredDestinationPolicy{Policy: sample(), Custom: true,
			Version: 1}
		got := ok(ps.SetDestinationPolicy(ctx, in))(t)
		wantDiff(t, "returned", got, want)
		wantDiff(t, "read back", ok(ps.DestinationPolicy(ctx))(t), want)
		gen1 := ok(s.Generation(ctx))(t)
		if gen1 == gen0 {
			t.Errorf("generation stayed at %d after a save", gen0)
		}

		// The store shares no slice with what went in or came out.
		in.Policy.Classes[0].Patterns[0] = "changed"
		in.Policy.Site.ExtensionLengths[0] = 9
		got.Policy.Classes[1].Name = "changed"
		wantDiff(t, "after the caller changed its copies",
			ok(ps.DestinationPolicy(ctx))(t), want)

		reset := ok(ps.SetDestinationPolicy(ctx,
			selfcare.ConfiguredDestinationPolicy{Version: 1}))(t)
		wantDiff(t, "reset", reset, selfcare.ConfiguredDestinationPolicy{Version: 2})
		wantDiff(t, "after the reset", ok(ps.DestinationPolicy(ctx))(t),
			selfcare.ConfiguredDestinationPolicy{Version: 2})
		if gen2 := ok(s.Generation(ctx))(t); gen2 == gen1 {
			t.Errorf("generation stayed at %d after a reset", gen1)
		}
	})

	t.Run("StaleVersionIsRefusedAndChangesNothing", func(t *testing.T) {
		ctx, s := fresh(t, open)
		ps := asDestPolicy(t, s)
		first := ok(ps.SetDestinationPolicy(ctx, selfcare.ConfiguredDestinationPolicy{
			Policy: sample(), Custom: true}))(t)
		gen := ok(s.Generation(ctx))(t)
		for _, v := range []int64{0, 5} {
			_, err := ps.SetDestinationPolicy(ctx, selfcare.ConfiguredDestinationPolicy{
				Policy: selfcare.DefaultDestinationPolicy(), Custom: true, Version: v})
			wantErr(t, "stale save", err, selfcare.ErrVersionConflict)
		}
		wantDiff(t, "stored", ok(ps.DestinationPolicy(ctx))(t), first)
		if got := ok(s.Generation(ctx))(t); got != gen {
			t.Errorf("a refused save moved the generation %d -> %d", gen, got)
		}
	})
}

// asDestPolicy returns s as a store that must also keep the destination
// policy.
func asDestPolicy(t *testing.T, s selfcare.Store) selfcare.DestinationPolicyStore {
	t.Helper()
	ps, ok := s.(selfcare.DestinationPolicyStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.DestinationPolicyStore", s)
	}
	return ps
}

package storetest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// testParams checks [selfcare.ParamStore], which every store implements.
// The choices it pins where the contracts leave room:
//
//   - The generation is the store's one generation, shared with acl: a
//     non-empty UpdateParams and every SetServers move it; an empty plan,
//     reads, profile and per-user changes leave it alone.
//   - Servers may come back in any order; the suite sorts them.
//   - Profiles compare by name exactly, case included.
//   - EMLoginChoice of a user who never chose is "".
func testParams(t *testing.T, open Opener) {
	t.Run("EveryDefaultRoundTrips", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		var plan []params.Change
		want := map[string]string{}
		for _, d := range params.Definitions() {
			plan = append(plan, params.Change{Key: d.Key, New: d.Default})
			want[d.Key] = d.Default
		}
		must(t, s.UpdateParams(ctx, plan))
		got := ok(s.ParamValues(ctx))(t)
		wantDiff(t, "ParamValues", got, want)

		// What comes back is a valid snapshot with every value set.
		v, err := params.NewValues(got, params.Cluster{})
		must(t, err)
		for _, d := range params.Definitions() {
			if !v.IsSet(d.Key) || v.Value(d.Key) != d.Default {
				t.Errorf("%s: set %t, value %q; want set to %q", d.Key, v.IsSet(d.Key),
					v.Value(d.Key), d.Default)
			}
		}
	})

	t.Run("UpdateParamsSetsReplacesAndResets", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		wantDiff(t, "fresh ParamValues", ok(s.ParamValues(ctx))(t), map[string]string{})
		must(t, s.UpdateParams(ctx, []params.Change{
			{Key: params.KeyShowChangePIN, New: "false"},
			{Key: params.KeyIntraClusterLoginTime, New: "4:00"},
			{Key: params.KeyEnforceIntraClusterLoginTime, New: "true", Implied: true},
		}))
		must(t, s.UpdateParams(ctx, []params.Change{
			{Key: params.KeyIntraClusterLoginTime, Old: "4:00", New: "10:30"},
			{Key: params.KeyShowChangePIN, Reset: true},
			// Removing a value that is not stored is no error.
			{Key: params.KeyShowRingSettings, Reset: true},
		}))
		wantDiff(t, "ParamValues", ok(s.ParamValues(ctx))(t), map[string]string{
			params.KeyIntraClusterLoginTime:        "10:30",
			params.KeyEnforceIntraClusterLoginTime: "true",
		})
	})

	t.Run("UnknownKeysAreKeptAsGiven", func(t *testing.T) {
		// Stores keep what they are given; validation is the caller's,
		// and a key a later table drops must not break a load.
		ctx, s := freshParams(t, open)
		must(t, s.UpdateParams(ctx, []params.Change{{Key: "RetiredParameter", New: "x y"}}))
		wantDiff(t, "ParamValues", ok(s.ParamValues(ctx))(t),
			map[string]string{"RetiredParameter": "x y"})
	})

	t.Run("GenerationMovesWithValuesAndServersOnly", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice")
		gen := func() uint64 { t.Helper(); return ok(s.Generation(ctx))(t) }
		pub := []params.Server{{Name: "cucm-pub", Publisher: true}}
		steps := []struct {
			name    string
			changes bool
			do      func() error
		}{
			{"set a value", true, func() error {
				return s.UpdateParams(ctx, []params.Change{
					{Key: params.KeyShowRingSettings, New: "true"}})
			}},
			{"reset it", true, func() error {
				return s.UpdateParams(ctx, []params.Change{
					{Key: params.KeyShowRingSettings, Reset: true}})
			}},
			{"empty plan", false, func() error { return s.UpdateParams(ctx, nil) }},
			{"set servers", true, func() error { return s.SetServers(ctx, pub) }},
			{"clear servers", true, func() error { return s.SetServers(ctx, nil) }},
			{"read values", false, func() error { _, err := s.ParamValues(ctx); return err }},
			{"read servers", false, func() error { _, err := s.Servers(ctx); return err }},
			{"put profile", false, func() error { return s.PutProfile(ctx, profHotDesk) }},
			{"assign profile", false, func() error {
				return s.AssignProfile(ctx, "alice", profHotDesk.Name)
			}},
			{"set login time", false, func() error {
				return s.SetEMLoginChoice(ctx, "alice", "8:00")
			}},
		}
		for _, st := range steps {
			before := gen()
			must(t, st.do())
			if after := gen(); (after != before) != st.changes {
				t.Errorf("%s: generation %d -> %d, want changed=%v",
					st.name, before, after, st.changes)
			}
		}
	})

	t.Run("SetServersReplacesTheList", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		wantDiff(t, "fresh Servers", ok(s.Servers(ctx))(t), []params.Server(nil))
		must(t, s.SetServers(ctx, []params.Server{
			{Name: "sub1.example.com"}, {Name: "pub.example.com", Publisher: true},
		}))
		must(t, s.SetServers(ctx, []params.Server{
			{Name: "sub2.example.com", Publisher: true}, {Name: "pub.example.com"},
			{Name: "2001:db8::10"},
		}))
		wantDiff(t, "Servers", sortedServers(ok(s.Servers(ctx))(t)), []params.Server{
			{Name: "2001:db8::10"}, {Name: "pub.example.com"},
			{Name: "sub2.example.com", Publisher: true},
		})
	})

	t.Run("ProfilesRoundTripOrderedByName", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		office := params.UserProfile{Name: "Office", Description: "Fixed desks"}
		lower := params.UserProfile{Name: "hot desk", Description: "Same name, other case"}
		for _, p := range []params.UserProfile{office, lower, profHotDesk} {
			must(t, s.PutProfile(ctx, p))
		}
		wantDiff(t, "Profile", ok(s.Profile(ctx, profHotDesk.Name))(t), profHotDesk)
		wantDiff(t, "Profiles", ok(s.Profiles(ctx))(t),
			[]params.UserProfile{profHotDesk, office, lower})

		changed := profHotDesk
		changed.Description, changed.AllowEMMaxLoginTime = "Changed", false
		must(t, s.PutProfile(ctx, changed))
		wantDiff(t, "replaced Profile", ok(s.Profile(ctx, profHotDesk.Name))(t), changed)
		if n := len(ok(s.Profiles(ctx))(t)); n != 3 {
			t.Errorf("Profiles: %d after replacing one, want 3", n)
		}
	})

	t.Run("MissingProfileIsNotFound", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		must(t, s.PutProfile(ctx, profHotDesk))
		_, err := s.Profile(ctx, "Nope")
		wantErr(t, "Profile", err, params.ErrNotFound)
		_, err = s.Profile(ctx, strings.ToUpper(profHotDesk.Name))
		wantErr(t, "Profile in other case", err, params.ErrNotFound)
		wantErr(t, "DeleteProfile", s.DeleteProfile(ctx, "Nope"), params.ErrNotFound)
	})

	t.Run("ProfileInUseIsNotDeleted", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		must(t, s.PutProfile(ctx, profHotDesk))
		must(t, s.AssignProfile(ctx, "alice", profHotDesk.Name))
		wantErr(t, "DeleteProfile", s.DeleteProfile(ctx, profHotDesk.Name), params.ErrInUse)
		wantDiff(t, "Profile", ok(s.Profile(ctx, profHotDesk.Name))(t), profHotDesk)

		// Once nobody holds it, it goes.
		must(t, s.AssignProfile(ctx, "alice", ""))
		must(t, s.DeleteProfile(ctx, profHotDesk.Name))
		_, err := s.Profile(ctx, profHotDesk.Name)
		wantErr(t, "Profile after delete", err, params.ErrNotFound)
	})

	t.Run("AssignProfileChecksUserAndProfile", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice")
		must(t, s.PutProfile(ctx, profHotDesk))
		before := ok(s.User(ctx, "alice"))(t)

		wantErr(t, "unknown user", s.AssignProfile(ctx, "bob", profHotDesk.Name),
			selfcare.ErrNotFound)
		wantErr(t, "unknown profile", s.AssignProfile(ctx, "alice", "Nope"),
			params.ErrNotFound)
		wantDiff(t, "User after refusals", ok(s.User(ctx, "alice"))(t), before)

		must(t, s.AssignProfile(ctx, "alice", profHotDesk.Name))
		want := before
		want.Profile = profHotDesk.Name
		wantDiff(t, "User", ok(s.User(ctx, "alice"))(t), want)
	})

	t.Run("EMLoginChoiceIsPerUser", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		if c := ok(s.EMLoginChoice(ctx, "alice"))(t); c != "" {
			t.Errorf("fresh EMLoginChoice = %q, want empty", c)
		}
		must(t, s.SetEMLoginChoice(ctx, "alice", "10:30"))
		must(t, s.SetEMLoginChoice(ctx, "bob", "none"))
		must(t, s.SetEMLoginChoice(ctx, "alice", "default"))
		for user, want := range map[string]string{"alice": "default", "bob": "none"} {
			if c := ok(s.EMLoginChoice(ctx, user))(t); c != want {
				t.Errorf("EMLoginChoice(%s) = %q, want %q", user, c, want)
			}
		}
		// The rest of the user is untouched.
		wantDiff(t, "User", ok(s.User(ctx, "alice"))(t), newUser("alice"))

		_, err := s.EMLoginChoice(ctx, "carol")
		wantErr(t, "EMLoginChoice", err, selfcare.ErrNotFound)
		wantErr(t, "SetEMLoginChoice", s.SetEMLoginChoice(ctx, "carol", "none"),
			selfcare.ErrNotFound)
	})

	t.Run("ValuesAndServersAreCopied", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		servers := []params.Server{{Name: "pub", Publisher: true}}
		must(t, s.SetServers(ctx, servers))
		servers[0].Name = "changed"
		must(t, s.UpdateParams(ctx, []params.Change{{Key: params.KeyShowChangePIN,
			New: "false"}}))

		ok(s.ParamValues(ctx))(t)[params.KeyShowChangePIN] = "changed"
		ok(s.Servers(ctx))(t)[0].Publisher = false
		wantDiff(t, "ParamValues", ok(s.ParamValues(ctx))(t),
			map[string]string{params.KeyShowChangePIN: "false"})
		wantDiff(t, "Servers", ok(s.Servers(ctx))(t),
			[]params.Server{{Name: "pub", Publisher: true}})
	})

	t.Run("ConcurrentUpdatesAreAllKept", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		defs := params.Definitions()
		start := ok(s.Generation(ctx))(t)
		var wg sync.WaitGroup
		errs := make(chan error, len(defs))
		for _, d := range defs {
			wg.Go(func() {
				errs <- s.UpdateParams(ctx, []params.Change{{Key: d.Key, New: d.Default}})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		if n := len(ok(s.ParamValues(ctx))(t)); n != len(defs) {
			t.Errorf("ParamValues holds %d values after %d updates", n, len(defs))
		}
		if g := ok(s.Generation(ctx))(t); g == start {
			t.Errorf("generation stayed %d after %d updates", g, len(defs))
		}
	})
}

// profHotDesk is a profile whose users choose their login time.
var profHotDesk = params.UserProfile{Name: "Hot Desk",
	Description: "Shared desks, Extension Mobility", AllowEMMaxLoginTime: true}

// freshParams opens a store for a parallel subtest as a ParamStore.
func freshParams(t *testing.T, open Opener) (context.Context, paramStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	ps, ok := s.(selfcare.ParamStore)
	if !ok {
		t.Fatalf("%T does not implement selfcare.ParamStore", s)
	}
	return ctx, paramStore{Store: s, ParamStore: ps}
}

// paramStore is a store seen as both interfaces. Generation is in both;
// the store's one method serves them.
type paramStore struct {
	selfcare.Store
	selfcare.ParamStore
}

// Generation resolves the ambiguity between the two embedded interfaces.
func (s paramStore) Generation(ctx context.Context) (uint64, error) {
	return s.Store.Generation(ctx)
}

// sortedServers sorts servers by name.
func sortedServers(ss []params.Server) []params.Server {
	slices.SortFunc(ss, func(a, b params.Server) int { return strings.Compare(a.Name, b.Name) })
	return ss
}

package storetest

import (
	"context"
	"errors"
	"slices"
	"strconv"
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
//   - Profiles are looked up by name exactly, case included, but no two
//     names differ in letter case only.
//   - EMLoginChoice of a user who never chose is "".
//   - UpdateParams and SetServers refuse a generation that is not the
//     store's with params.ErrConflict and change nothing; the suite's
//     plain writes pass the generation they just read.
func testParams(t *testing.T, open Opener) {
	t.Run("EveryDefaultRoundTrips", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		var plan []params.Change
		want := map[string]string{}
		for _, d := range params.Definitions() {
			plan = append(plan, params.Change{Key: d.Key, New: d.Default})
			want[d.Key] = d.Default
		}
		must(t, s.UpdateParams(ctx, s.now(t), plan))
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
		must(t, s.UpdateParams(ctx, s.now(t), []params.Change{
			{Key: params.KeyShowChangePIN, New: "false"},
			{Key: params.KeyIntraClusterLoginTime, New: "4:00"},
			{Key: params.KeyEnforceIntraClusterLoginTime, New: "true", Implied: true},
		}))
		must(t, s.UpdateParams(ctx, s.now(t), []params.Change{
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
		must(t, s.UpdateParams(ctx, s.now(t),
			[]params.Change{{Key: "RetiredParameter", New: "x y"}}))
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
				return s.UpdateParams(ctx, s.now(t), []params.Change{
					{Key: params.KeyShowRingSettings, New: "true"}})
			}},
			{"reset it", true, func() error {
				return s.UpdateParams(ctx, s.now(t), []params.Change{
					{Key: params.KeyShowRingSettings, Reset: true}})
			}},
			{"empty plan", false, func() error { return s.UpdateParams(ctx, s.now(t), nil) }},
			{"set servers", true, func() error { return s.SetServers(ctx, s.now(t), pub) }},
			{"clear servers", true, func() error { return s.SetServers(ctx, s.now(t), nil) }},
			{"read values", false, func() error { _, err := s.ParamValues(ctx); return err }},
			{"read servers", false, func() error { _, err := s.Servers(ctx); return err }},
			{"put profile", false, func() error { return s.putProfile(ctx, profHotDesk) }},
			{"assign profile", false, func() error {
				return s.assignProfile(ctx, "alice", profHotDesk.Name)
			}},
			{"set login time", false, func() error {
				_, err := s.SetEMLoginChoice(ctx, "alice", "8:00", 0)
				return err
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
		must(t, s.SetServers(ctx, s.now(t), []params.Server{
			{Name: "sub1.example.com"}, {Name: "pub.example.com", Publisher: true},
		}))
		must(t, s.SetServers(ctx, s.now(t), []params.Server{
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
		lower := params.UserProfile{Name: "hot desks", Description: "Sorts after upper case"}
		for _, p := range []params.UserProfile{office, lower, profHotDesk} {
			must(t, s.putProfile(ctx, p))
		}
		wantDiff(t, "Profile", ok(s.Profile(ctx, profHotDesk.Name))(t), profHotDesk)
		wantDiff(t, "Profiles", ok(s.Profiles(ctx))(t),
			[]params.UserProfile{profHotDesk, office, lower})

		changed := profHotDesk
		changed.Description, changed.AllowEMMaxLoginTime = "Changed", false
		must(t, s.putProfile(ctx, changed))
		wantDiff(t, "replaced Profile", ok(s.Profile(ctx, profHotDesk.Name))(t), changed)
		if n := len(ok(s.Profiles(ctx))(t)); n != 3 {
			t.Errorf("Profiles: %d after replacing one, want 3", n)
		}
	})

	t.Run("ProfileWritesReturnWhatTheyReplaced", func(t *testing.T) {
		// The audit trail records these, so they must come from the
		// write's own transaction rather than an earlier read.
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice")
		old, replaced, err := s.PutProfile(ctx, profHotDesk)
		if err != nil || replaced || old != (params.UserProfile{}) {
			t.Errorf("PutProfile of a new profile = %+v, %t, %v", old, replaced, err)
		}
		changed := profHotDesk
		changed.Description = "Changed"
		old, replaced, err = s.PutProfile(ctx, changed)
		if err != nil || !replaced {
			t.Fatalf("PutProfile replacing = %t, %v", replaced, err)
		}
		wantDiff(t, "replaced profile", old, profHotDesk)

		was, err := s.AssignProfile(ctx, "alice", profHotDesk.Name)
		if want := newUser("alice").Profile; err != nil || was != want {
			t.Errorf("first AssignProfile = %q, %v; want %q", was, err, want)
		}
		was, err = s.AssignProfile(ctx, "alice", "")
		if err != nil || was != profHotDesk.Name {
			t.Errorf("AssignProfile back = %q, %v; want %q", was, err, profHotDesk.Name)
		}
		deleted, err := s.DeleteProfile(ctx, profHotDesk.Name)
		must(t, err)
		wantDiff(t, "deleted profile", deleted, changed)
	})

	t.Run("MissingProfileIsNotFound", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		must(t, s.putProfile(ctx, profHotDesk))
		_, err := s.Profile(ctx, "Nope")
		wantErr(t, "Profile", err, params.ErrNotFound)
		_, err = s.Profile(ctx, strings.ToUpper(profHotDesk.Name))
		wantErr(t, "Profile in other case", err, params.ErrNotFound)
		wantErr(t, "DeleteProfile", s.deleteProfile(ctx, "Nope"), params.ErrNotFound)
	})

	t.Run("ProfileInUseIsNotDeleted", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		must(t, s.putProfile(ctx, profHotDesk))
		must(t, s.assignProfile(ctx, "alice", profHotDesk.Name))
		wantErr(t, "DeleteProfile", s.deleteProfile(ctx, profHotDesk.Name), params.ErrInUse)
		wantDiff(t, "Profile", ok(s.Profile(ctx, profHotDesk.Name))(t), profHotDesk)

		// Once nobody holds it, it goes.
		must(t, s.assignProfile(ctx, "alice", ""))
		must(t, s.deleteProfile(ctx, profHotDesk.Name))
		_, err := s.Profile(ctx, profHotDesk.Name)
		wantErr(t, "Profile after delete", err, params.ErrNotFound)
	})

	t.Run("AssignProfileChecksUserAndProfile", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice")
		must(t, s.putProfile(ctx, profHotDesk))
		before := ok(s.User(ctx, "alice"))(t)

		wantErr(t, "unknown user", s.assignProfile(ctx, "bob", profHotDesk.Name),
			selfcare.ErrNotFound)
		wantErr(t, "unknown profile", s.assignProfile(ctx, "alice", "Nope"),
			params.ErrNotFound)
		wantDiff(t, "User after refusals", ok(s.User(ctx, "alice"))(t), before)

		must(t, s.assignProfile(ctx, "alice", profHotDesk.Name))
		want := before
		want.Profile = profHotDesk.Name
		wantDiff(t, "User", ok(s.User(ctx, "alice"))(t), want)
	})

	t.Run("EMLoginChoiceIsPerUser", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		type state struct {
			Choice  string
			Version int64
		}
		read := func(user string) state {
			t.Helper()
			c, v, err := s.EMLoginChoice(ctx, user)
			must(t, err)
			return state{c, v}
		}
		set := func(user, choice string, version int64) (int64, error) {
			return s.SetEMLoginChoice(ctx, user, choice, version)
		}
		wantDiff(t, "fresh EMLoginChoice", read("alice"), state{})
		wantDiff(t, "first version", ok(set("alice", "10:30", 0))(t), int64(1))
		ok(set("bob", "none", 0))(t)
		wantDiff(t, "second version", ok(set("alice", "default", 1))(t), int64(2))
		wantDiff(t, "alice", read("alice"), state{"default", 2})
		wantDiff(t, "bob", read("bob"), state{"none", 1})
		// The rest of the user is untouched.
		wantDiff(t, "User", ok(s.User(ctx, "alice"))(t), newUser("alice"))

		// A stale or future version changes nothing.
		for _, v := range []int64{1, 3, 0} {
			_, err := set("alice", "none", v)
			wantErr(t, "SetEMLoginChoice stale", err, selfcare.ErrVersionConflict)
		}
		wantDiff(t, "alice after conflicts", read("alice"), state{"default", 2})

		_, _, err := s.EMLoginChoice(ctx, "carol")
		wantErr(t, "EMLoginChoice", err, selfcare.ErrNotFound)
		_, err = set("carol", "none", 0)
		wantErr(t, "SetEMLoginChoice", err, selfcare.ErrNotFound)
	})

	t.Run("ValuesAndServersAreCopied", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		servers := []params.Server{{Name: "pub", Publisher: true}}
		must(t, s.SetServers(ctx, s.now(t), servers))
		servers[0].Name = "changed"
		must(t, s.UpdateParams(ctx, s.now(t), []params.Change{{Key: params.KeyShowChangePIN,
			New: "false"}}))

		ok(s.ParamValues(ctx))(t)[params.KeyShowChangePIN] = "changed"
		ok(s.Servers(ctx))(t)[0].Publisher = false
		wantDiff(t, "ParamValues", ok(s.ParamValues(ctx))(t),
			map[string]string{params.KeyShowChangePIN: "false"})
		wantDiff(t, "Servers", ok(s.Servers(ctx))(t),
			[]params.Server{{Name: "pub", Publisher: true}})
	})

	t.Run("ConcurrentUpdatesAreAllKept", func(t *testing.T) {
		// Each writer plans at the generation it read and plans again
		// when another landed first, as the service does.
		ctx, s := freshParams(t, open)
		defs := params.Definitions()
		start := s.now(t)
		var wg sync.WaitGroup
		errs := make(chan error, len(defs))
		for _, d := range defs {
			wg.Go(func() {
				errs <- retryConflicts(func() error {
					gen, err := s.Generation(ctx)
					if err != nil {
						return err
					}
					return s.UpdateParams(ctx, gen, []params.Change{{Key: d.Key, New: d.Default}})
				})
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
		if g := s.now(t); g == start {
			t.Errorf("generation stayed %d after %d updates", g, len(defs))
		}
	})

	t.Run("StaleGenerationIsRefused", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		pub := []params.Server{{Name: "cucm-pub", Publisher: true}}
		stale := s.now(t)
		must(t, s.UpdateParams(ctx, stale, []params.Change{
			{Key: params.KeyShowChangePIN, New: "false"}}))

		gen := s.now(t)
		wantErr(t, "UpdateParams at a stale generation", s.UpdateParams(ctx, stale,
			[]params.Change{{Key: params.KeyShowChangePIN, Reset: true}}), params.ErrConflict)
		wantErr(t, "SetServers at a stale generation", s.SetServers(ctx, stale, pub),
			params.ErrConflict)
		wantErr(t, "UpdateParams at a future generation", s.UpdateParams(ctx, gen+1,
			[]params.Change{{Key: params.KeyShowChangePIN, Reset: true}}), params.ErrConflict)

		// Nothing changed, the generation included.
		wantDiff(t, "ParamValues", ok(s.ParamValues(ctx))(t),
			map[string]string{params.KeyShowChangePIN: "false"})
		wantDiff(t, "Servers", ok(s.Servers(ctx))(t), []params.Server(nil))
		if g := s.now(t); g != gen {
			t.Errorf("refused writes moved the generation %d -> %d", gen, g)
		}
		// An empty plan checks nothing.
		must(t, s.UpdateParams(ctx, stale, nil))
	})

	t.Run("CompareAndSetLosesNoUpdate", func(t *testing.T) {
		// Writers that each read a counter and store it plus one, at the
		// generation they read it at, must count every writer: a stale
		// read is refused, never stored.
		ctx, s := freshParams(t, open)
		const writers = 12
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for range writers {
			wg.Go(func() {
				errs <- retryConflicts(func() error {
					gen, err := s.Generation(ctx)
					if err != nil {
						return err
					}
					vals, err := s.ParamValues(ctx)
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(vals["Counter"])
					return s.UpdateParams(ctx, gen, []params.Change{
						{Key: "Counter", Old: vals["Counter"], New: strconv.Itoa(n + 1)}})
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		if got := ok(s.ParamValues(ctx))(t)["Counter"]; got != strconv.Itoa(writers) {
			t.Errorf("counter %s after %d writers; updates were lost", got, writers)
		}
	})

	t.Run("ProfileNamesIgnoreCase", func(t *testing.T) {
		ctx, s := freshParams(t, open)
		must(t, s.putProfile(ctx, profHotDesk))
		gen := s.now(t)
		lower := params.UserProfile{Name: strings.ToLower(profHotDesk.Name)}
		wantErr(t, "PutProfile in other case", s.putProfile(ctx, lower), params.ErrExists)
		wantErr(t, "PutProfile in other Unicode case",
			s.putProfile(ctx, params.UserProfile{Name: "HOT DESK"}), params.ErrExists)
		wantDiff(t, "Profiles", ok(s.Profiles(ctx))(t), []params.UserProfile{profHotDesk})

		// Replacing the profile under its own name is no clash, and
		// profiles leave the generation alone.
		changed := profHotDesk
		changed.Description = "Changed"
		must(t, s.putProfile(ctx, changed))
		wantDiff(t, "Profiles", ok(s.Profiles(ctx))(t), []params.UserProfile{changed})
		if g := s.now(t); g != gen {
			t.Errorf("profiles moved the generation %d -> %d", gen, g)
		}
		// Non-ASCII letters fold too.
		must(t, s.putProfile(ctx, params.UserProfile{Name: "Büro"}))
		wantErr(t, "PutProfile of BÜRO", s.putProfile(ctx, params.UserProfile{Name: "BÜRO"}),
			params.ErrExists)
	})
}

// retryConflicts runs write until it succeeds, fails otherwise than with
// params.ErrConflict, or has met a conflict a bounded number of times.
func retryConflicts(write func() error) error {
	var err error
	for range 1000 {
		if err = write(); !errors.Is(err, params.ErrConflict) {
			return err
		}
	}
	return err
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

// putProfile, deleteProfile and assignProfile are the store's methods for
// steps that need only their error.
func (s paramStore) putProfile(ctx context.Context, p params.UserProfile) error {
	_, _, err := s.PutProfile(ctx, p)
	return err
}

func (s paramStore) deleteProfile(ctx context.Context, name string) error {
	_, err := s.DeleteProfile(ctx, name)
	return err
}

func (s paramStore) assignProfile(ctx context.Context, userID, profile string) error {
	_, err := s.AssignProfile(ctx, userID, profile)
	return err
}

// now returns the store's generation, for a write that needs no plan.
func (s paramStore) now(t testing.TB) uint64 {
	t.Helper()
	return ok(s.Generation(t.Context()))(t)
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

// Package storetest is the conformance suite that every [selfcare.Store]
// must pass, so that memstore, sqlstore and any later store behave alike.
//
// A store's own test calls [Run] with a function that opens a fresh, empty
// store. Where a contract in selfcare or acl leaves a choice open, the suite
// pins one answer, so that switching stores never changes behaviour:
//
//   - Times come back in UTC, truncated to the microsecond.
//   - An empty slice may come back as nil.
//   - Slices inside values (privileges, role IDs, lines) keep their order.
//   - Members, PasswordHistory and UserDevices of an unknown parent return
//     nothing and no error; RemoveMember from an unknown group returns
//     [acl.ErrNotAMember].
//   - RolesByID returns each known role once, ordered by ID.
//   - A failed acl change leaves the generation alone.
//   - AddFailure restarts counting only when the first failure is more
//     than window before now; at exactly window it still counts.
//   - Audit assigns IDs itself, filters Since inclusively and orders by
//     Time, then by ID, newest first.
//   - Values returned share no memory with the store, and values passed in
//     may be changed by the caller afterwards.
//   - Device activation comes from an Onboarding() selfcare.OnboardingStore
//     method, and the store is a [selfcare.FailureUndoer]. CreateDevice
//     creates the portal's device record too (or keeps its owner's);
//     SpendCode renames both records, lines included; of concurrent
//     SpendCode calls for one code exactly one succeeds; a failed Batch
//     leaves nothing behind.
//   - Call forwarding comes from the store being a
//     [selfcare.ForwardingStore]; see testForwarding.
//   - Speed dials come from it being a [selfcare.SpeedDialStore]; see
//     testSpeedDials; Do Not Disturb from a [selfcare.DNDStore]; see
//     testDND.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ucselfcare/portal/selfcare"
)

// Opener returns a fresh, empty store for one test. It must register any
// cleanup with t.Cleanup, and be safe to call from parallel tests.
type Opener = func(t *testing.T) selfcare.Store

// Run runs the whole suite against the stores that open returns, one store
// per subtest. Subtests run in parallel.
func Run(t *testing.T, open Opener) {
	t.Run("ACL", func(t *testing.T) { testACL(t, open) })
	t.Run("Generation", func(t *testing.T) { testGeneration(t, open) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Failures", func(t *testing.T) { testFailures(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("Aliasing", func(t *testing.T) { testAliasing(t, open) })
	t.Run("Times", func(t *testing.T) { testTimes(t, open) })
	t.Run("Params", func(t *testing.T) { testParams(t, open) })
	t.Run("Onboarding", func(t *testing.T) { testOnboarding(t, open) })
	t.Run("Forwarding", func(t *testing.T) { testForwarding(t, open) })
	t.Run("SpeedDials", func(t *testing.T) { testSpeedDials(t, open) })
	t.Run("DoNotDisturb", func(t *testing.T) { testDND(t, open) })
	t.Run("PhoneSettings", func(t *testing.T) { testPhoneSettings(t, open) })
	t.Run("Conferencing", func(t *testing.T) { testConferencing(t, open) })
	t.Run("DestinationPolicy", func(t *testing.T) { testDestPolicy(t, open) })
	t.Run("PhoneServices", func(t *testing.T) { testPhoneServices(t, open) })
	t.Run("Contacts", func(t *testing.T) { testContacts(t, open) })
	t.Run("RemoteDestinations", func(t *testing.T) { testRemoteDestinations(t, open) })
	t.Run("LineSettings", func(t *testing.T) { testLineSettings(t, open) })
	t.Run("OwnerChange", func(t *testing.T) { testOwnerChange(t, open) })
	t.Run("LineDirectory", func(t *testing.T) { testLineDirectory(t, open) })
}

// base is the suite's clock: a fixed instant with microseconds, so that a
// store that drops them is caught.
var base = time.Date(2025, time.March, 1, 9, 30, 0, 123456000, time.UTC)

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// diffOpts compares values the way the suite promises: times by instant
// (cmp uses time.Time.Equal), nil and empty slices alike.
var diffOpts = cmp.Options{cmpopts.EquateEmpty()}

// wantDiff fails t when got and want differ.
func wantDiff(t testing.TB, what string, got, want any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, diffOpts, cmp.Options(opts)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// must stops the test on an unexpected error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails t unless err matches target through errors.Is.
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

// ok takes a value and an error and returns a function that stops the test
// when the error is not nil and returns the value otherwise. It lets a call
// with two results be checked inline: ok(s.Role(ctx, id))(t).
func ok[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// fresh opens a store for a parallel subtest.
func fresh(t *testing.T, open Opener) (context.Context, selfcare.Store) {
	t.Helper()
	t.Parallel()
	return t.Context(), open(t)
}

// newUser returns a complete user with every field set, so that a store
// that drops a column is caught.
func newUser(id string) selfcare.User {
	return selfcare.User{
		ID:                 id,
		FirstName:          "First " + id,
		LastName:           "Last " + id,
		Locale:             "de_CH",
		Rank:               3,
		Profile:            "Standard (Factory Default) User Profile",
		PasswordHash:       "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + id,
		PasswordChangedAt:  at(-48 * time.Hour),
		MustChangePassword: true,
		PINHash:            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$pin" + id,
		PINChangedAt:       at(-24 * time.Hour),
		CreatedAt:          at(-72 * time.Hour),
	}
}

// createUsers adds complete users with the given IDs.
func createUsers(t testing.TB, ctx context.Context, s selfcare.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		must(t, s.CreateUser(ctx, newUser(id)))
	}
}

// newSession returns a session of user whose token hash is 32 bytes
// derived from tag.
func newSession(tag byte, user string, created time.Time) selfcare.Session {
	h := make([]byte, 32)
	for i := range h {
		h[i] = tag ^ byte(i)
	}
	return selfcare.Session{
		TokenHash:       h,
		UserID:          user,
		CreatedAt:       created,
		AuthenticatedAt: created.Add(time.Second),
		LastSeen:        created.Add(2 * time.Second),
		RemoteAddr:      "192.0.2.7:50412",
	}
}

// sessionExists reports whether the session with hash h is stored.
func sessionExists(t testing.TB, ctx context.Context, s selfcare.Store, h []byte) bool {
	t.Helper()
	_, err := s.Session(ctx, h)
	if err != nil && !errors.Is(err, selfcare.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

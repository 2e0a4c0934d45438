package storetest

import (
	"context"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testPhoneSettings checks [selfcare.PhoneSettingsStore] and
// [selfcare.LanguageStore]. The choices it pins where the contracts
// leave room:
//
//   - Settings never saved read as Device and Owner only, at Version 0.
//   - PutDevice with the same owner keeps them, whatever else it changes;
//     with another owner they read as none for everybody, and the new
//     owner starts again at Version 0.
//   - A user's language starts at Version 0 with the locale they were
//     created with; an administrator's profile change of the locale makes
//     a version the user read before stale.
func testPhoneSettings(t *testing.T, open Opener) {
	t.Run("NeverSavedIsEmptyAtVersionZero", func(t *testing.T) {
		ctx, _, s := freshPhoneSettings(t, open)
		wantDiff(t, "PhoneSettings", ok(s.PhoneSettings(ctx, "SEPA", "alice"))(t),
			selfcare.PhoneSettings{Device: "SEPA", Owner: "alice"})
		if got := ok(s.UserPhoneSettings(ctx, "alice"))(t); len(got) != 0 {
			t.Errorf("UserPhoneSettings = %+v, want none", got)
		}
	})

	t.Run("SaveRoundTripsAndCountsVersions", func(t *testing.T) {
		ctx, _, s := freshPhoneSettings(t, open)
		ps := selfcare.PhoneSettings{Device: "SEPA", Owner: "alice",
			Description: "Desk, 3rd floor", PhoneLocale: "fr_FR"}
		want := ps
		want.Version = 1
		wantDiff(t, "returned", ok(s.UpdatePhoneSettings(ctx, ps))(t), want)
		wantDiff(t, "read back", ok(s.PhoneSettings(ctx, "SEPA", "alice"))(t), want)

		next := want
		next.Description = ""
		want = next
		want.Version = 2
		wantDiff(t, "second save", ok(s.UpdatePhoneSettings(ctx, next))(t), want)
		wantDiff(t, "listed", ok(s.UserPhoneSettings(ctx, "alice"))(t),
			[]selfcare.PhoneSettings{want})
		wantDiff(t, "other phone", ok(s.PhoneSettings(ctx, "SEPA2", "alice"))(t),
			selfcare.PhoneSettings{Device: "SEPA2", Owner: "alice"})
		if got := ok(s.UserPhoneSettings(ctx, "bob"))(t); len(got) != 0 {
			t.Errorf("bob's list = %+v, want none", got)
		}
	})

	t.Run("StaleVersionIsRefusedAndChangesNothing", func(t *testing.T) {
		ctx, _, s := freshPhoneSettings(t, open)
		first := ok(s.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{Device: "SEPA",
			Owner: "alice", Description: "Mine"}))(t)
		for _, v := range []int64{0, 7} {
			_, err := s.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{Device: "SEPA",
				Owner: "alice", Description: "Lost", Version: v})
			wantErr(t, "stale save", err, selfcare.ErrVersionConflict)
		}
		wantDiff(t, "stored", ok(s.PhoneSettings(ctx, "SEPA", "alice"))(t), first)
	})

	t.Run("AnotherUsersOrAMissingPhoneIsNotFound", func(t *testing.T) {
		ctx, _, s := freshPhoneSettings(t, open)
		for _, dev := range []string{"SEPB", "SEPNONE"} {
			_, err := s.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{Device: dev,
				Owner: "alice", Description: "Taken"})
			wantErr(t, "save on "+dev, err, selfcare.ErrNotFound)
		}
		wantDiff(t, "bob's phone", ok(s.PhoneSettings(ctx, "SEPB", "bob"))(t),
			selfcare.PhoneSettings{Device: "SEPB", Owner: "bob"})
	})

	t.Run("PutDeviceKeepsThemUnlessTheOwnerChanges", func(t *testing.T) {
		ctx, st, s := freshPhoneSettings(t, open)
		saved := ok(s.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{Device: "SEPA",
			Owner: "alice", Description: "Alice's desk", PhoneLocale: "de_DE"}))(t)

		// The administrator changes everything but the owner.
		must(t, st.PutDevice(ctx, selfcare.Device{Name: "SEPA", Owner: "alice",
			Model: "Cisco 8865", AdminDescription: "Renamed by admin",
			Lines: []selfcare.Line{{Index: 1, Extension: "4099"}}}))
		wantDiff(t, "same owner", ok(s.PhoneSettings(ctx, "SEPA", "alice"))(t), saved)

		// The phone goes to bob: nothing of alice's reaches him.
		must(t, st.PutDevice(ctx, selfcare.Device{Name: "SEPA", Owner: "bob"}))
		wantDiff(t, "new owner", ok(s.PhoneSettings(ctx, "SEPA", "bob"))(t),
			selfcare.PhoneSettings{Device: "SEPA", Owner: "bob"})
		wantDiff(t, "former owner", ok(s.PhoneSettings(ctx, "SEPA", "alice"))(t),
			selfcare.PhoneSettings{Device: "SEPA", Owner: "alice"})
		if got := ok(s.UserPhoneSettings(ctx, "bob"))(t); len(got) != 0 {
			t.Errorf("bob's list = %+v, want none", got)
		}
		_, err := s.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{Device: "SEPA",
			Owner: "alice", Description: "Still mine?", Version: saved.Version})
		wantErr(t, "former owner's save", err, selfcare.ErrNotFound)

		bobs := ok(s.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{Device: "SEPA",
			Owner: "bob", Description: "Bob's now"}))(t)
		if bobs.Version != 1 {
			t.Errorf("new owner's first save is version %d, want 1", bobs.Version)
		}
	})

	t.Run("LanguageCountsEveryChangeOfLocale", func(t *testing.T) {
		ctx, st, _ := freshPhoneSettings(t, open)
		ls, isLS := st.(selfcare.LanguageStore)
		if !isLS {
			t.Fatalf("%T is not a selfcare.LanguageStore", st)
		}
		wantDiff(t, "fresh", ok(ls.UserLanguage(ctx, "alice"))(t),
			selfcare.UserLanguage{UserID: "alice", Locale: newUser("alice").Locale})
		_, err := ls.UserLanguage(ctx, "nobody")
		wantErr(t, "unknown user", err, selfcare.ErrNotFound)
		_, err = ls.UpdateUserLanguage(ctx, selfcare.UserLanguage{UserID: "nobody",
			Locale: "fr_FR"})
		wantErr(t, "unknown user's save", err, selfcare.ErrNotFound)

		saved := ok(ls.UpdateUserLanguage(ctx, selfcare.UserLanguage{UserID: "alice",
			Locale: "fr_FR"}))(t)
		wantDiff(t, "saved", saved, selfcare.UserLanguage{UserID: "alice",
			Locale: "fr_FR", Version: 1})
		wantDiff(t, "read back", ok(ls.UserLanguage(ctx, "alice"))(t), saved)
		if u := ok(st.User(ctx, "alice"))(t); u.Locale != "fr_FR" {
			t.Errorf("User.Locale = %q, want fr_FR", u.Locale)
		}
		_, err = ls.UpdateUserLanguage(ctx, selfcare.UserLanguage{UserID: "alice",
			Locale: "de_DE"})
		wantErr(t, "stale save", err, selfcare.ErrVersionConflict)

		// An administrator changes the locale: the user's version is stale.
		u := ok(st.User(ctx, "alice"))(t)
		u.Locale = "es_ES"
		must(t, st.UpdateProfile(ctx, u))
		after := ok(ls.UserLanguage(ctx, "alice"))(t)
		if after.Locale != "es_ES" || after.Version == saved.Version {
			t.Errorf("after the profile change: %+v, before %+v", after, saved)
		}
		_, err = ls.UpdateUserLanguage(ctx, selfcare.UserLanguage{UserID: "alice",
			Locale: "de_DE", Version: saved.Version})
		wantErr(t, "save over the administrator's change", err,
			selfcare.ErrVersionConflict)
		if got := ok(ls.UserLanguage(ctx, "alice"))(t); got != after {
			t.Errorf("refused save changed %+v to %+v", after, got)
		}
	})
}

// freshPhoneSettings opens a store that must also keep phone settings,
// with users alice and bob, alice's phones SEPA and SEPA2 and bob's SEPB.
func freshPhoneSettings(t *testing.T, open Opener) (context.Context, selfcare.Store,
	selfcare.PhoneSettingsStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	ps, isPS := s.(selfcare.PhoneSettingsStore)
	if !isPS {
		t.Fatalf("%T is not a selfcare.PhoneSettingsStore", s)
	}
	createUsers(t, ctx, s, "alice", "bob")
	for _, d := range []selfcare.Device{{Name: "SEPA", Owner: "alice"},
		{Name: "SEPA2", Owner: "alice"}, {Name: "SEPB", Owner: "bob"}} {
		must(t, s.PutDevice(ctx, d))
	}
	return ctx, s, ps
}

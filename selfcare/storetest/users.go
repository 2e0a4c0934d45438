package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

func testUsers(t *testing.T, open Opener) {
	t.Run("CreateUserRoundTrips", func(t *testing.T) {
		ctx, s := fresh(t, open)
		u := newUser("alice")
		must(t, s.CreateUser(ctx, u))
		wantDiff(t, "User", ok(s.User(ctx, "alice"))(t), u)

		// A user with only an ID is valid too: unset credentials and
		// zero times must survive the trip.
		must(t, s.CreateUser(ctx, selfcare.User{ID: "bare"}))
		wantDiff(t, "bare User", ok(s.User(ctx, "bare"))(t), selfcare.User{ID: "bare"})
	})

	t.Run("CreateExistingUserFails", func(t *testing.T) {
		ctx, s := fresh(t, open)
		u := newUser("alice")
		must(t, s.CreateUser(ctx, u))
		other := newUser("alice")
		other.FirstName = "Mallory"
		wantErr(t, "CreateUser", s.CreateUser(ctx, other), selfcare.ErrExists)
		wantDiff(t, "User unchanged", ok(s.User(ctx, "alice"))(t), u)
	})

	t.Run("MissingUserIsNotFound", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		_, err := s.User(ctx, "bob")
		wantErr(t, "User", err, selfcare.ErrNotFound)
		wantErr(t, "UpdateProfile", s.UpdateProfile(ctx, newUser("bob")), selfcare.ErrNotFound)
		wantErr(t, "SetPassword",
			s.SetPassword(ctx, "bob", "h", base, 3, false, nil), selfcare.ErrNotFound)
		wantErr(t, "SetPIN", s.SetPIN(ctx, "bob", "h", base), selfcare.ErrNotFound)
		wantErr(t, "SetDisabled", s.SetDisabled(ctx, "bob", true), selfcare.ErrNotFound)
		wantDiff(t, "PasswordHistory", ok(s.PasswordHistory(ctx, "bob"))(t), []string(nil))
	})

	t.Run("UsersAreOrderedByID", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "carol", "alice", "bob")
		want := []selfcare.User{newUser("alice"), newUser("bob"), newUser("carol")}
		wantDiff(t, "Users", ok(s.Users(ctx))(t), want)
	})

	t.Run("UpdateProfileLeavesCredentialsAlone", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		upd := selfcare.User{
			ID: "alice", FirstName: "Alicia", LastName: "Keys", Locale: "fr_FR",
			Rank: 1, Profile: "Executives", MustChangePassword: false,
			// Everything below must be ignored.
			Disabled: true, PasswordHash: "x", PasswordChangedAt: base,
			PINHash: "y", PINChangedAt: base, CreatedAt: base,
		}
		must(t, s.UpdateProfile(ctx, upd))

		want := newUser("alice")
		want.FirstName, want.LastName, want.Locale = "Alicia", "Keys", "fr_FR"
		want.Rank, want.Profile, want.MustChangePassword = 1, "Executives", false
		wantDiff(t, "User", ok(s.User(ctx, "alice"))(t), want)
	})

	t.Run("SetPasswordKeepsNewestHistoryCapped", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		for i := 1; i <= 5; i++ {
			must(t, s.SetPassword(ctx, "alice", fmt.Sprint("p", i),
				at(time.Duration(i)*time.Hour), 3, i == 5, nil))
		}

		wantDiff(t, "PasswordHistory", ok(s.PasswordHistory(ctx, "alice"))(t),
			[]string{"p4", "p3", "p2"})
		u := ok(s.User(ctx, "alice"))(t)
		want := newUser("alice")
		want.PasswordHash, want.PasswordChangedAt = "p5", at(5*time.Hour)
		want.MustChangePassword = true
		wantDiff(t, "User", u, want)
		wantDiff(t, "other user's history", ok(s.PasswordHistory(ctx, "bob"))(t),
			[]string(nil))
	})

	t.Run("SetPasswordWithSmallerKeepTrimsHistory", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		for i := 1; i <= 3; i++ {
			must(t, s.SetPassword(ctx, "alice", fmt.Sprint("p", i), base, 5, false, nil))
		}
		must(t, s.SetPassword(ctx, "alice", "p4", base, 1, false, nil))
		wantDiff(t, "keep 1", ok(s.PasswordHistory(ctx, "alice"))(t), []string{"p3"})
		must(t, s.SetPassword(ctx, "alice", "p5", base, 0, false, nil))
		wantDiff(t, "keep 0", ok(s.PasswordHistory(ctx, "alice"))(t), []string(nil))
	})

	t.Run("SetPasswordRemembersNoEmptyHash", func(t *testing.T) {
		ctx, s := fresh(t, open)
		must(t, s.CreateUser(ctx, selfcare.User{ID: "alice"}))
		must(t, s.SetPassword(ctx, "alice", "p1", base, 5, false, nil))
		wantDiff(t, "PasswordHistory", ok(s.PasswordHistory(ctx, "alice"))(t), []string(nil))
	})

	t.Run("SetPasswordEndsOtherSessionsOnly", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		mine, other := newSession(1, "alice", base), newSession(2, "alice", base)
		third, bobs := newSession(3, "alice", base), newSession(4, "bob", base)
		for _, x := range []selfcare.Session{mine, other, third, bobs} {
			must(t, s.CreateSession(ctx, x))
		}

		must(t, s.SetPassword(ctx, "alice", "p1", base, 3, false, mine.TokenHash))
		for _, c := range []struct {
			name string
			sess selfcare.Session
			want bool
		}{
			{"kept session", mine, true},
			{"other session", other, false},
			{"third session", third, false},
			{"other user's session", bobs, true},
		} {
			if got := sessionExists(t, ctx, s, c.sess.TokenHash); got != c.want {
				t.Errorf("%s exists = %v, want %v", c.name, got, c.want)
			}
		}

		// With no session to keep, every one of the user's sessions ends.
		must(t, s.SetPassword(ctx, "alice", "p2", base, 3, false, nil))
		if sessionExists(t, ctx, s, mine.TokenHash) {
			t.Error("session survived a password change that kept none")
		}
		if !sessionExists(t, ctx, s, bobs.TokenHash) {
			t.Error("other user's session ended")
		}
	})

	t.Run("SetPINStoresHashOnly", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		must(t, s.SetPIN(ctx, "alice", "pin2", at(time.Minute)))
		want := newUser("alice")
		want.PINHash, want.PINChangedAt = "pin2", at(time.Minute)
		wantDiff(t, "User", ok(s.User(ctx, "alice"))(t), want)
	})

	t.Run("SetDisabledEndsEverySession", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		a1, a2, b := newSession(1, "alice", base), newSession(2, "alice", base),
			newSession(3, "bob", base)
		for _, x := range []selfcare.Session{a1, a2, b} {
			must(t, s.CreateSession(ctx, x))
		}

		must(t, s.SetDisabled(ctx, "alice", true))
		if !ok(s.User(ctx, "alice"))(t).Disabled {
			t.Error("user not disabled")
		}
		if sessionExists(t, ctx, s, a1.TokenHash) || sessionExists(t, ctx, s, a2.TokenHash) {
			t.Error("a session of the disabled user survived")
		}
		if !sessionExists(t, ctx, s, b.TokenHash) {
			t.Error("other user's session ended")
		}

		must(t, s.SetDisabled(ctx, "alice", false))
		want := newUser("alice")
		wantDiff(t, "re-enabled User", ok(s.User(ctx, "alice"))(t), want)
	})
}

// phone returns a device of owner with n lines.
func phone(name, owner string, n int) selfcare.Device {
	d := selfcare.Device{
		Name: name, Owner: owner, Model: "Cisco 8851",
		AdminDescription: "Desk " + name, Description: "my " + name,
	}
	for i := 1; i <= n; i++ {
		d.Lines = append(d.Lines, selfcare.Line{
			Index: i, Extension: fmt.Sprint(4100 + i), Label: fmt.Sprint("Line ", i),
		})
	}
	return d
}

func testDevices(t *testing.T, open Opener) {
	t.Run("DeviceRoundTrips", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		d := phone("SEP0011223344AA", "alice", 3)
		// Lines keep the order given, even when it is not by index.
		d.Lines[0], d.Lines[2] = d.Lines[2], d.Lines[0]
		must(t, s.PutDevice(ctx, d))
		wantDiff(t, "Device", ok(s.Device(ctx, d.Name))(t), d)

		bare := selfcare.Device{Name: "CSFALICE", Owner: "alice"}
		must(t, s.PutDevice(ctx, bare))
		wantDiff(t, "bare Device", ok(s.Device(ctx, bare.Name))(t), bare)
	})

	t.Run("PutDeviceReplacesLines", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		must(t, s.PutDevice(ctx, phone("SEP1", "alice", 4)))
		d := phone("SEP1", "alice", 2)
		d.Model, d.Description = "Cisco 7841", ""
		d.Lines[1].Label = "Support"
		must(t, s.PutDevice(ctx, d))
		wantDiff(t, "Device", ok(s.Device(ctx, "SEP1"))(t), d)

		d.Lines = nil
		must(t, s.PutDevice(ctx, d))
		wantDiff(t, "Device without lines", ok(s.Device(ctx, "SEP1"))(t), d)
	})

	t.Run("UnknownOwnerIsNotFound", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		wantErr(t, "PutDevice", s.PutDevice(ctx, phone("SEP1", "bob", 1)), selfcare.ErrNotFound)
		wantErr(t, "PutDevice without owner",
			s.PutDevice(ctx, phone("SEP2", "", 1)), selfcare.ErrNotFound)
		_, err := s.Device(ctx, "SEP1")
		wantErr(t, "Device", err, selfcare.ErrNotFound)
	})

	t.Run("UserDevicesAreOrderedByName", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		c, a, b := phone("SEPC", "alice", 1), phone("SEPA", "alice", 2), phone("SEPB", "alice", 0)
		for _, d := range []selfcare.Device{c, a, phone("SEPX", "bob", 1), b} {
			must(t, s.PutDevice(ctx, d))
		}
		wantDiff(t, "UserDevices", ok(s.UserDevices(ctx, "alice"))(t),
			[]selfcare.Device{a, b, c})
		wantDiff(t, "UserDevices of unknown user", ok(s.UserDevices(ctx, "zed"))(t),
			[]selfcare.Device(nil))
	})

	t.Run("NewOwnerTakesDevice", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		must(t, s.PutDevice(ctx, phone("SEP1", "alice", 1)))
		moved := phone("SEP1", "bob", 1)
		must(t, s.PutDevice(ctx, moved))
		wantDiff(t, "alice's devices", ok(s.UserDevices(ctx, "alice"))(t),
			[]selfcare.Device(nil))
		wantDiff(t, "bob's devices", ok(s.UserDevices(ctx, "bob"))(t),
			[]selfcare.Device{moved})
	})
}

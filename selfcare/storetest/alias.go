package storetest

import (
	"testing"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

// testAliasing checks that a store copies slices both ways: a caller that
// changes a value it passed in or got back must not change what is stored.
func testAliasing(t *testing.T, open Opener) {
	t.Run("RolesAreCopied", func(t *testing.T) {
		ctx, s := fresh(t, open)
		in := roleUser
		in.Privileges = append([]acl.Privilege(nil), roleUser.Privileges...)
		putRoles(t, ctx, s, in)
		in.Privileges[0].Access = acl.NoAccess

		ok(s.Role(ctx, roleUser.ID))(t).Privileges[0].Resource = "changed"
		ok(s.Roles(ctx))(t)[0].Privileges[0].Resource = "changed"
		ok(s.RolesByID(ctx, []string{roleUser.ID}))(t)[0].Privileges[0].Access = 0
		wantDiff(t, "Role", ok(s.Role(ctx, roleUser.ID))(t), roleUser)
	})

	t.Run("GroupsAreCopied", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleAdmin)
		want := group("g1", roleUser.ID, roleAdmin.ID)
		in := group("g1", roleUser.ID, roleAdmin.ID)
		putGroups(t, ctx, s, in)
		must(t, s.AddMember(ctx, "g1", "alice"))
		in.RoleIDs[0] = "changed"

		ok(s.Group(ctx, "g1"))(t).RoleIDs[0] = "changed"
		ok(s.Groups(ctx))(t)[0].RoleIDs[0] = "changed"
		ok(s.UserGroups(ctx, "alice"))(t)[0].RoleIDs[1] = "changed"
		ok(s.Members(ctx, "g1"))(t)[0] = "changed"
		wantDiff(t, "Group", ok(s.Group(ctx, "g1"))(t), want)
		wantDiff(t, "Members", ok(s.Members(ctx, "g1"))(t), []string{"alice"})
	})

	t.Run("DevicesAreCopied", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		in, want := phone("SEP1", "alice", 2), phone("SEP1", "alice", 2)
		must(t, s.PutDevice(ctx, in))
		in.Lines[0].Extension = "changed"

		ok(s.Device(ctx, "SEP1"))(t).Lines[0].Label = "changed"
		ok(s.UserDevices(ctx, "alice"))(t)[0].Lines[1].Label = "changed"
		wantDiff(t, "Device", ok(s.Device(ctx, "SEP1"))(t), want)
	})

	t.Run("SessionsAreCopied", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		in, want := newSession(1, "alice", base), newSession(1, "alice", base)
		must(t, s.CreateSession(ctx, in))
		in.TokenHash[0] ^= 0xff

		ok(s.Session(ctx, want.TokenHash))(t).TokenHash[1] ^= 0xff
		wantDiff(t, "Session", ok(s.Session(ctx, want.TokenHash))(t), want)
	})

	t.Run("PasswordHistoryIsCopied", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		must(t, s.SetPassword(ctx, "alice", "p1", base, 3, false, nil))
		must(t, s.SetPassword(ctx, "alice", "p2", base, 3, false, nil))
		want := ok(s.PasswordHistory(ctx, "alice"))(t)
		want = append([]string(nil), want...)

		h := ok(s.PasswordHistory(ctx, "alice"))(t)
		h[0] = "changed"
		// Appending to a returned slice must not leak into the next change.
		_ = append(h[:1], "leaked")
		wantDiff(t, "PasswordHistory", ok(s.PasswordHistory(ctx, "alice"))(t), want)

		must(t, s.SetPassword(ctx, "alice", "p3", base, 3, false, nil))
		wantDiff(t, "PasswordHistory after change", ok(s.PasswordHistory(ctx, "alice"))(t),
			append([]string{"p2"}, want...))
	})

	t.Run("AuditIsCopied", func(t *testing.T) {
		ctx, s := fresh(t, open)
		must(t, s.AppendAudit(ctx, event("alice", "login", base)))
		got := ok(s.Audit(ctx, selfcare.AuditFilter{}))(t)
		got[0].Actor = "changed"
		got = ok(s.Audit(ctx, selfcare.AuditFilter{}))(t)
		if got[0].Actor != "alice" {
			t.Errorf("Actor = %q after changing a returned event", got[0].Actor)
		}
	})
}

// testTimes checks the precision promise: UTC, truncated to microseconds,
// zero times kept zero.
func testTimes(t *testing.T, open Opener) {
	t.Run("KeptToTheMicrosecondInUTC", func(t *testing.T) {
		ctx, s := fresh(t, open)
		zone := time.FixedZone("CET", 3600)
		fine := time.Date(2025, time.June, 30, 23, 59, 59, 999_999_999, zone)
		want := time.Date(2025, time.June, 30, 22, 59, 59, 999_999_000, time.UTC)

		u := selfcare.User{ID: "alice", CreatedAt: fine, PasswordChangedAt: fine}
		must(t, s.CreateUser(ctx, u))
		got := ok(s.User(ctx, "alice"))(t)
		for _, c := range []struct {
			name string
			got  time.Time
			want time.Time
		}{
			{"CreatedAt", got.CreatedAt, want},
			{"PasswordChangedAt", got.PasswordChangedAt, want},
			{"PINChangedAt", got.PINChangedAt, time.Time{}},
		} {
			if !c.got.Equal(c.want) || c.got.Location() != time.UTC {
				t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
			}
		}

		x := newSession(1, "alice", fine)
		must(t, s.CreateSession(ctx, x))
		must(t, s.TouchSession(ctx, x.TokenHash, fine))
		if seen := ok(s.Session(ctx, x.TokenHash))(t).LastSeen; !seen.Equal(want) {
			t.Errorf("LastSeen = %v, want %v", seen, want)
		}
		f := ok(s.AddFailure(ctx, "k", fine, time.Minute))(t)
		if !f.First.Equal(want) || f.Last.Location() != time.UTC {
			t.Errorf("Failures = %+v, want First and Last %v", f, want)
		}
	})
}

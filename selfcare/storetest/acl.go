package storetest

import (
	"context"
	"testing"

	"github.com/ucselfcare/portal/acl"
)

// Sample roles and groups. The roles' IDs are put in unsorted order by the
// tests, so that a store that returns insertion order is caught.
var (
	roleUser = acl.Role{
		ID: "r-user", Name: "Standard CCM End Users", Standard: true,
		Privileges: []acl.Privilege{
			{Resource: "selfcare", Access: acl.Update},
			{Resource: "directory", Access: acl.Read},
		},
	}
	roleAdmin = acl.Role{
		ID: "r-admin", Name: "Custom Admin",
		Privileges: []acl.Privilege{{Resource: "users", Access: acl.Update}},
	}
	roleEmpty = acl.Role{ID: "r-empty", Name: "Nothing"}
)

// putRoles stores roles, failing the test on error.
func putRoles(t testing.TB, ctx context.Context, s acl.Store, roles ...acl.Role) {
	t.Helper()
	for _, r := range roles {
		must(t, s.PutRole(ctx, r))
	}
}

// putGroups stores groups, failing the test on error.
func putGroups(t testing.TB, ctx context.Context, s acl.Store, groups ...acl.Group) {
	t.Helper()
	for _, g := range groups {
		must(t, s.PutGroup(ctx, g))
	}
}

// group returns a group carrying roles.
func group(id string, roles ...string) acl.Group {
	return acl.Group{ID: id, Name: "Group " + id, MinRank: 4, RoleIDs: roles}
}

func testACL(t *testing.T, open Opener) {
	t.Run("RolesRoundTripOrderedByID", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleEmpty, roleAdmin)

		wantDiff(t, "Role", ok(s.Role(ctx, roleUser.ID))(t), roleUser)
		wantDiff(t, "Roles", ok(s.Roles(ctx))(t),
			[]acl.Role{roleAdmin, roleEmpty, roleUser})
	})

	t.Run("PutRoleReplaces", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser)
		changed := acl.Role{
			ID: roleUser.ID, Name: "Renamed",
			Privileges: []acl.Privilege{{Resource: "phones", Access: acl.Read}},
		}
		putRoles(t, ctx, s, changed)

		wantDiff(t, "Role", ok(s.Role(ctx, roleUser.ID))(t), changed)
		if n := len(ok(s.Roles(ctx))(t)); n != 1 {
			t.Errorf("Roles: %d roles after replacing one, want 1", n)
		}
	})

	t.Run("MissingRoleIsNotFound", func(t *testing.T) {
		ctx, s := fresh(t, open)
		_, err := s.Role(ctx, "r-none")
		wantErr(t, "Role", err, acl.ErrNotFound)
		wantErr(t, "DeleteRole", s.DeleteRole(ctx, "r-none"), acl.ErrNotFound)
	})

	t.Run("DeleteRoleRemovesIt", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleAdmin)
		must(t, s.DeleteRole(ctx, roleUser.ID))

		_, err := s.Role(ctx, roleUser.ID)
		wantErr(t, "Role after delete", err, acl.ErrNotFound)
		wantDiff(t, "Roles", ok(s.Roles(ctx))(t), []acl.Role{roleAdmin})
		wantErr(t, "second DeleteRole", s.DeleteRole(ctx, roleUser.ID), acl.ErrNotFound)
	})

	t.Run("DeleteRoleCarriedByGroupIsInUse", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleAdmin)
		putGroups(t, ctx, s, group("g1", roleAdmin.ID, roleUser.ID))

		wantErr(t, "DeleteRole", s.DeleteRole(ctx, roleUser.ID), acl.ErrInUse)
		wantDiff(t, "Role kept", ok(s.Role(ctx, roleUser.ID))(t), roleUser)

		// Once no group carries it, the role can go.
		putGroups(t, ctx, s, group("g1", roleAdmin.ID))
		must(t, s.DeleteRole(ctx, roleUser.ID))
	})

	t.Run("GroupsRoundTripOrderedByID", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleAdmin)
		gb := group("g-b", roleUser.ID, roleAdmin.ID)
		ga := group("g-a")
		ga.Standard, ga.MinRank = true, 1
		gc := group("g-c", roleAdmin.ID)
		putGroups(t, ctx, s, gb, gc, ga)

		wantDiff(t, "Group", ok(s.Group(ctx, "g-b"))(t), gb)
		wantDiff(t, "Groups", ok(s.Groups(ctx))(t), []acl.Group{ga, gb, gc})
	})

	t.Run("PutGroupReplacesAndKeepsMembers", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleAdmin)
		putGroups(t, ctx, s, group("g1", roleUser.ID))
		must(t, s.AddMember(ctx, "g1", "alice"))
		changed := group("g1", roleAdmin.ID)
		changed.Name, changed.MinRank = "Renamed", 2
		putGroups(t, ctx, s, changed)

		wantDiff(t, "Group", ok(s.Group(ctx, "g1"))(t), changed)
		wantDiff(t, "Members", ok(s.Members(ctx, "g1"))(t), []string{"alice"})
	})

	t.Run("PutGroupWithUnknownRoleIsNotFound", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser)
		putGroups(t, ctx, s, group("g1", roleUser.ID))

		err := s.PutGroup(ctx, group("g2", roleUser.ID, "r-none"))
		wantErr(t, "PutGroup new", err, acl.ErrNotFound)
		_, err = s.Group(ctx, "g2")
		wantErr(t, "Group not created", err, acl.ErrNotFound)

		err = s.PutGroup(ctx, group("g1", "r-none"))
		wantErr(t, "PutGroup replace", err, acl.ErrNotFound)
		wantDiff(t, "Group unchanged", ok(s.Group(ctx, "g1"))(t), group("g1", roleUser.ID))
	})

	t.Run("MissingGroupIsNotFound", func(t *testing.T) {
		ctx, s := fresh(t, open)
		_, err := s.Group(ctx, "g-none")
		wantErr(t, "Group", err, acl.ErrNotFound)
		wantErr(t, "DeleteGroup", s.DeleteGroup(ctx, "g-none"), acl.ErrNotFound)
		wantErr(t, "AddMember", s.AddMember(ctx, "g-none", "alice"), acl.ErrNotFound)
		wantErr(t, "RemoveMember", s.RemoveMember(ctx, "g-none", "alice"), acl.ErrNotAMember)
		wantDiff(t, "Members", ok(s.Members(ctx, "g-none"))(t), []string(nil))
	})

	t.Run("MembersAreSortedAndAddIsIdempotent", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putGroups(t, ctx, s, group("g1"), group("g2"))
		for _, u := range []string{"carol", "alice", "bob", "alice"} {
			must(t, s.AddMember(ctx, "g1", u))
		}
		must(t, s.AddMember(ctx, "g2", "dave"))

		wantDiff(t, "Members", ok(s.Members(ctx, "g1"))(t), []string{"alice", "bob", "carol"})
		must(t, s.RemoveMember(ctx, "g1", "bob"))
		wantDiff(t, "Members after remove", ok(s.Members(ctx, "g1"))(t),
			[]string{"alice", "carol"})
		wantErr(t, "RemoveMember again", s.RemoveMember(ctx, "g1", "bob"), acl.ErrNotAMember)
		wantErr(t, "RemoveMember of other group's member",
			s.RemoveMember(ctx, "g1", "dave"), acl.ErrNotAMember)
	})

	t.Run("UserGroupsAreOrderedByID", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleAdmin)
		gc, ga, gb := group("g-c", roleUser.ID), group("g-a", roleAdmin.ID), group("g-b")
		putGroups(t, ctx, s, gc, ga, gb, group("g-d"))
		for _, g := range []string{"g-c", "g-a", "g-b"} {
			must(t, s.AddMember(ctx, g, "alice"))
		}
		must(t, s.AddMember(ctx, "g-d", "bob"))

		wantDiff(t, "UserGroups", ok(s.UserGroups(ctx, "alice"))(t),
			[]acl.Group{ga, gb, gc})
		wantDiff(t, "UserGroups of a stranger", ok(s.UserGroups(ctx, "nobody"))(t),
			[]acl.Group(nil))
	})

	t.Run("DeleteGroupRemovesMemberships", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putGroups(t, ctx, s, group("g1"), group("g2"))
		must(t, s.AddMember(ctx, "g1", "alice"))
		must(t, s.AddMember(ctx, "g2", "alice"))
		must(t, s.DeleteGroup(ctx, "g1"))

		_, err := s.Group(ctx, "g1")
		wantErr(t, "Group after delete", err, acl.ErrNotFound)
		wantDiff(t, "UserGroups", ok(s.UserGroups(ctx, "alice"))(t), []acl.Group{group("g2")})

		// A new group with the old ID starts empty.
		putGroups(t, ctx, s, group("g1"))
		wantDiff(t, "Members of recreated group", ok(s.Members(ctx, "g1"))(t), []string(nil))
	})

	t.Run("RolesByIDSkipsUnknownOnesAndSorts", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putRoles(t, ctx, s, roleUser, roleAdmin, roleEmpty)

		got := ok(s.RolesByID(ctx, []string{"r-user", "r-none", "r-admin", "r-user"}))(t)
		wantDiff(t, "RolesByID", got, []acl.Role{roleAdmin, roleUser})
		wantDiff(t, "RolesByID of none", ok(s.RolesByID(ctx, nil))(t), []acl.Role(nil))
	})

	t.Run("ConcurrentMembershipChangesAreSafe", func(t *testing.T) {
		ctx, s := fresh(t, open)
		putGroups(t, ctx, s, group("g1"))
		const users = 20
		errs := make(chan error, 2*users)
		for i := range users {
			u := string(rune('a'+i)) + "-user"
			go func() { errs <- s.AddMember(ctx, "g1", u) }()
			go func() { _, err := s.UserGroups(ctx, u); errs <- err }()
		}
		for range 2 * users {
			must(t, <-errs)
		}
		if n := len(ok(s.Members(ctx, "g1"))(t)); n != users {
			t.Errorf("Members: %d, want %d", n, users)
		}
	})
}

func testGeneration(t *testing.T, open Opener) {
	t.Run("ChangesOnEveryChangeOnly", func(t *testing.T) {
		ctx, s := fresh(t, open)
		gen := func() uint64 { t.Helper(); return ok(s.Generation(ctx))(t) }

		// Each step is a change (must move the generation), a read, or a
		// rejected change (both must leave it alone).
		type step struct {
			name    string
			changes bool
			do      func() error
		}
		steps := []step{
			{"put role", true, func() error { return s.PutRole(ctx, roleUser) }},
			{"replace role", true, func() error {
				changed := roleUser
				changed.Name = "Renamed"
				return s.PutRole(ctx, changed)
			}},
			{"put second role", true, func() error { return s.PutRole(ctx, roleAdmin) }},
			{"put group", true, func() error { return s.PutGroup(ctx, group("g1", "r-user")) }},
			{"replace group", true, func() error { return s.PutGroup(ctx, group("g1")) }},
			{"add member", true, func() error { return s.AddMember(ctx, "g1", "alice") }},
			{"add other member", true, func() error { return s.AddMember(ctx, "g1", "bob") }},
			{"remove member", true, func() error { return s.RemoveMember(ctx, "g1", "bob") }},
			{"read role", false, func() error { _, err := s.Role(ctx, "r-user"); return err }},
			{"read roles", false, func() error { _, err := s.Roles(ctx); return err }},
			{"read group", false, func() error { _, err := s.Group(ctx, "g1"); return err }},
			{"read groups", false, func() error { _, err := s.Groups(ctx); return err }},
			{"read members", false, func() error { _, err := s.Members(ctx, "g1"); return err }},
			{"read user groups", false, func() error {
				_, err := s.UserGroups(ctx, "alice")
				return err
			}},
			{"read roles by ID", false, func() error {
				_, err := s.RolesByID(ctx, []string{"r-user"})
				return err
			}},
			{"delete group", true, func() error { return s.DeleteGroup(ctx, "g1") }},
			{"delete role", true, func() error { return s.DeleteRole(ctx, "r-user") }},
		}
		for _, st := range steps {
			before := gen()
			must(t, st.do())
			if after := gen(); (after != before) != st.changes {
				t.Errorf("%s: generation %d -> %d, want changed=%v",
					st.name, before, after, st.changes)
			}
		}

		putGroups(t, ctx, s, group("g2", roleAdmin.ID))
		rejected := []struct {
			name string
			do   func() error
		}{
			{"delete missing role", func() error { return s.DeleteRole(ctx, "r-none") }},
			{"delete role in use", func() error { return s.DeleteRole(ctx, roleAdmin.ID) }},
			{"put group with unknown role", func() error {
				return s.PutGroup(ctx, group("g3", "r-none"))
			}},
			{"delete missing group", func() error { return s.DeleteGroup(ctx, "g-none") }},
			{"add to missing group", func() error { return s.AddMember(ctx, "g-none", "x") }},
			{"remove non-member", func() error { return s.RemoveMember(ctx, "g2", "x") }},
		}
		for _, r := range rejected {
			before := gen()
			if err := r.do(); err == nil {
				t.Errorf("%s: no error", r.name)
			}
			if after := gen(); after != before {
				t.Errorf("%s: generation %d -> %d, want unchanged", r.name, before, after)
			}
		}
	})
}

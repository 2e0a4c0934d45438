package acl_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

func TestRank(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		groupRank int // 0: the standard End Users group as shipped
		userRank  int
		wantErr   error
	}{
		// Rank 1 is the highest; a user joins groups requiring their rank
		// or a lower one (a higher number).
		{1, 1, nil},
		{4, 4, nil},
		{10, 4, nil},
		{10, 10, nil},
		{10, 1, nil},

		// A lower-ranked user may not join a group requiring more.
		{1, 2, acl.ErrRank},
		{4, 5, acl.ErrRank},
		{9, 10, acl.ErrRank},

		// Standard groups require rank 1 until an administrator says otherwise.
		{0, 1, nil},
		{0, 2, acl.ErrRank},

		// Ranks outside 1-10 are invalid, whatever the group.
		{10, 0, acl.ErrInvalid},
		{10, 11, acl.ErrInvalid},
		{10, -1, acl.ErrInvalid},
	}
	f := newFixture(t, acl.Maximum)
	for i, tt := range tests {
		groupID := acl.GroupStandardCCMEndUsers
		if tt.groupRank != 0 {
			g, err := f.dir.CreateGroup(ctx, fmt.Sprintf("rank test %d", i), tt.groupRank, nil)
			if err != nil {
				t.Fatal(err)
			}
			groupID = g.ID
		}
		err := f.dir.AddMember(ctx, groupID, "user", tt.userRank)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("group rank %d, user rank %d: err %v, want %v",
				tt.groupRank, tt.userRank, err, tt.wantErr)
		}
		members, _ := f.dir.Members(ctx, groupID)
		if joined := slices.Contains(members, "user"); joined != (tt.wantErr == nil) {
			t.Errorf("group rank %d, user rank %d: member = %v", tt.groupRank, tt.userRank, joined)
		}
		if err == nil {
			if err := f.dir.RemoveMember(ctx, groupID, "user"); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("standard group rank can be lowered so that rank-5 users join", func(t *testing.T) {
		if err := f.dir.SetGroupRank(ctx, acl.GroupStandardCCMEndUsers, 10); err != nil {
			t.Fatal(err)
		}
		if err := f.dir.AddMember(ctx, acl.GroupStandardCCMEndUsers, "five", 5); err != nil {
			t.Errorf("AddMember after SetGroupRank(10): %v", err)
		}
		g, _ := f.dir.Group(ctx, acl.GroupStandardCCMEndUsers)
		if g.MinRank != 10 || !g.Standard {
			t.Errorf("group after SetGroupRank: %+v", g)
		}
	})

	t.Run("rank requirement outside 1-10 is invalid", func(t *testing.T) {
		for _, r := range []int{0, 11} {
			err := f.dir.SetGroupRank(ctx, acl.GroupStandardCCMEndUsers, r)
			if !errors.Is(err, acl.ErrInvalid) {
				t.Errorf("SetGroupRank(%d) = %v, want ErrInvalid", r, err)
			}
			if _, err := f.dir.CreateGroup(ctx, "bad rank", r, nil); !errors.Is(err, acl.ErrInvalid) {
				t.Errorf("CreateGroup rank %d = %v, want ErrInvalid", r, err)
			}
		}
	})

	t.Run("raising a requirement above a member's rank is refused", func(t *testing.T) {
		ranks := map[string]int{"a": 2, "b": 6}
		s := memstore.New()
		dir := acl.NewDirectory(s, acl.DirectoryConfig{
			UserRank: func(_ context.Context, id string) (int, error) { return ranks[id], nil },
		})
		g, err := dir.CreateGroup(ctx, "ranked", 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		for id, r := range ranks {
			if err := dir.AddMember(ctx, g.ID, id, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := dir.SetGroupRank(ctx, g.ID, 5); !errors.Is(err, acl.ErrRank) {
			t.Errorf("SetGroupRank(5) with a rank-6 member = %v, want ErrRank", err)
		}
		if err := dir.SetGroupRank(ctx, g.ID, 6); err != nil {
			t.Errorf("SetGroupRank(6) = %v", err)
		}
		if got, _ := dir.Group(ctx, g.ID); got.MinRank != 6 {
			t.Errorf("MinRank = %d, want 6", got.MinRank)
		}
	})
}

func TestStandardImmutable(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, acl.Maximum)
	custom := f.createRole(t, "custom", acl.Privilege{Resource: devR, Access: rd})

	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		// What the reference forbids on standard groups and roles.
		{"rename standard group", func() error {
			return f.dir.RenameGroup(ctx, acl.GroupStandardCCMEndUsers, "Everyone")
		}, acl.ErrStandard},
		{"change roles of standard group", func() error {
			return f.dir.SetGroupRoles(ctx, acl.GroupStandardCCMEndUsers, []string{custom.ID})
		}, acl.ErrStandard},
		{"delete standard group", func() error {
			return f.dir.DeleteGroup(ctx, acl.GroupStandardCCMSuperUsers)
		}, acl.ErrStandard},
		{"rename standard role", func() error {
			return f.dir.RenameRole(ctx, acl.RoleStandardCCMEndUsers, "Users")
		}, acl.ErrStandard},
		{"change privileges of standard role", func() error {
			return f.dir.SetRolePrivileges(ctx, acl.RoleStandardCCMADMINReadOnly,
				[]acl.Privilege{{Resource: usersR, Access: up}})
		}, acl.ErrStandard},
		{"delete standard role", func() error {
			return f.dir.DeleteRole(ctx, acl.RoleStandardCUReporting)
		}, acl.ErrStandard},

		// What it allows: rank and members.
		{"set rank of standard group", func() error {
			return f.dir.SetGroupRank(ctx, acl.GroupStandardCCMReadOnly, 3)
		}, nil},
		{"add member to standard group", func() error {
			return f.dir.AddMember(ctx, acl.GroupStandardCCMReadOnly, "ro", 1)
		}, nil},
		{"remove member from standard group", func() error {
			return f.dir.RemoveMember(ctx, acl.GroupStandardCCMReadOnly, "ro")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op(); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}

	// Nothing but the rank may have moved.
	roles, _ := f.dir.Roles(ctx)
	var stdRoles []acl.Role
	for _, r := range roles {
		if r.Standard {
			stdRoles = append(stdRoles, r)
		}
	}
	if diff := cmp.Diff(acl.StandardRoles(), stdRoles); diff != "" {
		t.Errorf("standard roles changed (-catalogue +store):\n%s", diff)
	}
	want := acl.StandardGroups()
	for i := range want {
		if want[i].ID == acl.GroupStandardCCMReadOnly {
			want[i].MinRank = 3
		}
	}
	groups, _ := f.dir.Groups(ctx)
	if diff := cmp.Diff(want, groups); diff != "" {
		t.Errorf("standard groups changed (-want +store):\n%s", diff)
	}

	t.Run("copies of standard ones are custom and editable", func(t *testing.T) {
		g, err := f.dir.CopyGroup(ctx, acl.GroupStandardCCMReadOnly, "Auditors")
		if err != nil {
			t.Fatal(err)
		}
		std, _ := acl.StandardGroup(acl.GroupStandardCCMReadOnly)
		if g.Standard || g.MinRank != 3 || !cmp.Equal(g.RoleIDs, std.RoleIDs) {
			t.Errorf("copied group %+v", g)
		}
		r, err := f.dir.CopyRole(ctx, acl.RoleStandardCCMADMINReadOnly, "Auditor")
		if err != nil {
			t.Fatal(err)
		}
		if r.Standard || len(r.Privileges) != len(acl.AdminResources()) {
			t.Errorf("copied role %+v", r)
		}
		if err := f.dir.SetRolePrivileges(ctx, r.ID, nil); err != nil {
			t.Errorf("SetRolePrivileges on the copy: %v", err)
		}
		if err := f.dir.SetGroupRoles(ctx, g.ID, []string{r.ID}); err != nil {
			t.Errorf("SetGroupRoles on the copy: %v", err)
		}
		if err := f.dir.RenameGroup(ctx, g.ID, "Auditors 2"); err != nil {
			t.Errorf("RenameGroup on the copy: %v", err)
		}
	})
}

func TestDeleteRole(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, acl.Maximum)
	r := f.createRole(t, "params", acl.Privilege{Resource: entR, Access: rd})
	g := f.createGroup(t, "params group", r.ID)

	err := f.dir.DeleteRole(ctx, r.ID)
	if !errors.Is(err, acl.ErrInUse) || !strings.Contains(err.Error(), "params group") {
		t.Errorf("delete carried role = %v, want ErrInUse naming the group", err)
	}
	if _, err := f.dir.Role(ctx, r.ID); err != nil {
		t.Errorf("role gone after refused delete: %v", err)
	}

	if err := f.dir.SetGroupRoles(ctx, g.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.DeleteRole(ctx, r.ID); err != nil {
		t.Errorf("delete free role = %v", err)
	}
	if _, err := f.dir.Role(ctx, r.ID); !errors.Is(err, acl.ErrNotFound) {
		t.Errorf("Role after delete = %v, want ErrNotFound", err)
	}
	if err := f.dir.DeleteRole(ctx, r.ID); !errors.Is(err, acl.ErrNotFound) {
		t.Errorf("second delete = %v, want ErrNotFound", err)
	}
	if err := f.dir.DeleteGroup(ctx, "group-nope"); !errors.Is(err, acl.ErrNotFound) {
		t.Errorf("delete unknown group = %v, want ErrNotFound", err)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, acl.Maximum)
	taken := f.createGroup(t, "Phones Team")
	role := f.createRole(t, "Phones", acl.Privilege{Resource: devR, Access: up})
	long := strings.Repeat("é", acl.MaxNameLen)

	groupTests := []struct {
		name    string
		roles   []string
		wantErr error
	}{
		// Names: 1-64 characters, printable, no outer spaces.
		{"", nil, acl.ErrInvalid},
		{long, nil, nil},
		{long + "x", nil, acl.ErrInvalid},
		{"tab\there", nil, acl.ErrInvalid},
		{"line\nbreak", nil, acl.ErrInvalid},
		{"nul\x00", nil, acl.ErrInvalid},
		{"bidi\u202eoverride", nil, nil},
		{" padded", nil, acl.ErrInvalid},
		{"bad \xff utf8", nil, acl.ErrInvalid},

		// Unique among groups, ignoring case; roles are another namespace.
		{"phones team", nil, acl.ErrExists},
		{"STANDARD CCM END USERS", nil, acl.ErrExists},
		{"Phones", nil, nil},

		// Roles must exist.
		{"ghost roles", []string{"role-ghost"}, acl.ErrNotFound},
		{"real roles", []string{role.ID, role.ID}, nil},
	}
	for _, tt := range groupTests {
		g, err := f.dir.CreateGroup(ctx, tt.name, acl.LowestRank, tt.roles)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("CreateGroup(%q, %v) = %v, want %v", tt.name, tt.roles, err, tt.wantErr)
		}
		wantRoles := slices.Compact(slices.Clone(tt.roles))
		if err == nil && (g.Standard || !strings.HasPrefix(g.ID, "group-") ||
			len(g.RoleIDs) != len(wantRoles)) {
			t.Errorf("CreateGroup(%q) = %+v", tt.name, g)
		}
	}

	privTests := []struct {
		name    string
		privs   []acl.Privilege
		wantErr error
	}{
		// Each privilege names a resource once, at Read or Update.
		{"ok", []acl.Privilege{{Resource: devR, Access: rd}, {Resource: usersR, Access: up}}, nil},
		{"none is fine", nil, nil},
		{"no access", []acl.Privilege{{Resource: devR, Access: acl.NoAccess}}, acl.ErrInvalid},
		{"bad level", []acl.Privilege{{Resource: devR, Access: 7}}, acl.ErrInvalid},
		{"no resource", []acl.Privilege{{Resource: "", Access: rd}}, acl.ErrInvalid},
		{"control resource", []acl.Privilege{{Resource: "de\nv", Access: rd}}, acl.ErrInvalid},
		{"twice", []acl.Privilege{{Resource: devR, Access: rd}, {Resource: devR, Access: up}},
			acl.ErrInvalid},

		// Unique among roles, ignoring case.
		{"PHONES", nil, acl.ErrExists},
		{"standard ccm end users", nil, acl.ErrExists},
		{"Phones Team", nil, nil},
	}
	for _, tt := range privTests {
		_, err := f.dir.CreateRole(ctx, tt.name, tt.privs)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("CreateRole(%q, %v) = %v, want %v", tt.name, tt.privs, err, tt.wantErr)
		}
		if err == nil {
			continue
		}
		if _, err := f.dir.RoleByName(ctx, tt.name); tt.wantErr != acl.ErrExists && err == nil {
			t.Errorf("refused role %q was stored", tt.name)
		}
	}

	t.Run("privileges are stored sorted", func(t *testing.T) {
		r := f.createRole(t, "sorted", acl.Privilege{Resource: usersR, Access: rd},
			acl.Privilege{Resource: devR, Access: up})
		got, _ := f.dir.Role(ctx, r.ID)
		want := []acl.Privilege{{Resource: devR, Access: up}, {Resource: usersR, Access: rd}}
		if diff := cmp.Diff(want, got.Privileges); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("rename keeps names unique but may change case", func(t *testing.T) {
		if err := f.dir.RenameGroup(ctx, taken.ID, "PHONES TEAM"); err != nil {
			t.Errorf("rename to own name in capitals: %v", err)
		}
		if err := f.dir.RenameGroup(ctx, taken.ID, "phones"); !errors.Is(err, acl.ErrExists) {
			t.Errorf("rename onto another group's name = %v, want ErrExists", err)
		}
		if err := f.dir.RenameRole(ctx, role.ID, "phones team"); !errors.Is(err, acl.ErrExists) {
			t.Errorf("rename onto another role's name = %v, want ErrExists", err)
		}
		if err := f.dir.RenameRole(ctx, role.ID, ""); !errors.Is(err, acl.ErrInvalid) {
			t.Errorf("rename to empty = %v, want ErrInvalid", err)
		}
		if err := f.dir.RenameGroup(ctx, "group-nope", "x"); !errors.Is(err, acl.ErrNotFound) {
			t.Errorf("rename unknown group = %v, want ErrNotFound", err)
		}
		if g, err := f.dir.GroupByName(ctx, "phones team"); err != nil || g.ID != taken.ID {
			t.Errorf("GroupByName = %+v, %v", g, err)
		}
	})

	t.Run("bad members are refused", func(t *testing.T) {
		for _, u := range []string{"", "new\nline"} {
			err := f.dir.AddMember(ctx, taken.ID, u, 1)
			if !errors.Is(err, acl.ErrInvalid) {
				t.Errorf("AddMember(%q) = %v, want ErrInvalid", u, err)
			}
		}
		if err := f.dir.AddMember(ctx, "group-nope", "u", 1); !errors.Is(err, acl.ErrNotFound) {
			t.Errorf("AddMember to unknown group = %v, want ErrNotFound", err)
		}
		if err := f.dir.RemoveMember(ctx, taken.ID, "u"); !errors.Is(err, acl.ErrNotAMember) {
			t.Errorf("RemoveMember of non-member = %v, want ErrNotAMember", err)
		}
		if _, err := f.dir.Members(ctx, "group-nope"); !errors.Is(err, acl.ErrNotFound) {
			t.Errorf("Members of unknown group = %v, want ErrNotFound", err)
		}
	})

	t.Run("a broken random source is an error", func(t *testing.T) {
		dir := acl.NewDirectory(memstore.New(), acl.DirectoryConfig{Rand: bytes.NewReader(nil)})
		if _, err := dir.CreateRole(ctx, "r", nil); err == nil {
			t.Error("CreateRole with an empty random source succeeded")
		}
	})

	t.Run("a repeating random source is refused, not overwriting", func(t *testing.T) {
		zeros := bytes.NewReader(make([]byte, 1024))
		dir := acl.NewDirectory(memstore.New(), acl.DirectoryConfig{Rand: zeros})
		first, err := dir.CreateRole(ctx, "first", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dir.CreateRole(ctx, "second", nil); err == nil {
			t.Error("second role with a repeated ID was created")
		}
		if got, _ := dir.Role(ctx, first.ID); got.Name != "first" {
			t.Errorf("first role overwritten: %+v", got)
		}
	})
}

func TestEnsureStandard(t *testing.T) {
	ctx := context.Background()

	t.Run("second run changes nothing", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		before, _ := f.store.Generation(ctx)
		if err := f.dir.EnsureStandard(ctx); err != nil {
			t.Fatal(err)
		}
		if after, _ := f.store.Generation(ctx); after != before {
			t.Errorf("generation moved from %d to %d", before, after)
		}
	})

	t.Run("repairs tampering but keeps rank and members", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		f.join(t, "ann", endUsers)
		if err := f.dir.SetGroupRank(ctx, acl.GroupStandardCCMEndUsers, 7); err != nil {
			t.Fatal(err)
		}

		// Another writer widened a standard role and a standard group.
		r, _ := acl.StandardRole(acl.RoleStandardCCMEndUsers)
		r.Privileges = append(r.Privileges, acl.Privilege{Resource: usersR, Access: up})
		if err := f.store.PutRole(ctx, r); err != nil {
			t.Fatal(err)
		}
		g, _ := f.dir.Group(ctx, acl.GroupStandardCCMEndUsers)
		g.RoleIDs = append(g.RoleIDs, acl.RoleStandardCCMADMINAdministration)
		if err := f.store.PutGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		if !mustGrant(t, acl.NewResolver(f.store, acl.ResolverConfig{}), "ann").Allows(usersR, up) {
			t.Fatal("control: tampering had no effect")
		}

		if err := f.dir.EnsureStandard(ctx); err != nil {
			t.Fatal(err)
		}
		if mustGrant(t, f.res, "ann").Allows(usersR, up) {
			t.Error("tampered privileges survived EnsureStandard")
		}
		got, _ := f.dir.Group(ctx, acl.GroupStandardCCMEndUsers)
		want, _ := acl.StandardGroup(acl.GroupStandardCCMEndUsers)
		want.MinRank = 7
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("group (-want +got):\n%s", diff)
		}
		if m, _ := f.dir.Members(ctx, acl.GroupStandardCCMEndUsers); !cmp.Equal(m, []string{"ann"}) {
			t.Errorf("members = %v", m)
		}
	})

	t.Run("standard ones dropped from the catalogue become custom", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		old := acl.Role{ID: "standard-old", Name: "Standard Old", Standard: true}
		if err := f.store.PutRole(ctx, old); err != nil {
			t.Fatal(err)
		}
		oldGroup := acl.Group{ID: "standard-old", Name: "Standard Old", Standard: true,
			MinRank: 1, RoleIDs: []string{old.ID}}
		if err := f.store.PutGroup(ctx, oldGroup); err != nil {
			t.Fatal(err)
		}
		f.join(t, "kept", "Standard Old")

		if err := f.dir.EnsureStandard(ctx); err != nil {
			t.Fatal(err)
		}
		if g, _ := f.dir.Group(ctx, oldGroup.ID); g.Standard {
			t.Error("group still standard")
		}
		if r, _ := f.dir.Role(ctx, old.ID); r.Standard {
			t.Error("role still standard")
		}
		if m, _ := f.dir.Members(ctx, oldGroup.ID); len(m) != 1 {
			t.Errorf("members lost: %v", m)
		}
		if err := f.dir.DeleteGroup(ctx, oldGroup.ID); err != nil {
			t.Errorf("demoted group cannot be deleted: %v", err)
		}
	})
}

package acl_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// Short names keep the truth tables to one line per case.
const (
	maxP = acl.Maximum
	minP = acl.Minimum
	rd   = acl.Read
	up   = acl.Update

	endUsers    = "Standard CCM End Users"
	superUsers  = "Standard CCM Super Users"
	readOnly    = "Standard CCM Read Only"
	maintenance = "Standard CCM Server Maintenance"
	monitoring  = "Standard CCM Server Monitoring"
	phoneAdmin  = "Standard CCM Phone Administration"
	gatewayAdm  = "Standard CCM Gateway Administration"
	adminUsers  = "Standard CCM Admin Users"
	auditUsers  = "Standard Audit Users"

	selfcareR = acl.ResourceSelfCare
	adminR    = acl.ResourceAdmin
	usersR    = acl.ResourceUsers
	groupsR   = acl.ResourceGroups
	entR      = acl.ResourceEnterpriseParameters
	svcR      = acl.ResourceServiceParameters
	devR      = acl.ResourceDevices
	codesR    = acl.ResourceActivationCodes
	auditR    = acl.ResourceAudit
)

// overlapGroups are custom groups, each carrying one custom role of the
// same name, set up by addOverlapGroups.
var overlapGroups = map[string][]acl.Privilege{
	"params-read":    {{Resource: entR, Access: rd}},
	"params-update":  {{Resource: entR, Access: up}},
	"devices-read":   {{Resource: devR, Access: rd}},
	"mixed":          {{Resource: entR, Access: up}, {Resource: devR, Access: rd}},
	"devices-update": {{Resource: devR, Access: up}},
}

func addOverlapGroups(tb testing.TB, f *fixture) {
	tb.Helper()
	for name, privs := range overlapGroups {
		r := f.createRole(tb, name, privs...)
		f.createGroup(tb, name, r.ID)
	}
}

func TestOverlapPolicy(t *testing.T) {
	tests := []struct {
		policy acl.OverlapPolicy
		groups string // names separated by commas
		res    acl.Resource
		access acl.Access
		want   bool
	}{
		// One group: the policy changes nothing.
		{maxP, "params-read", entR, rd, true},
		{maxP, "params-read", entR, up, false},
		{minP, "params-read", entR, rd, true},
		{minP, "params-read", entR, up, false},
		{minP, "params-update", entR, up, true},

		// Two roles disagree on a resource: Maximum takes the higher level.
		{maxP, "params-read,params-update", entR, up, true},
		{maxP, "params-read,params-update", entR, rd, true},
		{maxP, "devices-read,mixed,devices-update", devR, up, true},

		// Minimum takes the lower level.
		{minP, "params-read,params-update", entR, up, false},
		{minP, "params-read,params-update", entR, rd, true},
		{minP, "devices-read,mixed,devices-update", devR, up, false},
		{minP, "devices-read,mixed,devices-update", devR, rd, true},
		{minP, "mixed,devices-update", devR, up, false},

		// Under Minimum, a role that does not name a resource does not lower it.
		{minP, "params-update,devices-read", entR, up, true},
		{minP, "params-update,devices-read", devR, rd, true},
		{minP, "params-update,devices-update", devR, up, true},

		// A resource that no role names stays closed under both policies.
		{maxP, "params-update,devices-update", usersR, rd, false},
		{minP, "params-update,devices-update", usersR, rd, false},

		// Standard groups that overlap: Server Maintenance holds both
		// CCMADMIN Read Only and System Management.
		{maxP, maintenance, entR, up, true},
		{minP, maintenance, entR, up, false},
		{minP, maintenance, entR, rd, true},
		{maxP, maintenance, usersR, up, false},
		{maxP, readOnly + ",params-update", entR, up, true},
		{minP, readOnly + ",params-update", entR, up, false},
		{maxP, phoneAdmin, devR, up, true},
		{minP, phoneAdmin, devR, up, false},
		{minP, phoneAdmin, codesR, rd, true},

		// Super Users have no read-only role, so Minimum leaves them whole.
		{minP, superUsers, usersR, up, true},
		{minP, superUsers, entR, up, true},

		// The same standard role reached through two groups counts once.
		{minP, phoneAdmin + "," + readOnly, devR, up, false},
		{maxP, phoneAdmin + "," + readOnly, devR, up, true},
	}
	for _, policy := range []acl.OverlapPolicy{maxP, minP} {
		f := newFixture(t, policy)
		addOverlapGroups(t, f)
		for i, tt := range tests {
			if tt.policy != policy {
				continue
			}
			user := fmt.Sprintf("user-%d", i)
			f.join(t, user, strings.Split(tt.groups, ",")...)
			got, err := f.res.Allowed(context.Background(), user, tt.res, tt.access)
			if err != nil {
				t.Fatalf("%v %s: Allowed: %v", policy, tt.groups, err)
			}
			if got != tt.want {
				t.Errorf("%v [%s] %s %v = %v, want %v",
					policy, tt.groups, tt.res, tt.access, got, tt.want)
			}
		}
	}
}

func TestStandardGroupPrivileges(t *testing.T) {
	tests := []struct {
		group  string
		res    acl.Resource
		access acl.Access
		want   bool
	}{
		// End users use Self Care and nothing else.
		{endUsers, selfcareR, up, true},
		{endUsers, adminR, rd, false},
		{endUsers, usersR, rd, false},

		// Admin Users may log in to administration but see nothing there.
		{adminUsers, adminR, rd, true},
		{adminUsers, adminR, up, false},
		{adminUsers, usersR, rd, false},
		{adminUsers, selfcareR, rd, false},

		// Super Users change every administration resource.
		{superUsers, adminR, rd, true},
		{superUsers, usersR, up, true},
		{superUsers, groupsR, up, true},
		{superUsers, svcR, up, true},
		{superUsers, codesR, up, true},
		{superUsers, auditR, rd, true},
		{superUsers, auditR, up, false},
		{superUsers, selfcareR, rd, false},

		// Read Only reads everything and changes nothing.
		{readOnly, usersR, rd, true},
		{readOnly, usersR, up, false},
		{readOnly, groupsR, up, false},
		{readOnly, auditR, rd, true},

		// The specialised groups change only their own resources.
		{maintenance, entR, up, true},
		{maintenance, svcR, up, true},
		{maintenance, devR, up, false},
		{phoneAdmin, devR, up, true},
		{phoneAdmin, codesR, up, true},
		{phoneAdmin, entR, up, false},
		{phoneAdmin, entR, rd, true},
		{gatewayAdm, devR, up, false},
		{gatewayAdm, devR, rd, true},
		{monitoring, auditR, rd, true},
		{monitoring, usersR, up, false},
		{auditUsers, auditR, up, true},
		{auditUsers, adminR, rd, false},
	}
	f := newFixture(t, acl.Maximum)
	for i, tt := range tests {
		user := fmt.Sprintf("user-%d", i)
		f.join(t, user, tt.group)
		if got := mustGrant(t, f.res, user).Allows(tt.res, tt.access); got != tt.want {
			t.Errorf("%s: %s %v = %v, want %v", tt.group, tt.res, tt.access, got, tt.want)
		}
	}
}

func TestSelfCare(t *testing.T) {
	f := newFixture(t, acl.Maximum)
	ctx := context.Background()

	// Custom groups built around the two standard end-user roles, and a
	// custom role that has the Self Care privilege but is not the role.
	f.createGroup(t, "Jabber users", acl.RoleStandardCCMEndUsers)
	f.createGroup(t, "portal only", acl.RoleStandardCCMUSERAdministration)
	lookalike := f.createRole(t, "Self Care look-alike",
		acl.Privilege{Resource: selfcareR, Access: up})
	f.createGroup(t, "look-alike", lookalike.ID)
	f.createGroup(t, "no roles")
	if _, err := f.dir.CopyGroup(ctx, acl.GroupStandardCCMEndUsers, "copied end users"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		groups string // names separated by commas; empty for none
		want   bool
	}{
		// The standard group, and any group carrying the End Users role.
		{endUsers, true},
		{"Jabber users", true},
		{"copied end users", true},
		{"Jabber users,look-alike", true},
		{superUsers + ",Jabber users", true},

		// The CCMUSER Administration role alone does not open the portal.
		{"portal only", false},

		// Nor does a privilege on the selfcare resource.
		{"look-alike", false},
		{"look-alike,portal only", false},

		// Nor administration groups, nor groups without roles, nor nothing.
		{superUsers, false},
		{readOnly, false},
		{"no roles", false},
		{"", false},
	}
	for i, tt := range tests {
		user := fmt.Sprintf("user-%d", i)
		if tt.groups != "" {
			f.join(t, user, strings.Split(tt.groups, ",")...)
		}
		if got := mustGrant(t, f.res, user).SelfCare(); got != tt.want {
			t.Errorf("[%s]: SelfCare = %v, want %v", tt.groups, got, tt.want)
		}
	}
}

func TestDenyByDefault(t *testing.T) {
	f := newFixture(t, acl.Maximum)
	f.createGroup(t, "no roles")
	f.join(t, "roleless", "no roles")

	for _, user := range []string{"stranger", "roleless", ""} {
		t.Run("user "+user+" gets an empty grant", func(t *testing.T) {
			g := mustGrant(t, f.res, user)
			for _, r := range acl.Resources() {
				for _, a := range []acl.Access{acl.NoAccess, rd, up, acl.Access(9)} {
					if g.Allows(r, a) {
						t.Errorf("Allows(%s, %v) = true", r, a)
					}
				}
			}
			if g.SelfCare() || len(g.Roles()) != 0 || len(g.Privileges()) != 0 {
				t.Errorf("grant not empty: roles %v, privileges %v", g.Roles(), g.Privileges())
			}
		})
	}

	t.Run("a nil grant allows nothing", func(t *testing.T) {
		var g *acl.Grant
		if g.Allows(selfcareR, rd) || g.SelfCare() || g.HasRole(acl.RoleStandardCCMEndUsers) ||
			g.Roles() != nil || g.Groups() != nil || g.Privileges() != nil {
			t.Error("nil grant allows something")
		}
	})

	t.Run("asking for no access is refused even with update", func(t *testing.T) {
		f.join(t, "admin", superUsers)
		g := mustGrant(t, f.res, "admin")
		if g.Allows(usersR, acl.NoAccess) || g.Allows(usersR, acl.Access(3)) {
			t.Error("NoAccess or an unknown level was allowed")
		}
		if !g.Allows(usersR, up) {
			t.Error("control: Update on users refused to a super user")
		}
	})
}

func TestGrantContents(t *testing.T) {
	f := newFixture(t, acl.Maximum)
	f.join(t, "pat", phoneAdmin, endUsers)
	g := mustGrant(t, f.res, "pat")

	wantGroups := []string{acl.GroupStandardCCMEndUsers, acl.GroupStandardCCMPhoneAdministration}
	if diff := cmp.Diff(wantGroups, g.Groups()); diff != "" {
		t.Errorf("Groups (-want +got):\n%s", diff)
	}
	wantRoles := []string{
		acl.RoleStandardCCMAdminUsers,
		acl.RoleStandardCCMEndUsers,
		acl.RoleStandardCCMPhoneManagement,
		acl.RoleStandardCCMADMINReadOnly,
		acl.RoleStandardCCMUSERAdministration,
	}
	slices.Sort(wantRoles)
	if diff := cmp.Diff(wantRoles, g.Roles()); diff != "" {
		t.Errorf("Roles (-want +got):\n%s", diff)
	}
	wantPrivs := []acl.Privilege{
		{Resource: codesR, Access: up},
		{Resource: adminR, Access: rd},
		{Resource: devR, Access: up},
		{Resource: entR, Access: rd},
		{Resource: groupsR, Access: rd},
		{Resource: selfcareR, Access: up},
		{Resource: svcR, Access: rd},
		{Resource: acl.ResourceUserProfiles, Access: rd},
		{Resource: usersR, Access: rd},
	}
	if diff := cmp.Diff(wantPrivs, g.Privileges()); diff != "" {
		t.Errorf("Privileges (-want +got):\n%s", diff)
	}

	// What a grant hands out is a copy: changing it changes nothing.
	g.Roles()[0] = "changed"
	g.Groups()[0] = "changed"
	g.Privileges()[0].Access = acl.NoAccess
	if diff := cmp.Diff(wantRoles, g.Roles()); diff != "" {
		t.Errorf("Roles after changing a copy (-want +got):\n%s", diff)
	}
	if !g.Allows(codesR, up) || g.Groups()[0] == "changed" {
		t.Error("changing a returned slice changed the grant")
	}
	if g.User() != "pat" || g.Access(devR) != up || g.Access(auditR) != acl.NoAccess {
		t.Errorf("User %q, Access(devices) %v, Access(audit) %v",
			g.User(), g.Access(devR), g.Access(auditR))
	}
}

func TestInvalidation(t *testing.T) {
	ctx := context.Background()

	t.Run("membership change through the directory is seen at once", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		if mustGrant(t, f.res, "ann").SelfCare() {
			t.Fatal("SelfCare before joining")
		}
		f.join(t, "ann", endUsers)
		if !mustGrant(t, f.res, "ann").SelfCare() {
			t.Error("SelfCare not granted after AddMember")
		}
		if err := f.dir.RemoveMember(ctx, acl.GroupStandardCCMEndUsers, "ann"); err != nil {
			t.Fatal(err)
		}
		if mustGrant(t, f.res, "ann").SelfCare() {
			t.Error("SelfCare kept after RemoveMember")
		}
	})

	t.Run("group and role changes through the directory are seen at once", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		r := f.createRole(t, "params", acl.Privilege{Resource: entR, Access: rd})
		g := f.createGroup(t, "params", r.ID)
		f.join(t, "bob", "params")
		if !mustGrant(t, f.res, "bob").Allows(entR, rd) {
			t.Fatal("control: Read on parameters refused")
		}

		err := f.dir.SetRolePrivileges(ctx, r.ID, []acl.Privilege{{Resource: entR, Access: up}})
		if err != nil {
			t.Fatal(err)
		}
		if !mustGrant(t, f.res, "bob").Allows(entR, up) {
			t.Error("new role privilege not seen")
		}
		if err := f.dir.SetGroupRoles(ctx, g.ID, nil); err != nil {
			t.Fatal(err)
		}
		if mustGrant(t, f.res, "bob").Allows(entR, rd) {
			t.Error("role removed from the group still grants")
		}
		if err := f.dir.SetGroupRoles(ctx, g.ID, []string{r.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.dir.DeleteGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if got := mustGrant(t, f.res, "bob").Groups(); len(got) != 0 {
			t.Errorf("deleted group still in grant: %v", got)
		}
	})

	t.Run("changing the policy recomputes grants", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		f.join(t, "cy", maintenance)
		if !mustGrant(t, f.res, "cy").Allows(entR, up) {
			t.Fatal("control: Maximum refuses Update")
		}
		f.res.SetPolicy(acl.Minimum)
		if f.res.Policy() != acl.Minimum {
			t.Errorf("Policy = %v", f.res.Policy())
		}
		if mustGrant(t, f.res, "cy").Allows(entR, up) {
			t.Error("grant computed under Maximum survived SetPolicy(Minimum)")
		}
	})

	t.Run("another process sees a change only after Sync", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		counted := &countingStore{Store: f.store}
		other := acl.NewResolver(counted, acl.ResolverConfig{})
		if err := other.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if mustGrant(t, other, "dee").SelfCare() {
			t.Fatal("SelfCare before joining")
		}

		// An unchanged store keeps the cache: no new read.
		if err := other.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		mustGrant(t, other, "dee")
		if n := counted.userGroups.Load(); n != 1 {
			t.Errorf("store read %d times, want 1 (cached)", n)
		}

		f.join(t, "dee", endUsers)
		if mustGrant(t, other, "dee").SelfCare() {
			t.Error("change seen before Sync: the other resolver does not cache")
		}
		if err := other.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if !mustGrant(t, other, "dee").SelfCare() {
			t.Error("change not seen after Sync")
		}
	})

	t.Run("the first Sync drops what was cached before it", func(t *testing.T) {
		f := newFixture(t, acl.Maximum)
		other := acl.NewResolver(f.store, acl.ResolverConfig{})
		mustGrant(t, other, "eve")
		f.join(t, "eve", endUsers)
		if err := other.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if !mustGrant(t, other, "eve").SelfCare() {
			t.Error("grant cached before the first Sync survived it")
		}
	})
}

// TestStaleFill holds a cold resolution after it has read the store and
// makes a change before letting it finish. Its grant predates the change and
// must not be cached.
func TestStaleFill(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(tb testing.TB, f *fixture, r *acl.Resolver)
	}{
		{"membership change in process", func(tb testing.TB, f *fixture, _ *acl.Resolver) {
			f.join(tb, "fay", endUsers)
		}},
		{"change by another process then Sync", func(tb testing.TB, f *fixture, r *acl.Resolver) {
			// Straight to the store, as another process would do.
			if err := f.store.AddMember(ctx, acl.GroupStandardCCMEndUsers, "fay"); err != nil {
				tb.Fatal(err)
			}
			if err := r.Sync(ctx); err != nil {
				tb.Fatal(err)
			}
		}},
		{"policy change", func(tb testing.TB, f *fixture, r *acl.Resolver) {
			if err := f.store.AddMember(ctx, acl.GroupStandardCCMEndUsers, "fay"); err != nil {
				tb.Fatal(err)
			}
			r.SetPolicy(acl.Minimum)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+": stale grant is not cached", func(t *testing.T) {
			f := newFixture(t, acl.Maximum)
			gate := &gateStore{Store: f.store}
			r := acl.NewResolver(gate, acl.ResolverConfig{})
			f.dir = acl.NewDirectory(f.store, acl.DirectoryConfig{Resolver: r})
			if err := r.Sync(ctx); err != nil {
				t.Fatal(err)
			}

			gate.arm()
			done := make(chan *acl.Grant)
			go func() {
				g, err := r.Grant(ctx, "fay")
				if err != nil {
					t.Error(err)
				}
				done <- g
			}()
			<-gate.read
			tt.change(t, f, r)
			close(gate.release)

			// The held call may answer from before the change; later ones
			// may not.
			if g := <-done; g.SelfCare() {
				t.Error("held resolution read the store after the change; the test is broken")
			}
			if !mustGrant(t, r, "fay").SelfCare() {
				t.Error("stale grant was cached")
			}
		})
	}
}

// TestConcurrentUse mixes reads, membership changes and Syncs; run it with
// -race. At the end every cached grant must match a fresh resolution.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, acl.Maximum)
	other := acl.NewResolver(f.store, acl.ResolverConfig{})
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"}
	groups := []string{acl.GroupStandardCCMEndUsers, acl.GroupStandardCCMSuperUsers,
		acl.GroupStandardCCMReadOnly}

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 1))
			for range 2000 {
				u := users[rnd.IntN(len(users))]
				for _, r := range []*acl.Resolver{f.res, other} {
					if _, err := r.Allowed(ctx, u, usersR, rd); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		rnd := rand.New(rand.NewPCG(99, 2))
		for range 500 {
			u, g := users[rnd.IntN(len(users))], groups[rnd.IntN(len(groups))]
			err := f.dir.AddMember(ctx, g, u, acl.DefaultRank)
			if rnd.IntN(2) == 0 {
				err = f.dir.RemoveMember(ctx, g, u)
				if errors.Is(err, acl.ErrNotAMember) {
					err = nil
				}
			}
			if err != nil {
				t.Error(err)
				return
			}
			if err := other.Sync(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()

	if err := other.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		fresh := mustGrant(t, acl.NewResolver(f.store, acl.ResolverConfig{}), u)
		for _, r := range []*acl.Resolver{f.res, other} {
			if diff := cmp.Diff(fresh.Groups(), mustGrant(t, r, u).Groups()); diff != "" {
				t.Errorf("%s: cached groups differ from the store (-store +cached):\n%s", u, diff)
			}
		}
	}
}

func TestResolverStoreFailure(t *testing.T) {
	s := &failingStore{Store: memstore.New(), err: errors.New("disk on fire")}
	r := acl.NewResolver(s, acl.ResolverConfig{})
	ctx := context.Background()
	if ok, err := r.Allowed(ctx, "gus", selfcareR, rd); ok || !errors.Is(err, s.err) {
		t.Errorf("Allowed = %v, %v; want false and the store's error", ok, err)
	}
	if err := r.Sync(ctx); !errors.Is(err, s.err) {
		t.Errorf("Sync = %v, want the store's error", err)
	}
}

type failingStore struct {
	acl.Store
	err error
}

func (s *failingStore) UserGroups(context.Context, string) ([]acl.Group, error) {
	return nil, s.err
}

func (s *failingStore) Generation(context.Context) (uint64, error) { return 0, s.err }

func TestOverlapPolicyNames(t *testing.T) {
	tests := []struct {
		in      string
		want    acl.OverlapPolicy
		wantErr error
	}{
		{"maximum", acl.Maximum, nil},
		{"Maximum", acl.Maximum, nil},
		{"minimum", acl.Minimum, nil},
		{"MINIMUM", acl.Minimum, nil},
		{"", acl.Maximum, acl.ErrInvalid},
		{"max", acl.Maximum, acl.ErrInvalid},
	}
	for _, tt := range tests {
		got, err := acl.ParseOverlapPolicy(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseOverlapPolicy(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, p := range []acl.OverlapPolicy{acl.Maximum, acl.Minimum} {
		if got, err := acl.ParseOverlapPolicy(p.String()); got != p || err != nil {
			t.Errorf("round trip of %v: %v, %v", p, got, err)
		}
	}
	if acl.OverlapPolicy(0) != acl.DefaultOverlapPolicy || acl.DefaultOverlapPolicy != acl.Maximum {
		t.Error("the zero policy is not the Maximum default")
	}
}

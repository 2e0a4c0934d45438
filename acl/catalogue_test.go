package acl_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
)

func TestStandardGroupRoles(t *testing.T) {
	// The group-to-role mapping of the reference, one line per group.
	want := map[string][]string{
		acl.GroupStandardCCMEndUsers: {acl.RoleStandardCCMEndUsers,
			acl.RoleStandardCCMUSERAdministration},
		acl.GroupStandardCCMAdminUsers: {acl.RoleStandardCCMAdminUsers},
		acl.GroupStandardCCMSuperUsers: {acl.RoleStandardCCMAdminUsers,
			acl.RoleStandardCCMADMINAdministration, acl.RoleStandardAXLAPIAccess,
			acl.RoleStandardAdminRepToolAdmin, acl.RoleStandardCUReporting,
			acl.RoleStandardEMAuthProxyRights, acl.RoleStandardServiceability},
		acl.GroupStandardCCMReadOnly: {acl.RoleStandardCCMAdminUsers,
			acl.RoleStandardCCMADMINReadOnly, acl.RoleStandardServiceabilityReadOnly},
		acl.GroupStandardCCMServerMaintenance: {acl.RoleStandardCCMAdminUsers,
			acl.RoleStandardCCMADMINReadOnly, acl.RoleStandardCCMFeatureManagement,
			acl.RoleStandardCCMServiceManagement, acl.RoleStandardCCMSystemManagement},
		acl.GroupStandardCCMServerMonitoring: {acl.RoleStandardCCMAdminUsers,
			acl.RoleStandardCCMADMINReadOnly, acl.RoleStandardServiceability},
		acl.GroupStandardCCMPhoneAdministration: {acl.RoleStandardCCMAdminUsers,
			acl.RoleStandardCCMADMINReadOnly, acl.RoleStandardCCMPhoneManagement},
		acl.GroupStandardCCMGatewayAdministration: {acl.RoleStandardCCMAdminUsers,
			acl.RoleStandardCCMADMINReadOnly, acl.RoleStandardCCMGatewayManagement},
		acl.GroupStandardAuditUsers: {acl.RoleStandardAuditLogAdministration},
	}
	got := make(map[string][]string)
	for _, g := range acl.StandardGroups() {
		got[g.ID] = g.RoleIDs
	}
	for id := range want {
		slices.Sort(want[id])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group roles (-want +got):\n%s", diff)
	}
}

func TestCatalogueConsistent(t *testing.T) {
	roles := acl.StandardRoles()
	groups := acl.StandardGroups()
	roleIDs := make(map[string]bool)
	names := make(map[string]bool)
	for _, r := range roles {
		if !r.Standard || !strings.HasPrefix(r.ID, "standard-") || roleIDs[r.ID] {
			t.Errorf("role %+v: not standard, bad ID, or ID repeated", r)
		}
		roleIDs[r.ID] = true
		if folded := strings.ToLower(r.Name); names[folded] || !strings.HasPrefix(r.Name, "Standard ") {
			t.Errorf("role name %q repeated or not standard", r.Name)
		} else {
			names[folded] = true
		}
		for _, p := range r.Privileges {
			known := slices.Contains(acl.Resources(), p.Resource)
			if !known || (p.Access != acl.Read && p.Access != acl.Update) {
				t.Errorf("role %s: privilege %+v", r.ID, p)
			}
		}
	}
	clear(names)
	groupIDs := make(map[string]bool)
	for _, g := range groups {
		if !g.Standard || g.MinRank != acl.DefaultRank || groupIDs[g.ID] {
			t.Errorf("group %+v: not standard, rank not default, or ID repeated", g)
		}
		groupIDs[g.ID] = true
		if folded := strings.ToLower(g.Name); names[folded] {
			t.Errorf("group name %q repeated", g.Name)
		} else {
			names[folded] = true
		}
		for _, id := range g.RoleIDs {
			if !roleIDs[id] {
				t.Errorf("group %s carries unknown role %s", g.ID, id)
			}
		}
	}
	if !slices.IsSortedFunc(roles, func(a, b acl.Role) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("StandardRoles not ordered by ID")
	}
	if !slices.IsSortedFunc(groups, func(a, b acl.Group) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("StandardGroups not ordered by ID")
	}
}

func TestCatalogueReturnsCopies(t *testing.T) {
	roles := acl.StandardRoles()
	for i := range roles {
		for j := range roles[i].Privileges {
			roles[i].Privileges[j].Access = acl.NoAccess
		}
		roles[i].Standard = false
	}
	groups := acl.StandardGroups()
	groups[0].RoleIDs[0] = "changed"
	acl.AdminResources()[0] = "changed"

	if diff := cmp.Diff(roles, acl.StandardRoles()); diff == "" {
		t.Error("changing StandardRoles' result changed the catalogue")
	}
	if g, _ := acl.StandardGroup(groups[0].ID); g.RoleIDs[0] == "changed" {
		t.Error("changing StandardGroups' result changed the catalogue")
	}
	if acl.AdminResources()[0] == "changed" {
		t.Error("changing AdminResources' result changed it")
	}
	if _, ok := acl.StandardRole("group-x"); ok {
		t.Error("StandardRole found an unknown ID")
	}
	if r, ok := acl.StandardRole(acl.RoleStandardCCMEndUsers); !ok || r.Name != "Standard CCM End Users" {
		t.Errorf("StandardRole(end users) = %+v, %v", r, ok)
	}
}

func TestAccessNames(t *testing.T) {
	for _, a := range []acl.Access{acl.NoAccess, acl.Read, acl.Update} {
		if got, err := acl.ParseAccess(a.String()); got != a || err != nil {
			t.Errorf("round trip of %v: %v, %v", a, got, err)
		}
	}
	if _, err := acl.ParseAccess("write"); err == nil {
		t.Error("ParseAccess(write) succeeded")
	}
}

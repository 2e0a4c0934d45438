package memstore_test

import (
	"context"
	"fmt"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

func Example() {
	ctx := context.Background()
	s := memstore.New()

	// A role, a group carrying it, and a member: what the acl resolver
	// reads through UserGroups and RolesByID.
	_ = s.PutRole(ctx, acl.Role{ID: "end-users", Name: "Standard CCM End Users"})
	_ = s.PutGroup(ctx, acl.Group{ID: "g-users", MinRank: 4, RoleIDs: []string{"end-users"}})
	_ = s.AddMember(ctx, "g-users", "alice")

	groups, _ := s.UserGroups(ctx, "alice")
	roles, _ := s.RolesByID(ctx, groups[0].RoleIDs)
	fmt.Println(groups[0].ID, roles[0].Name)
	// Output: g-users Standard CCM End Users
}

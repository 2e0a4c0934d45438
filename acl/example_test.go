package acl_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// A custom group that carries the Standard CCM End Users role opens the Self
// Care portal just as the standard group does.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	res := acl.NewResolver(store, acl.ResolverConfig{})
	dir := acl.NewDirectory(store, acl.DirectoryConfig{Resolver: res})
	if err := dir.EnsureStandard(ctx); err != nil {
		fmt.Println(err)
		return
	}

	jabber, err := dir.CreateGroup(ctx, "Jabber Users", acl.LowestRank,
		[]string{acl.RoleStandardCCMEndUsers})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := dir.AddMember(ctx, jabber.ID, "alice", 4); err != nil {
		fmt.Println(err)
		return
	}

	// Once per request: notice changes made by other processes.
	if err := res.Sync(ctx); err != nil {
		fmt.Println(err)
		return
	}
	g, err := res.Grant(ctx, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("self care:", g.SelfCare())
	fmt.Println("change own settings:", g.Allows(acl.ResourceSelfCare, acl.Update))
	fmt.Println("administration:", g.Allows(acl.ResourceAdmin, acl.Read))

	// The standard group still requires rank 1.
	err = dir.AddMember(ctx, acl.GroupStandardCCMEndUsers, "alice", 4)
	fmt.Println("rank 4 refused by the standard group:", errors.Is(err, acl.ErrRank))
	// Output:
	// self care: true
	// change own settings: true
	// administration: false
	// rank 4 refused by the standard group: true
}

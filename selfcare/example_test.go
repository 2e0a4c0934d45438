package selfcare_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// Example shows the life of a session: an administrator creates an end user
// and puts them in Standard CCM End Users; the user logs in, is
// authenticated on later requests by the token, and logs out.
func Example() {
	ctx := context.Background()
	// Cheap hash parameters keep the example fast; a real portal leaves
	// Config.Hash zero to get the defaults.
	svc := selfcare.New(memstore.New(), selfcare.Config{
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1},
	})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		fmt.Println(err)
		return
	}

	u := selfcare.User{ID: "jsmith", FirstName: "Jo", LastName: "Smith"}
	if err := svc.CreateUser(ctx, "", u, "Paper-lantern-9", "80461973"); err != nil {
		fmt.Println(err)
		return
	}
	if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, "jsmith"); err != nil {
		fmt.Println(err)
		return
	}

	_, _, err := svc.Login(ctx, "jsmith", "paper-lantern-9", "192.0.2.1")
	fmt.Println("wrong case:", err)

	token, _, err := svc.Login(ctx, "jsmith", "Paper-lantern-9", "192.0.2.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := svc.Authenticate(ctx, token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("authenticated:", p.User.ID, p.Grant.SelfCare())

	if err := svc.Logout(ctx, token); err != nil {
		fmt.Println(err)
		return
	}
	_, err = svc.Authenticate(ctx, token)
	fmt.Println("after logout:", errors.Is(err, selfcare.ErrUnauthenticated))
	// Output:
	// wrong case: selfcare: user ID or password is not correct
	// authenticated: jsmith true
	// after logout: true
}

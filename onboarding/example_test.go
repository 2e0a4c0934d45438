package onboarding_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ucselfcare/portal/onboarding"
)

// A phone provisioned without its MAC is activated with the code its owner
// reads in the portal, once.
func Example() {
	ctx := context.Background()
	// The portal keeps the key in its data folder (LoadOrCreateKeyFile).
	key, err := onboarding.GenerateKey(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	sealer, err := onboarding.NewSealer(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	// newMemStore is the in-memory Store of these tests; the portal passes
	// its own store.
	reg := onboarding.New(newMemStore(), sealer, onboarding.Config{})

	// An administrator adds the phone and requires activation.
	d, err := reg.ProvisionDevice(ctx, "admin",
		onboarding.Provision{Model: "Cisco 8845", Owner: "alice"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("dummy name:", strings.HasPrefix(d.Name, onboarding.PrefixDummy))
	if err := reg.RequireActivation(ctx, "admin", d.Name); err != nil {
		fmt.Println(err)
		return
	}

	// Alice opens My Phones; the view is audited.
	ready, err := reg.ReadyToActivate(ctx, "alice", "192.0.2.10")
	if err != nil || len(ready.Phones) != 1 {
		fmt.Println(len(ready.Phones), err)
		return
	}
	shown := ready.Phones[0].Code.Grouped()
	fmt.Println("shown as", len(shown), "characters in groups of four")
	fmt.Println("logged by mistake:", ready.Phones[0].Code)

	// The phone sends its MAC, its model and the code Alice typed.
	try := onboarding.Attempt{MAC: "00:1b:54:aa:bb:cc", Model: "Cisco 8845",
		Code: onboarding.Plaintext(shown), Source: "192.0.2.77"}
	phone, err := reg.Redeem(ctx, try)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("activated:", phone.Name, phone.Activated)

	// The code works once.
	_, err = reg.Redeem(ctx, try)
	fmt.Println(err)
	// Output:
	// dummy name: true
	// shown as 19 characters in groups of four
	// logged by mistake: [activation code]
	// activated: SEP001B54AABBCC true
	// onboarding: activation failed
}

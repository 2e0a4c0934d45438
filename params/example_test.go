package params_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/ucselfcare/portal/params"
)

// An administrator limits call forwarding to Call Forward All and sets an
// intra-cluster login limit; the portal then refuses busy forwarding with
// an error naming the parameter, and a user whose profile allows it keeps
// their own login time.
func Example() {
	cluster, err := params.NewCluster(params.Server{Name: "cucm-pub", Publisher: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	v := params.Defaults()

	// Each change is planned (validated, with what it implies) and applied.
	for _, set := range [][2]string{
		{params.KeyShowCallForwarding, "Show Only Call Forward All"},
		{params.KeyIntraClusterLoginTime, "4:00"},
	} {
		plan, err := v.PlanSet(set[0], set[1], cluster)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, c := range plan {
			fmt.Printf("%s: %s -> %s (implied: %v)\n", c.Key, c.Old, c.New, c.Implied)
		}
		if v, err = v.Apply(plan, cluster); err != nil {
			fmt.Println(err)
			return
		}
	}

	f := params.FeaturesOf(v)
	fmt.Println("call forward all:", f.AllowsForward(params.ForwardAllCalls))
	var gate *params.GateError
	if err := f.CheckForward(params.ForwardBusyExternal); errors.As(err, &gate) {
		fmt.Printf("busy forwarding hidden by %q = %s\n", gate.ParamDisplayName, gate.Value)
	}

	_, err = v.PlanSet(params.KeyIntraClusterLoginTime, "200:00", cluster)
	var bad *params.ValidationError
	if errors.As(err, &bad) {
		fmt.Printf("%s refused: %s\n", bad.DisplayName, bad.Reason)
	}

	profile := params.UserProfile{Name: "Hot desk", AllowEMMaxLoginTime: true}
	choice := params.EMLoginChoice{Mode: params.EMCustom, Max: 10 * time.Hour}
	intra, inter := params.EffectiveLoginTime(v.ExtensionMobility(), profile, choice)
	fmt.Println("own choice:", intra, inter)
	intra, inter = params.EffectiveLoginTime(v.ExtensionMobility(), params.UserProfile{}, choice)
	fmt.Println("without the profile option:", intra, inter)

	server, _ := params.DefaultServer(v, cluster)
	fmt.Println("embedded pages from:", server.Name)
	// Output:
	// CCMUserShowCallForward: show-all -> cfa-only (implied: false)
	// EMIntraClusterMaxLoginTime: 8:00 -> 4:00 (implied: false)
	// EMEnforceIntraClusterMaxLoginTime: false -> true (implied: true)
	// call forward all: true
	// busy forwarding hidden by "Show Call Forwarding" = Show Only Call Forward All
	// Intra-cluster Maximum Login Time refused: it is above 168:00
	// own choice: 10:00 10:00
	// without the profile option: 4:00 8:00
	// embedded pages from: cucm-pub
}

package reachability_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/ucselfcare/portal/reachability"
)

// A prober allows the cluster's servers and nothing else. Targets that
// are malformed or refused are answered at once, without any traffic.
func Example() {
	policy, err := reachability.NewPolicy(
		[]string{"ucm-pub.example.com", "10.0.0.10"}, reachability.PolicyConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	prober, err := reachability.New(policy, reachability.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, host := range []string{"127.0.0.1", "[::ffff:127.0.0.1]:80", "127.0.0.1:22",
		"0x7f000001", "user@127.0.0.1"} {
		res := prober.Probe(context.Background(), host)
		fmt.Printf("%s: %t, %v\n", host, res.Alive, res.Reason)
	}
	// Output:
	// 127.0.0.1: false, blocked by policy
	// [::ffff:127.0.0.1]:80: false, blocked by policy
	// 127.0.0.1:22: false, blocked by policy
	// 0x7f000001: false, invalid
	// user@127.0.0.1: false, invalid
}

func ExamplePolicy_Check() {
	policy, _ := reachability.NewPolicy(nil, reachability.PolicyConfig{
		Networks: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
	})
	for _, a := range []string{"10.1.2.3", "10.2.0.1", "127.0.0.1", "2002:7f00:1::1"} {
		fmt.Println(policy.Check(netip.MustParseAddr(a)))
	}
	// Output:
	// <nil>
	// reachability: blocked by target policy: 10.2.0.1: not in the allow list
	// reachability: blocked by target policy: 127.0.0.1: loopback
	// reachability: blocked by target policy: 2002:7f00:1::1: 6to4 wrapping 127.0.0.1 (loopback)
}

func ExampleParseHost() {
	for _, s := range []string{"PBX.example.com:8080", "[2001:db8::1]:80", "127.1"} {
		t, err := reachability.ParseHost(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t, t.IsLiteral())
	}
	// Output:
	// pbx.example.com:8080 false
	// [2001:db8::1]:80 true
	// reachability: invalid host: "127.1" is not a dotted-quad IPv4 address
}

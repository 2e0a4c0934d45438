package reachability

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// mustPolicy builds a policy or fails the test.
func mustPolicy(tb testing.TB, servers []string, cfg PolicyConfig) Policy {
	tb.Helper()
	p, err := NewPolicy(servers, cfg)
	if err != nil {
		tb.Fatalf("NewPolicy(%q, %+v) = %v", servers, cfg, err)
	}
	return p
}

func prefixes(tb testing.TB, ss ...string) []netip.Prefix {
	tb.Helper()
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestPolicyCheck(t *testing.T) {
	site := mustPolicy(t, []string{"ucm-pub.cluster.test", "10.20.30.40"}, PolicyConfig{
		Networks: prefixes(t, "10.1.2.0/24", "172.16.5.0/24", "2001:db9:1::/48",
			"fd12:3456::/32", "fd00::/8", "2002::/16", "10.1.2.255/32"),
	})
	lab := mustPolicy(t, nil, PolicyConfig{Lab: true,
		Networks: prefixes(t, "127.0.0.0/8", "198.18.0.0/30", "::1/128", "169.254.0.0/16")})
	var zero Policy

	tests := []struct {
		name   string
		policy Policy
		host   string // resolved name, "" for a literal
		addr   string
		allow  bool
	}{
		// the site policy: its servers and networks, nothing else
		{"server address allowed", site, "", "10.20.30.40", true},
		{"neighbour of server refused", site, "", "10.20.30.41", false},
		{"address in network allowed", site, "", "10.1.2.3", true},
		{"network address refused", site, "", "10.1.2.0", false},
		{"broadcast listed as /32 allowed", site, "", "10.1.2.255", true},
		{"other private address refused", site, "", "192.168.1.1", false},
		{"public address refused", site, "", "8.8.8.8", false},
		{"server name resolving anywhere allowed", site, "ucm-pub.cluster.test", "10.99.0.1", true},
		{"server name in other case allowed", site, "UCM-PUB.cluster.test", "10.99.0.1", true},
		{"other name refused", site, "phone.cluster.test", "10.99.0.1", false},
		{"server name resolving to loopback refused", site, "ucm-pub.cluster.test",
			"127.0.0.1", false},
		{"server name resolving to metadata refused", site, "ucm-pub.cluster.test",
			"169.254.169.254", false},
		{"IPv6 in network allowed", site, "", "2001:db9:1::5", true},
		{"ULA in network allowed", site, "", "fd12:3456::1", true},
		{"ULA outside network refused", site, "", "fc00::1", false},
		{"IPv6 metadata refused inside allowed ULA", site, "", "fd00:ec2::254", false},
		{"IPv4-mapped allowed address allowed", site, "", "::ffff:10.1.2.3", true},
		{"IPv4-mapped refused address refused", site, "", "::ffff:10.9.9.9", false},
		{"6to4 of allowed IPv4 in allowed 6to4 network allowed", site, "",
			"2002:a01:203::1", true},
		{"6to4 of loopback refused despite listing", site, "", "2002:7f00:1::1", false},
		{"6to4 of metadata refused", site, "", "2002:a9fe:a9fe::1", false},
		{"zero address refused", site, "", "", false},
		{"zoned address refused", site, "", "fe80::1%eth0", false},

		// always refused, listed or not, outside the lab
		{"loopback refused", site, "", "127.0.0.1", false},
		{"unspecified refused", site, "", "0.0.0.0", false},
		{"IPv6 unspecified refused", site, "", "::", false},
		{"IPv6 loopback refused", site, "", "::1", false},
		{"IPv4-compatible refused", site, "", "::7f00:1", false},
		{"NAT64 refused", site, "", "64:ff9b::7f00:1", false},
		{"local NAT64 refused", site, "", "64:ff9b:1::a01:203", false},
		{"Teredo refused", site, "", "2001:0:4136:e378:8000:63bf:3fff:fdd2", false},
		{"site-local refused", site, "", "fec0::1", false},
		{"IPv6 multicast refused", site, "", "ff02::1", false},
		{"IPv6 link-local refused", site, "", "fe80::1", false},
		{"IPv6 documentation refused", site, "", "2001:db8::1", false},
		{"reserved IPv6 refused", site, "", "4000::1", false},
		{"limited broadcast refused", site, "", "255.255.255.255", false},
		{"class E refused", site, "", "240.0.0.1", false},
		{"multicast refused", site, "", "224.0.0.1", false},
		{"shared space refused", site, "", "100.64.0.1", false},
		{"benchmarking refused", site, "", "198.18.0.1", false},

		// the lab: refused ranges only where listed
		{"lab loopback listed allowed", lab, "", "127.0.0.2", true},
		{"lab IPv6 loopback listed allowed", lab, "", "::1", true},
		{"lab mapped loopback listed allowed", lab, "", "::ffff:127.0.0.2", true},
		{"lab benchmarking host allowed", lab, "", "198.18.0.2", true},
		{"lab benchmarking broadcast refused", lab, "", "198.18.0.3", false},
		{"lab unlisted benchmarking refused", lab, "", "198.18.0.6", false},
		{"lab unlisted multicast refused", lab, "", "224.0.0.1", false},
		{"lab unlisted private refused", lab, "", "10.1.2.3", false},
		{"lab metadata listed allowed", lab, "", "169.254.169.254", true},

		// the zero policy refuses all
		{"zero policy refuses private", zero, "", "10.1.2.3", false},
		{"zero policy refuses public", zero, "", "8.8.8.8", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr netip.Addr
			if tt.addr != "" {
				addr = netip.MustParseAddr(tt.addr)
			}
			err := tt.policy.CheckName(tt.host, addr)
			if tt.allow && err != nil {
				t.Fatalf("CheckName(%q, %v) = %v, want allowed", tt.host, addr, err)
			}
			if !tt.allow && !errors.Is(err, ErrBlocked) {
				t.Fatalf("CheckName(%q, %v) = %v, want ErrBlocked", tt.host, addr, err)
			}
			if tt.host == "" && (tt.policy.Check(addr) == nil) != tt.allow {
				t.Errorf("Check(%v) disagrees with CheckName", addr)
			}
		})
	}
}

// The refused kinds hold for every address of the kind, and for every IPv6
// spelling that wraps one, even in a policy that lists 0.0.0.0/0 and ::/0.
func TestPolicyRefusesEveryAddressOfTheKind(t *testing.T) {
	all := mustPolicy(t, nil, PolicyConfig{Networks: prefixes(t, "0.0.0.0/0", "::/0")})
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []string{"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
		"192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"}

	for _, k := range kinds {
		kind := netip.MustParsePrefix(k)
		for range 200 {
			v4 := randomIn(rng, kind)
			b := v4.As4()
			wrapped := []string{
				v4.String(),
				"::ffff:" + v4.String(),
				fmt.Sprintf("::ffff:%02x%02x:%02x%02x", b[0], b[1], b[2], b[3]),
				"::" + v4.String(),
				"64:ff9b::" + v4.String(),
				"64:ff9b:1::" + v4.String(),
				fmt.Sprintf("2002:%02x%02x:%02x%02x::1", b[0], b[1], b[2], b[3]),
				fmt.Sprintf("2001:0:%02x%02x:%02x%02x::1", b[0], b[1], b[2], b[3]),
			}
			for _, s := range wrapped {
				if err := all.Check(netip.MustParseAddr(s)); !errors.Is(err, ErrBlocked) {
					t.Fatalf("Check(%s) = %v, want ErrBlocked (kind %s)", s, err, k)
				}
			}
		}
	}
	for _, k := range []string{"fe80::/10", "fec0::/10", "ff00::/8", "2001:db8::/32",
		"100::/64", "2001::/32", "::/96"} {
		kind := netip.MustParsePrefix(k)
		for range 200 {
			a := randomIn(rng, kind)
			if err := all.Check(a); !errors.Is(err, ErrBlocked) {
				t.Fatalf("Check(%v) = %v, want ErrBlocked (kind %s)", a, err, k)
			}
		}
	}
}

// randomIn returns a random address inside n.
func randomIn(rng *rand.Rand, n netip.Prefix) netip.Addr {
	b := n.Addr().AsSlice()
	for i := range b {
		bit := i * 8
		r := byte(rng.Uint32())
		switch {
		case bit+8 <= n.Bits():
		case bit >= n.Bits():
			b[i] = r
		default:
			keep := byte(0xff) << (8 - (n.Bits() - bit))
			b[i] = b[i]&keep | r&^keep
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestPolicyCheckPort(t *testing.T) {
	def := mustPolicy(t, nil, PolicyConfig{})
	some := mustPolicy(t, nil, PolicyConfig{Ports: []uint16{8443, 80}})
	anyPort := mustPolicy(t, nil, PolicyConfig{AnyPort: true})
	tests := []struct {
		name   string
		policy Policy
		port   uint16
		allow  bool
	}{
		{"default allows 80", def, 80, true},
		{"default allows 8443", def, 8443, true},
		{"default refuses ssh", def, 22, false},
		{"list allows listed", some, 8443, true},
		{"list refuses unlisted default", some, 8080, false},
		{"any allows high port", anyPort, 41234, true},
		{"any refuses 0", anyPort, 0, false},
		{"zero policy refuses 80", Policy{}, 80, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.CheckPort(tt.port)
			if (err == nil) != tt.allow || (err != nil && !errors.Is(err, ErrBlocked)) {
				t.Errorf("CheckPort(%d) = %v, want allowed=%v", tt.port, err, tt.allow)
			}
		})
	}
}

func TestNewPolicyRefusesBadEntries(t *testing.T) {
	tests := []struct {
		name    string
		servers []string
		cfg     PolicyConfig
	}{
		{"invalid server", []string{"ucm pub"}, PolicyConfig{}},
		{"server with port", []string{"ucm-pub:8443"}, PolicyConfig{}},
		{"loopback server outside lab", []string{"127.0.0.1"}, PolicyConfig{}},
		{"metadata server outside lab", []string{"169.254.169.254"}, PolicyConfig{}},
		{"6to4 loopback server outside lab", []string{"2002:7f00:1::1"}, PolicyConfig{}},
		{"zero prefix", nil, PolicyConfig{Networks: []netip.Prefix{{}}}},
		{"host bits set", nil, PolicyConfig{Networks: prefixes(t, "10.1.2.3/16")}},
		{"mapped network", nil, PolicyConfig{Networks: prefixes(t, "::ffff:10.0.0.0/104")}},
		{"loopback network outside lab", nil, PolicyConfig{Networks: prefixes(t, "127.0.0.0/8")}},
		{"part of loopback outside lab", nil,
			PolicyConfig{Networks: prefixes(t, "127.0.0.0/24")}},
		{"Teredo network outside lab", nil, PolicyConfig{Networks: prefixes(t, "2001::/32")}},
		{"port 0", nil, PolicyConfig{Ports: []uint16{80, 0}}},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			if _, err := NewPolicy(tt.servers, tt.cfg); !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("NewPolicy = %v, want ErrInvalidPolicy", err)
			}
		})
	}

	t.Run("lab accepts loopback network", func(t *testing.T) {
		mustPolicy(t, []string{"127.0.0.1"},
			PolicyConfig{Lab: true, Networks: prefixes(t, "127.0.0.0/8")})
	})
	t.Run("accepts wide network overlapping refused ranges", func(t *testing.T) {
		mustPolicy(t, nil, PolicyConfig{Networks: prefixes(t, "0.0.0.0/0")})
	})
}

package reachability

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// DefaultPorts returns the HTTP ports a [Policy] allows when its config
// names none: the web ports of a cluster node.
func DefaultPorts() []uint16 { return []uint16{80, 443, 8080, 8443} }

// PolicyConfig holds what an administrator adds to the cluster's servers.
// The zero value adds nothing.
type PolicyConfig struct {
	// Networks are allowed in addition to the servers. A network must be
	// in canonical form (10.1.0.0/16, not 10.1.2.3/16); IPv4 networks
	// are written as IPv4, never in an IPv4-mapped IPv6 form, since a
	// mapped address is judged as the IPv4 address it carries. The other
	// IPv6 forms that carry an IPv4 address (6to4 2002::/16, NAT64
	// 64:ff9b::/96 and 64:ff9b:1::/48, Teredo 2001::/32, IPv4-compatible
	// ::/96) may be listed like any IPv6 network (the last four only in a
	// lab policy, as always-refused ranges), but an address in them is
	// allowed only when the IPv4 address it carries is allowed as well.
	Networks []netip.Prefix

	// Hosts are DNS names and IP addresses allowed in addition to the
	// servers, in the same grammar; an error about one names it as an
	// allow-list entry rather than as a server.
	Hosts []string

	// Ports are the TCP ports the HTTP probe may connect to; nil means
	// [DefaultPorts]. AnyPort allows every port.
	Ports   []uint16
	AnyPort bool

	// Lab lets addresses that are otherwise always refused (loopback,
	// link-local, reserved, ...) through when they are also allowed by a
	// server or network. It is meant for test benches only.
	Lab bool
}

// Policy decides which addresses and ports may be probed. The zero value
// refuses everything. A Policy is immutable and safe for concurrent use;
// build one with [NewPolicy].
type Policy struct {
	networks []netip.Prefix
	names    []string // sorted, lower case
	ports    []uint16 // sorted; ignored when anyPort
	anyPort  bool
	lab      bool
}

// NewPolicy returns the policy that allows the cluster's servers and the
// networks in cfg, and nothing else. Each server is a DNS name or an IP
// address in the [ParseHost] grammar, without a port: an address allows
// itself, a name allows whatever it resolves to at probe time (still
// subject to the always-refused ranges).
//
// The error wraps [ErrInvalidPolicy] and names the first bad entry,
// including a server or network that lies wholly in an always-refused
// range while cfg.Lab is false, since such an entry could never be probed.
func NewPolicy(servers []string, cfg PolicyConfig) (Policy, error) {
	p := Policy{anyPort: cfg.AnyPort, lab: cfg.Lab}

	for _, s := range servers {
		if err := p.addHost(s); err != nil {
			return Policy{}, fmt.Errorf("%w: server %q: %w", ErrInvalidPolicy, s, err)
		}
	}
	for _, h := range cfg.Hosts {
		if err := p.addHost(h); err != nil {
			return Policy{}, fmt.Errorf("%w: allow-list entry %q: %w", ErrInvalidPolicy, h, err)
		}
	}
	for _, n := range cfg.Networks {
		if err := p.addNetwork(n); err != nil {
			return Policy{}, fmt.Errorf("%w: allow-list network %v: %w", ErrInvalidPolicy, n, err)
		}
	}

	p.ports = cfg.Ports
	if p.ports == nil {
		p.ports = DefaultPorts()
	}
	for _, port := range p.ports {
		if port == 0 {
			return Policy{}, fmt.Errorf("%w: port 0", ErrInvalidPolicy)
		}
	}
	p.ports = slices.Clone(p.ports)
	slices.Sort(p.ports)
	slices.Sort(p.names)
	p.names = slices.Compact(p.names)
	return p, nil
}

// addHost adds a server or allow-list entry: a name or an address.
func (p *Policy) addHost(s string) error {
	t, err := ParseHost(s)
	if err != nil {
		return err
	}
	if t.Port != 0 {
		return fmt.Errorf("an allowed host has no port")
	}
	if !t.IsLiteral() {
		p.names = append(p.names, t.Host)
		return nil
	}
	a := t.Addr.Unmap()
	return p.addNetwork(netip.PrefixFrom(a, a.BitLen()))
}

func (p *Policy) addNetwork(n netip.Prefix) error {
	switch {
	case !n.IsValid():
		return fmt.Errorf("not a valid network")
	case n.Addr().Zone() != "":
		return fmt.Errorf("zones are not allowed")
	case n.Addr().Is4In6():
		return fmt.Errorf("write IPv4 networks as IPv4")
	case n != n.Masked():
		return fmt.Errorf("host bits are set; did you mean %v?", n.Masked())
	}
	if r, ok := refusedContaining(n); ok && !p.lab {
		return fmt.Errorf("lies in %s, which only a lab policy may allow", r)
	}
	p.networks = append(p.networks, n)
	return nil
}

// Lab reports whether the policy was built with [PolicyConfig.Lab].
func (p Policy) Lab() bool { return p.lab }

// Check reports whether addr may be probed on the strength of the
// policy's networks and server addresses. A nil error allows it; otherwise
// the error wraps [ErrBlocked] and says why. An IPv4-mapped IPv6 address
// is judged as the IPv4 address it carries; an address of another IPv6
// form that carries one (6to4, NAT64, Teredo's server and client,
// IPv4-compatible) must be allowed and so must the IPv4 address.
func (p Policy) Check(addr netip.Addr) error {
	return p.check("", addr)
}

// CheckName is [Policy.Check] for an address that the DNS name name
// resolved to: an address is also allowed when name is one of the
// policy's servers. The always-refused ranges apply all the same, so a
// server name that resolves to a loopback address is still refused.
func (p Policy) CheckName(name string, addr netip.Addr) error {
	return p.check(name, addr)
}

// MayResolve reports whether resolving name could ever lead to an
// allowed address: false when the policy has no networks and no
// addresses and name is not one of its names. A [Prober] then refuses
// the name without sending a DNS query for it.
func (p Policy) MayResolve(name string) bool {
	if len(p.networks) > 0 {
		return true
	}
	_, ok := slices.BinarySearch(p.names, strings.ToLower(name))
	return ok
}

// CheckPort reports whether the HTTP probe may connect to port; the error
// wraps [ErrBlocked].
func (p Policy) CheckPort(port uint16) error {
	if p.anyPort && port != 0 {
		return nil
	}
	if _, ok := slices.BinarySearch(p.ports, port); ok && port != 0 {
		return nil
	}
	return fmt.Errorf("%w: port %d is not allowed", ErrBlocked, port)
}

func (p Policy) check(name string, addr netip.Addr) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: no address", ErrBlocked)
	}
	if addr.Zone() != "" {
		return fmt.Errorf("%w: %v: zoned addresses are not probed", ErrBlocked, addr)
	}
	addr = addr.Unmap()

	allowed := p.allowed(addr)
	if !allowed && name != "" {
		_, allowed = slices.BinarySearch(p.names, strings.ToLower(name))
	}
	if why := refusedReason(addr); why != "" && !(p.lab && allowed) {
		return fmt.Errorf("%w: %v: %s", ErrBlocked, addr, why)
	}
	if !allowed {
		return fmt.Errorf("%w: %v: not in the allow list", ErrBlocked, addr)
	}
	// An IPv6 form that carries an IPv4 address reaches that address (or
	// tells a relay to): the IPv4 address must be allowed on its own.
	for _, v4 := range embeddedIPv4(addr) {
		if !p.allowed(v4) {
			return fmt.Errorf("%w: %v: wraps %v, which is not in the allow list",
				ErrBlocked, addr, v4)
		}
	}
	return nil
}

var (
	ipv4Compatible = netip.MustParsePrefix("::/96")
	unspecOrLoop   = netip.MustParsePrefix("::/127") // not IPv4-compatible (RFC 4291)
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local     = netip.MustParsePrefix("64:ff9b:1::/48")
	teredo         = netip.MustParsePrefix("2001::/32")
)

// embeddedIPv4 returns the IPv4 addresses that an IPv6 address (already
// unmapped) carries: 6to4, IPv4-compatible, NAT64 and Teredo's server and
// client. A local-use NAT64 prefix may be any length from /48 to /96, so
// every position RFC 6052 allows for those lengths is returned.
func embeddedIPv4(addr netip.Addr) []netip.Addr {
	if !addr.Is6() {
		return nil
	}
	b := addr.As16()
	v4 := func(i, j, k, l int) netip.Addr {
		return netip.AddrFrom4([4]byte{b[i], b[j], b[k], b[l]})
	}
	switch {
	case sixToFour.Contains(addr):
		return []netip.Addr{v4(2, 3, 4, 5)}
	case ipv4Compatible.Contains(addr) && !unspecOrLoop.Contains(addr),
		nat64.Contains(addr):
		return []netip.Addr{v4(12, 13, 14, 15)}
	case nat64Local.Contains(addr):
		// Bits 64 to 71 (byte 8) are skipped by the embedding.
		return []netip.Addr{v4(6, 7, 9, 10), v4(7, 9, 10, 11), v4(9, 10, 11, 12),
			v4(12, 13, 14, 15)}
	case teredo.Contains(addr):
		// The client's address is stored with every bit inverted.
		c := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return []netip.Addr{v4(4, 5, 6, 7), c}
	}
	return nil
}

// allowed reports whether one of the networks holds addr. The lowest and
// highest address of an IPv4 network of /30 or wider are its network and
// broadcast addresses: an echo sent there is answered by other hosts, so
// they count as allowed only through a narrower entry.
func (p Policy) allowed(addr netip.Addr) bool {
	for _, n := range p.networks {
		if !n.Contains(addr) {
			continue
		}
		if !addr.Is4() || n.Bits() > 30 {
			return true
		}
		if addr != n.Addr() && addr != lastAddr(n) {
			return true
		}
	}
	return false
}

func lastAddr(n netip.Prefix) netip.Addr {
	b := n.Addr().As4()
	host := uint32(1)<<(32-n.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// refusedRange is a range that no policy allows unless it is a lab
// policy, with the reason shown to the administrator.
type refusedRange struct {
	prefix netip.Prefix
	why    string
}

// refusedRanges lists the always-refused ranges, most specific first, so
// that the first match gives the most useful reason. Sources: the IANA
// IPv4 and IPv6 Special-Purpose Address Registries. RFC 1918 and ULA
// space are not here: whether they are probed is the allow list's call.
var refusedRanges = func() []refusedRange {
	rows := []struct{ prefix, why string }{
		{"0.0.0.0/32", "unspecified"},
		{"0.0.0.0/8", `"this network" (reaches the local host)`},
		{"127.0.0.0/8", "loopback"},
		{"169.254.169.254/32", "link-local (cloud metadata)"},
		{"169.254.0.0/16", "link-local"},
		{"100.64.0.0/10", "shared address space (RFC 6598)"},
		{"192.0.0.0/24", "IETF protocol assignments"},
		{"192.0.2.0/24", "documentation (TEST-NET-1)"},
		{"198.51.100.0/24", "documentation (TEST-NET-2)"},
		{"203.0.113.0/24", "documentation (TEST-NET-3)"},
		{"198.18.0.0/15", "benchmarking"},
		{"192.88.99.0/24", "6to4 relay anycast"},
		{"224.0.0.0/4", "multicast"},
		{"255.255.255.255/32", "limited broadcast"},
		{"240.0.0.0/4", "reserved"},

		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"::/96", "IPv4-compatible (deprecated)"},
		{"64:ff9b::/96", "NAT64 (wraps IPv4)"},
		{"64:ff9b:1::/48", "local-use NAT64 (wraps IPv4)"},
		{"100::/64", "discard-only"},
		{"2001::/32", "Teredo (wraps IPv4)"},
		{"2001:2::/48", "benchmarking"},
		{"2001:10::/28", "ORCHID (deprecated)"},
		{"2001:20::/28", "ORCHIDv2"},
		{"2001:db8::/32", "documentation"},
		{"3fff::/20", "documentation"},
		{"5f00::/16", "SRv6 SIDs"},
		{"fd00:ec2::254/128", "cloud metadata (IPv6)"},
		{"fe80::/10", "link-local"},
		{"fec0::/10", "site-local (deprecated)"},
		{"ff00::/8", "multicast"},
	}
	out := make([]refusedRange, len(rows))
	for i, r := range rows {
		out[i] = refusedRange{netip.MustParsePrefix(r.prefix), r.why}
	}
	return out
}()

var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	uniqueLocal   = netip.MustParsePrefix("fc00::/7")
	sixToFour     = netip.MustParsePrefix("2002::/16")
)

// refusedReason returns why addr (already unmapped) is always refused, or
// "" when the allow list alone decides.
func refusedReason(addr netip.Addr) string {
	for _, r := range refusedRanges {
		if r.prefix.Contains(addr) {
			return r.why
		}
	}
	if !addr.Is6() {
		return ""
	}
	if sixToFour.Contains(addr) {
		// 2002:AABB:CCDD::/48 routes to the IPv4 host AA.BB.CC.DD.
		b := addr.As16()
		v4 := netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		if why := refusedReason(v4); why != "" {
			return fmt.Sprintf("6to4 wrapping %v (%s)", v4, why)
		}
		return ""
	}
	if !globalUnicast.Contains(addr) && !uniqueLocal.Contains(addr) {
		return "reserved IPv6 space"
	}
	return ""
}

// refusedContaining returns the reason of an always-refused range that
// holds all of n, if any.
func refusedContaining(n netip.Prefix) (string, bool) {
	if why := refusedReason(n.Addr()); why != "" && n.IsSingleIP() {
		return why, true
	}
	for _, r := range refusedRanges {
		if r.prefix.Bits() <= n.Bits() && r.prefix.Contains(n.Addr()) {
			return r.why, true
		}
	}
	return "", false
}

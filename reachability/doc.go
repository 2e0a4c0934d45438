// Package reachability answers whether a host is alive, for the portal's
// hostAlive route, without letting the people who ask turn the portal into
// a network scanner.
//
// A [Prober] takes a target in a strict grammar ([ParseHost]), resolves a
// name once under the probe's deadline, checks every resolved address
// against a [Policy], and then probes the one checked address two ways at
// once: an ICMP echo, and an HTTP GET of "/" that starts after a head start
// of a few milliseconds (so that a host answering ping gets no request).
// The first success cancels the other. Identical concurrent probes share
// one run, answers are cached for a few seconds, and the number of runs in
// flight is bounded.
//
// The [Policy] is an allow list: by default the cluster's configured
// servers and nothing else. Loopback, link-local (cloud metadata
// included), multicast, broadcast and the reserved ranges, and the IPv6
// forms that wrap them, are refused even when listed, unless the policy is
// a lab policy. An IPv6 address that carries an IPv4 address (6to4,
// NAT64, Teredo, IPv4-compatible) is probed only when that IPv4 address is
// allowed too, and the network and broadcast addresses of the host's own
// subnets ([Config.LocalPrefixes]) are never probed.
//
// A web handler needs only the verdict:
//
//	res := prober.Probe(r.Context(), r.PathValue("host"))
//	io.WriteString(w, strconv.FormatBool(res.Alive))
//
// and audits res.Target, res.Resolved, res.Reason and res.Err.
//
// # ICMP permissions
//
// ICMP uses an unprivileged datagram socket when the process's group is in
// the sysctl net.ipv4.ping_group_range (the kernel default "1 0" allows no
// group, not even root's), a raw socket when the process may open one (root
// or CAP_NET_RAW), and otherwise probes by HTTP only, which [New] reports
// with one warning. An explicit [ICMPUnprivileged] or [ICMPPrivileged] is
// tried once by [New]; a socket that cannot be opened is the same one
// warning, naming the mode, and HTTP only, rather than a refusal to start:
// the probe still answers for every web server.
//
// BUG(policy): the network and broadcast addresses of the IPv4 subnets
// configured on the host's own interfaces are refused, and so are the
// edges of each allowed network ([Policy.Check]); a directed broadcast
// address of a subnet that only another host (a router) knows, inside a
// wider allowed network, is not known and may be probed. Replies to ICMP
// are counted only from the probed address, so such a probe is not
// reported alive by other hosts.
//
// BUG(dns): a name is resolved even when it is not in the allow list,
// because it may resolve into an allowed network; the DNS query for a
// user-chosen name therefore does leave the host. A policy with no
// networks and no addresses refuses every name but its own without a
// query ([Policy.MayResolve]).
package reachability

import "errors"

// Errors wrapped by the errors of this package and by [Result.Err].
var (
	ErrInvalidHost   = errors.New("reachability: invalid host")
	ErrBlocked       = errors.New("reachability: blocked by target policy")
	ErrInvalidPolicy = errors.New("reachability: invalid policy")
	ErrInvalidConfig = errors.New("reachability: invalid config")
	ErrBusy          = errors.New("reachability: too many probes in flight")
	ErrNoReply       = errors.New("reachability: no echo reply")
	ErrResolve       = errors.New("reachability: resolve failed")
)

package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ucselfcare/portal/reachability"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/web"
)

// maxProbeTimeout keeps a probe well inside the server's write timeout, so
// that a slow probe still gets its answer written.
const maxProbeTimeout = 20 * time.Second

// probeOptions configure the hostAlive route's prober and target policy.
// The policy allows the cluster's servers, which the parameters hold (see
// selfcare.Service.Servers), and what Allow lists; with neither, nothing
// may be probed and every answer is false.
type probeOptions struct {
	// Allow lists, comma-separated, the networks (CIDR), addresses and host
	// names that may be probed besides the cluster's servers.
	Allow string
	// Ports lists the HTTP ports that may be probed, or "any"; empty means
	// reachability.DefaultPorts.
	Ports string
	// Lab lets loopback and the other always-refused ranges through when
	// they are allowed; for test benches only.
	Lab bool
	// Timeout is the deadline of one probe; zero means
	// reachability.DefaultTimeout, unless it came from the flag or the
	// environment, where it is refused like a negative one.
	Timeout time.Duration
	// ICMP is "auto" (also when empty), "unprivileged", "privileged" or
	// "off".
	ICMP string

	// envErr is a bad environment value, reported when the prober is built.
	envErr error
	// fromFlags is set by flags: a zero Timeout was then asked for.
	fromFlags bool
	// resolver replaces DNS; tests set it so that no test resolves a real
	// name.
	resolver reachability.Resolver
	// prober is what openServer built from the fields above.
	prober selfcare.HostProber
}

// flags registers the probe flags on fs, with defaults from the
// environment. -probe-lab has no environment variable: a lab policy must
// be asked for on the command line, never inherited.
func (o *probeOptions) flags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&o.Allow, "probe-allow", getenv("SELFCARE_PROBE_ALLOW"),
		"hostAlive: comma-separated networks (CIDR), addresses and host names that may be "+
			"probed besides the cluster servers (env SELFCARE_PROBE_ALLOW)")
	fs.StringVar(&o.Ports, "probe-ports", getenv("SELFCARE_PROBE_PORTS"),
		`hostAlive: comma-separated HTTP ports that may be probed, or "any" `+
			"(default 80,443,8080,8443; env SELFCARE_PROBE_PORTS)")
	fs.BoolVar(&o.Lab, "probe-lab", false,
		"hostAlive: let loopback, link-local and reserved addresses through when allowed; "+
			"test benches only")
	fs.StringVar(&o.ICMP, "probe-icmp", envOr(getenv, "SELFCARE_PROBE_ICMP", "auto"),
		"hostAlive: ICMP socket: auto, unprivileged, privileged or off (env SELFCARE_PROBE_ICMP)")

	o.fromFlags = true
	o.Timeout = reachability.DefaultTimeout
	if v := strings.TrimSpace(getenv("SELFCARE_PROBE_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			o.envErr = fmt.Errorf("SELFCARE_PROBE_TIMEOUT: %w", err)
		}
		o.Timeout = d
	}
	fs.DurationVar(&o.Timeout, "probe-timeout", o.Timeout,
		"hostAlive: deadline of one probe (env SELFCARE_PROBE_TIMEOUT)")
}

// policy returns the fixed part of the target policy. The cluster's
// servers come on top. Addresses and names of -probe-allow go in Hosts, so
// that an error names them as allow-list entries, not as servers.
func (o probeOptions) policy() (reachability.PolicyConfig, error) {
	cfg := reachability.PolicyConfig{Lab: o.Lab}
	for _, entry := range splitProbeList(o.Allow) {
		if !strings.Contains(entry, "/") {
			cfg.Hosts = append(cfg.Hosts, entry)
			continue
		}
		n, err := netip.ParsePrefix(entry)
		if err != nil {
			return cfg, fmt.Errorf("-probe-allow %q: %w", entry, err)
		}
		cfg.Networks = append(cfg.Networks, n)
	}
	switch ports := strings.TrimSpace(o.Ports); ports {
	case "":
	case "any":
		cfg.AnyPort = true
	default:
		cfg.Ports = []uint16{}
		for _, p := range splitProbeList(ports) {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil || n == 0 {
				return cfg, fmt.Errorf("-probe-ports %q: not a port", p)
			}
			cfg.Ports = append(cfg.Ports, uint16(n))
		}
	}
	return cfg, nil
}

func parseICMPMode(s string) (reachability.ICMPMode, error) {
	if strings.TrimSpace(s) == "" {
		return reachability.ICMPAuto, nil
	}
	for _, m := range []reachability.ICMPMode{reachability.ICMPAuto,
		reachability.ICMPUnprivileged, reachability.ICMPPrivileged, reachability.ICMPOff} {
		if strings.EqualFold(strings.TrimSpace(s), m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("-probe-icmp %q: want auto, unprivileged, privileged or off", s)
}

// build returns the hostAlive prober. The ICMP socket kind is settled
// here, once, so a missing permission is one warning at start.
func (o probeOptions) build(log *slog.Logger) (selfcare.HostProber, error) {
	if o.envErr != nil {
		return nil, o.envErr
	}
	if o.Timeout == 0 && !o.fromFlags {
		o.Timeout = reachability.DefaultTimeout
	}
	if o.Timeout <= 0 || o.Timeout > maxProbeTimeout {
		return nil, fmt.Errorf("-probe-timeout %v: want more than 0 and at most %v",
			o.Timeout, maxProbeTimeout)
	}
	mode, err := parseICMPMode(o.ICMP)
	if err != nil {
		return nil, err
	}
	policy, err := o.policy()
	if err != nil {
		return nil, err
	}

	switch {
	case policy.Lab:
		log.Warn("hostAlive: lab policy; loopback, link-local and reserved addresses " +
			"that are allowed are probed")
	case len(policy.Hosts) == 0 && len(policy.Networks) == 0:
		log.Info("hostAlive: only the cluster's servers may be probed, and while there are " +
			"none the route answers false; -probe-allow adds more")
	}
	p, err := web.NewReachabilityProber(nil, policy, reachability.Config{
		Timeout: o.Timeout, ICMP: mode, Resolver: o.resolver, Logger: log})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// splitProbeList splits a comma-separated flag value, dropping empty items.
func splitProbeList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

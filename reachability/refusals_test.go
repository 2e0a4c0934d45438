package reachability

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// localPrefixes is a LocalPrefixes that answers list and counts calls.
func localPrefixes(calls *atomic.Int64, list ...string) func() ([]netip.Prefix, error) {
	return func() ([]netip.Prefix, error) {
		calls.Add(1)
		var out []netip.Prefix
		for _, s := range list {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out, nil
	}
}

func TestProbeRefusesEdgesOfOwnSubnetsInsideWiderAllowList(t *testing.T) {
	pol := mustPolicy(t, nil, PolicyConfig{Networks: prefixes(t, "10.0.0.0/8")})
	var calls atomic.Int64
	r := newRig(t, pol, answering(time.Millisecond), nil, Config{CacheTTL: -1,
		LocalPrefixes: localPrefixes(&calls, "10.66.0.1/24", "10.77.0.5/31", "::1/128")})
	tests := []struct {
		name, target string
		wantBlocked  bool
	}{
		{"directed broadcast of own /24 is blocked", "10.66.0.255", true},
		{"network address of own /24 is blocked", "10.66.0.0", true},
		{"host of own /24 is probed", "10.66.0.7", false},
		{"both addresses of own /31 are probed", "10.77.0.4", false},
		{"edge of another host's subnet is probed", "10.99.0.255", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.pinger.pinged())
			res := r.prober.Probe(context.Background(), tt.target)
			blocked := res.Reason == ReasonBlocked
			if blocked != tt.wantBlocked || (blocked && !errors.Is(res.Err, ErrBlocked)) {
				t.Fatalf("Probe(%s) = %v (%v), want blocked %v", tt.target, res.Reason,
					res.Err, tt.wantBlocked)
			}
			if sent := len(r.pinger.pinged()) - before; blocked && sent != 0 {
				t.Errorf("%d pings sent to a refused address", sent)
			}
		})
	}
}

func TestProbeRefreshesOwnSubnetsAtMostEveryTTL(t *testing.T) {
	pol := mustPolicy(t, nil, PolicyConfig{Networks: prefixes(t, "10.0.0.0/8")})
	var calls atomic.Int64
	r := newRig(t, pol, answering(time.Millisecond), nil, Config{CacheTTL: -1,
		LocalPrefixes: localPrefixes(&calls, "10.66.0.1/24")})
	for i := range 5 {
		r.prober.Probe(context.Background(), netip.AddrFrom4([4]byte{10, 1, 1, byte(i + 1)}).String())
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d interface listings for 5 probes within the TTL, want 1", n)
	}
	r.clock.advance(LocalPrefixesTTL)
	r.prober.Probe(context.Background(), "10.1.1.9")
	if n := calls.Load(); n != 2 {
		t.Errorf("%d interface listings after the TTL, want 2", n)
	}
}

func TestInterfacePrefixesHasLoopback(t *testing.T) {
	ps, err := InterfacePrefixes()
	if err != nil {
		t.Skipf("no interface list here: %v", err)
	}
	for _, p := range ps {
		if p == netip.MustParsePrefix("127.0.0.0/8") {
			return
		}
	}
	t.Errorf("InterfacePrefixes() = %v, want the loopback subnet 127.0.0.0/8", ps)
}

func TestNewFallsBackToHTTPWhenExplicitICMPCannotOpen(t *testing.T) {
	for _, mode := range []ICMPMode{ICMPUnprivileged, ICMPPrivileged} {
		t.Run(mode.String()+" refused falls back with one warning", func(t *testing.T) {
			logs := &captureLog{}
			var tried []ICMPMode
			p, err := newProber(Policy{}, Config{ICMP: mode, Logger: slog.New(logs)},
				func(m ICMPMode) error {
					tried = append(tried, m)
					return errors.New("operation not permitted")
				})
			if err != nil {
				t.Fatal(err)
			}
			if p.ICMPMode() != ICMPOff || p.pinger != nil {
				t.Errorf("ICMPMode() = %v, pinger %v; want off and none", p.ICMPMode(), p.pinger)
			}
			if len(tried) != 1 || tried[0] != mode {
				t.Errorf("opened %v, want %v once", tried, mode)
			}
			warns := logs.at(slog.LevelWarn)
			if len(warns) != 1 || !strings.Contains(warns[0], mode.String()) {
				t.Errorf("warnings %q, want one naming %v", warns, mode)
			}
		})
		t.Run(mode.String()+" that opens is kept", func(t *testing.T) {
			logs := &captureLog{}
			p, err := newProber(Policy{}, Config{ICMP: mode, Logger: slog.New(logs)},
				func(ICMPMode) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if p.ICMPMode() != mode || p.pinger == nil || len(logs.at(slog.LevelWarn)) != 0 {
				t.Errorf("ICMPMode() = %v, warnings %q; want %v and none", p.ICMPMode(),
					logs.at(slog.LevelWarn), mode)
			}
		})
	}
}

// captureLog keeps the messages of the records it handles.
type captureLog struct {
	logCounter
	msgs []slog.Record
}

func (c *captureLog) Handle(ctx context.Context, r slog.Record) error {
	c.mu.Lock()
	c.msgs = append(c.msgs, r)
	c.mu.Unlock()
	return nil
}
func (c *captureLog) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *captureLog) WithGroup(string) slog.Handler      { return c }

func (c *captureLog) at(level slog.Level) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.msgs {
		if r.Level == level {
			out = append(out, r.Message)
		}
	}
	return out
}

func TestProbeRefusesNamesWithoutLookupWhenNothingCouldPass(t *testing.T) {
	tests := []struct {
		name       string
		servers    []string
		networks   []string
		target     string
		wantLookup bool
	}{
		{"empty policy refuses a name unresolved", nil, nil, "pbx.site.test", false},
		{"names-only policy refuses another name unresolved", []string{"ucm-pub.site.test"},
			nil, "pbx.site.test", false},
		{"names-only policy resolves its own name", []string{"ucm-pub.site.test"}, nil,
			"UCM-pub.site.test", true},
		{"policy with an address resolves any name", []string{"10.1.2.3"}, nil,
			"pbx.site.test", true},
		{"policy with a network resolves any name", nil, []string{"10.1.2.0/24"},
			"pbx.site.test", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := mustPolicy(t, tt.servers, PolicyConfig{Networks: prefixes(t, tt.networks...)})
			r := newRig(t, pol, answering(time.Millisecond), nil, Config{})
			res := r.prober.Probe(context.Background(), tt.target)
			n := r.resolver.count(strings.ToLower(tt.target))
			if got := n > 0; got != tt.wantLookup {
				t.Fatalf("%d lookups (result %v, %v), want lookup %v", n, res.Reason, res.Err,
					tt.wantLookup)
			}
			if !tt.wantLookup && (res.Reason != ReasonBlocked || !errors.Is(res.Err, ErrBlocked)) {
				t.Errorf("Probe = %v (%v), want blocked by policy", res.Reason, res.Err)
			}
		})
	}
}

func TestPolicyChecksTheIPv4AddressThatIPv6Wraps(t *testing.T) {
	wide := PolicyConfig{Networks: prefixes(t, "::/0", "10.1.0.0/16")}
	lab := PolicyConfig{Lab: true, Networks: prefixes(t, "::/0", "10.1.0.0/16")}
	tests := []struct {
		name    string
		cfg     PolicyConfig
		addr    string
		allowed bool
	}{
		{"6to4 of a non-allowed address is refused", wide, "2002:a42:102::1", false},
		{"6to4 of an allowed address is allowed", wide, "2002:a01:203::1", true},
		{"plain global IPv6 is allowed", wide, "2001:db9::1", true},
		{"NAT64 of a non-allowed address is refused in lab", lab, "64:ff9b::a42:102", false},
		{"NAT64 of an allowed address is allowed in lab", lab, "64:ff9b::a01:203", true},
		{"local NAT64 with an unknown embedding is refused in lab", lab,
			"64:ff9b:1:a42:1:200::", false},
		{"IPv4-compatible of a non-allowed address is refused in lab", lab, "::a42:102", false},
		{"IPv4-compatible of an allowed address is allowed in lab", lab, "::a01:203", true},
		{"Teredo with a non-allowed server is refused in lab", lab,
			"2001:0:a42:102::f5fe:fdfc", false},
		{"Teredo with a non-allowed client is refused in lab", lab,
			"2001:0:a01:203::f5bd:fdfc", false},
		{"Teredo with both allowed is allowed in lab", lab, "2001:0:a01:203::f5fe:fdfc", true},
		{"loopback ::1 is not read as IPv4-compatible in lab", lab, "::1", true},
		{"IPv4-mapped of a non-allowed address is refused", wide, "::ffff:10.66.1.2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustPolicy(t, nil, tt.cfg).Check(netip.MustParseAddr(tt.addr))
			if (err == nil) != tt.allowed || (err != nil && !errors.Is(err, ErrBlocked)) {
				t.Errorf("Check(%s) = %v, want allowed %v", tt.addr, err, tt.allowed)
			}
		})
	}
}

func TestNewPolicyNamesAllowListEntries(t *testing.T) {
	_, err := NewPolicy(nil, PolicyConfig{Hosts: []string{"169.254.169.254"}})
	if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(),
		`allow-list entry "169.254.169.254"`) || strings.Contains(err.Error(), "server") {
		t.Errorf("NewPolicy = %v, want an error naming the allow-list entry", err)
	}
	p, err := NewPolicy(nil, PolicyConfig{Hosts: []string{"10.1.2.3", "pbx.site.test"}})
	if err != nil || p.Check(netip.MustParseAddr("10.1.2.3")) != nil ||
		p.CheckName("PBX.site.test", netip.MustParseAddr("10.9.9.9")) != nil {
		t.Errorf("hosts of the allow list are not allowed: %v", err)
	}
}

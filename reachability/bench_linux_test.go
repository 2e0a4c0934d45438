//go:build linux

package reachability

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// echoTarget returns a host that answers ICMP echo requests but serves no
// HTTP, the policy that allows it, and the ICMP mode to use: a test host
// in a network namespace as root, else the loopback address under a lab
// policy. It skips when this machine cannot send ICMP at all.
func echoTarget(b *testing.B) (netip.Addr, Policy, ICMPMode) {
	b.Helper()
	if os.Geteuid() == 0 {
		h := newTestHost(b, false)
		return h.addr, h.labPolicy(b), realICMPMode(b)
	}
	mode := DetectICMPMode()
	if mode == ICMPOff {
		b.Skip("no ICMP socket: not root and outside net.ipv4.ping_group_range")
	}
	lo := netip.MustParseAddr("127.0.0.1")
	return lo, mustPolicy(b, nil, PolicyConfig{Lab: true,
		Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}), mode
}

// bareProBing pings addr once with pro-bing alone, set up as a careful
// caller would: a literal address, one echo, a timeout, no history.
func bareProBing(b *testing.B, addr netip.Addr, mode ICMPMode) {
	pg := probing.New(addr.String())
	pg.SetIPAddr(&net.IPAddr{IP: addr.AsSlice()})
	pg.SetPrivileged(mode == ICMPPrivileged)
	pg.SetLogger(probing.NoopLogger{})
	pg.Count = 1
	pg.Timeout = DefaultTimeout
	pg.RecordRtts = false
	pg.RecordTTLs = false
	if err := pg.Run(); err != nil || pg.Statistics().PacketsRecv != 1 {
		b.Fatalf("bare ping of %v: %v, %d replies", addr, err, pg.Statistics().PacketsRecv)
	}
}

// bareProBingFirstReply is [bareProBing] returning at the first reply, as
// the prober's pinger does, instead of when Run has wound down (Run waits
// for its receive loop's next poll, which by then is up to a millisecond
// away).
func bareProBingFirstReply(b *testing.B, addr netip.Addr, mode ICMPMode) {
	pg := probing.New(addr.String())
	pg.SetIPAddr(&net.IPAddr{IP: addr.AsSlice()})
	pg.SetPrivileged(mode == ICMPPrivileged)
	pg.SetLogger(probing.NoopLogger{})
	pg.Count = 1
	pg.Timeout = DefaultTimeout
	pg.RecordRtts = false
	pg.RecordTTLs = false
	got := make(chan struct{}, 1)
	pg.OnRecv = func(*probing.Packet) { got <- struct{}{} }
	done := make(chan error, 1)
	go func() { done <- pg.Run() }()
	select {
	case <-got:
	case err := <-done:
		select {
		case <-got:
		default:
			b.Fatalf("bare ping of %v: %v, no reply", addr, err)
		}
	}
}

// echoProber is a prober for repeated probes of one host: no cache, so
// that every probe goes on the wire.
func echoProber(b *testing.B, policy Policy, mode ICMPMode, httpDelay time.Duration) *Prober {
	b.Helper()
	return mustProber(b, policy, Config{ICMP: mode, CacheTTL: -1, HTTPDelay: httpDelay})
}

func probeICMP(b *testing.B, p *Prober, addr netip.Addr) {
	res := p.Probe(context.Background(), addr.String())
	if !res.Alive || res.Method != MethodICMP {
		b.Fatalf("Probe(%v) = %+v, want alive by icmp", addr, res)
	}
}

// httpStarts are the two ways the HTTP probe may start: after the default
// head start of ICMP, or at once, racing ICMP from the first instant.
var httpStarts = []struct {
	name  string
	delay time.Duration
}{{"head-start", 0}, {"simultaneous", -1}}

func BenchmarkProbeICMP(b *testing.B) {
	addr, policy, mode := echoTarget(b)
	for _, hs := range httpStarts {
		b.Run(hs.name, func(b *testing.B) {
			p := echoProber(b, policy, mode, hs.delay)
			b.ReportAllocs()
			for b.Loop() {
				probeICMP(b, p, addr)
			}
		})
	}
}

func BenchmarkBareProBing(b *testing.B) {
	addr, _, mode := echoTarget(b)
	b.Run("run-to-end", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bareProBing(b, addr, mode)
		}
	})
	b.Run("first-reply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bareProBingFirstReply(b, addr, mode)
		}
	})
}

// BenchmarkProbeVsBareProBing alternates a probe and bare pro-bing pings of
// the same host, so that all see the machine in the same state, and
// reports the ratio of their latencies (the target is at most 1.2): to a
// ping run to its end, and to one that returns at the first reply.
func BenchmarkProbeVsBareProBing(b *testing.B) {
	addr, policy, mode := echoTarget(b)
	for _, hs := range httpStarts {
		b.Run(hs.name, func(b *testing.B) {
			p := echoProber(b, policy, mode, hs.delay)
			var probe, bare, first time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				probeICMP(b, p, addr)
				t1 := time.Now()
				bareProBing(b, addr, mode)
				t2 := time.Now()
				bareProBingFirstReply(b, addr, mode)
				probe += t1.Sub(t0)
				bare += t2.Sub(t1)
				first += time.Since(t2)
				n++
			}
			b.ReportMetric(float64(probe.Nanoseconds())/float64(n), "probe-ns/op")
			b.ReportMetric(float64(bare.Nanoseconds())/float64(n), "bare-ns/op")
			b.ReportMetric(float64(first.Nanoseconds())/float64(n), "bare-first-ns/op")
			b.ReportMetric(float64(probe)/float64(bare), "probe/bare")
			b.ReportMetric(float64(probe)/float64(first), "probe/bare-first")
		})
	}
}

// BenchmarkConcurrent1000 sends 1,000 concurrent probes of one host per
// operation through a fresh prober, and reports the ICMP probes and HTTP
// requests that reached the wire per operation (the target is 1 and 1).
// As root the host is a namespace that ignores echo requests and serves
// HTTP, so both probes are sent and HTTP decides; otherwise it is a
// loopback HTTP server, where an ICMP answer may win before the HTTP
// request is written.
func BenchmarkConcurrent1000(b *testing.B) {
	var (
		policy   Policy
		pinger   Pinger
		target   string
		requests *atomic.Int64
	)
	if os.Geteuid() == 0 {
		h := newTestHost(b, true)
		requests = h.serveCounting(b, 8080)
		policy, pinger = h.labPolicy(b), realPinger(b)
		target = netip.AddrPortFrom(h.addr, 8080).String()
	} else {
		srv := newCountingServer(b, "127.0.0.3", ok)
		requests = &srv.requests
		policy = mustPolicy(b, nil, PolicyConfig{Lab: true, AnyPort: true,
			Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		target = srv.addrPort().String()
		if mode := DetectICMPMode(); mode != ICMPOff {
			pinger = newProBing(mode, DefaultPingCount, DefaultTimeout,
				slog.New(slog.DiscardHandler))
		}
	}

	var icmpRuns, httpRuns, rounds int64
	b.ReportAllocs()
	for b.Loop() {
		i, h, results := coalescedRound(b, policy, pinger, target, requests)
		for _, res := range results {
			if !res.Alive {
				b.Fatalf("a caller got %+v, want alive", res)
			}
		}
		icmpRuns += i
		httpRuns += h
		rounds++
	}
	b.ReportMetric(float64(icmpRuns)/float64(rounds), "icmp-probes/op")
	b.ReportMetric(float64(httpRuns)/float64(rounds), "http-requests/op")
}

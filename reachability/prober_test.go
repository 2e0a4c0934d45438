package reachability

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sitePolicy allows one server name, one server address and one network;
// the fakes make sure that nothing is ever sent to any of them.
func sitePolicy(tb testing.TB, cfg PolicyConfig) Policy {
	tb.Helper()
	cfg.Networks = append(cfg.Networks, netip.MustParsePrefix("10.1.2.0/24"))
	return mustPolicy(tb, []string{"ucm-pub.site.test", "10.20.30.40"}, cfg)
}

func siteResolver() *fakeResolver {
	return newFakeResolver(map[string][]string{
		"pbx.site.test":     {"10.1.2.3"},
		"ucm-pub.site.test": {"10.99.0.7"},
		"dual.site.test":    {"2001:db9::5", "10.1.2.8"},
		"rebind.site.test":  {"10.1.2.3", "127.0.0.1"},
		"rebind2.site.test": {"127.0.0.1", "10.1.2.3"},
		"mapped.site.test":  {"10.1.2.3", "::ffff:127.0.0.1"},
		"other.site.test":   {"10.1.2.3", "192.168.7.7"},
		"localhost":         {"127.0.0.1", "::1"},
	})
}

// rig is a prober wired to fakes.
type rig struct {
	resolver *fakeResolver
	pinger   *fakePinger
	dialer   *fakeDialer
	server   *countingServer // nil when the dialer refuses
	clock    *fakeClock
	logs     *logCounter
	prober   *Prober
}

// newRig builds a prober whose pinger behaves as ping tells and whose HTTP
// probe reaches a loopback server running handle, or is refused when handle
// is nil. cfg fills in the rest.
func newRig(tb testing.TB, policy Policy,
	ping func(context.Context, netip.Addr) (time.Duration, error),
	handle http.HandlerFunc, cfg Config) *rig {
	tb.Helper()
	r := &rig{
		resolver: siteResolver(),
		pinger:   &fakePinger{behave: ping},
		dialer:   &fakeDialer{},
		clock:    &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
		logs:     &logCounter{},
	}
	if handle != nil {
		r.server = newCountingServer(tb, "127.0.0.1", handle)
		r.dialer.to = r.server.Listener.Addr().String()
	}
	cfg.Resolver, cfg.Pinger, cfg.Dialer = r.resolver, r.pinger, r.dialer
	cfg.Now = r.clock.Now
	cfg.Logger = slog.New(r.logs)
	r.prober = mustProber(tb, policy, cfg)
	return r
}

func (r *rig) requests() int64 {
	if r.server == nil {
		return 0
	}
	return r.server.requests.Load()
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

// hang blocks until the client goes away, and reports that on gone.
func hang(gone chan<- struct{}) http.HandlerFunc {
	return func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		select {
		case gone <- struct{}{}:
		default:
		}
	}
}

// eventually polls cond for up to two seconds.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Fatalf("%s did not happen within 2s", what)
}

var cmpResult = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) }),
}

func TestProbeICMPWinsAndCancelsHTTP(t *testing.T) {
	gone := make(chan struct{}, 1)
	var r *rig
	// The echo answers once the HTTP request is on its way, so that there
	// is a request to abandon.
	afterRequest := func(ctx context.Context, _ netip.Addr) (time.Duration, error) {
		for r.requests() == 0 {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
		return 700 * time.Microsecond, nil
	}
	r = newRig(t, sitePolicy(t, PolicyConfig{}), afterRequest, hang(gone),
		Config{Timeout: 10 * time.Second})

	res := r.prober.Probe(context.Background(), "pbx.site.test")

	want := Result{Target: "pbx.site.test", Alive: true, Reason: ReasonAlive, Method: MethodICMP,
		Addr: netip.MustParseAddr("10.1.2.3"), Resolved: []netip.Addr{netip.MustParseAddr("10.1.2.3")},
		RTT: 700 * time.Microsecond}
	if diff := cmp.Diff(want, res, cmpResult); diff != "" {
		t.Errorf("Probe (-want +got):\n%s", diff)
	}
	// The losing HTTP request must be abandoned, not left to the deadline.
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Error("the HTTP request was not cancelled after ICMP answered")
	}
}

func TestProbeHTTPWinsAndCancelsICMP(t *testing.T) {
	r := newRig(t, sitePolicy(t, PolicyConfig{}), silent, ok, Config{Timeout: 10 * time.Second})

	res := r.prober.Probe(context.Background(), "10.1.2.3")

	if !res.Alive || res.Method != MethodHTTP || res.Reason != ReasonAlive || res.Err != nil {
		t.Fatalf("Probe = %+v, want alive by http", res)
	}
	eventually(t, "the ICMP probe's cancellation",
		func() bool { return r.pinger.cancelled.Load() == 1 })
}

func TestProbeAnyHTTPResponseIsAlive(t *testing.T) {
	elsewhere := newCountingServer(t, "127.0.0.1", ok)
	tests := []struct {
		name   string
		handle http.HandlerFunc
	}{
		{"alive on 200", ok},
		{"alive on 404", http.NotFound},
		{"alive on 500", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}},
		{"alive on 401", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}},
		{"alive on redirect, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/admin", http.StatusFound)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, sitePolicy(t, PolicyConfig{}), failing, tt.handle, Config{})
			res := r.prober.Probe(context.Background(), "pbx.site.test")
			if !res.Alive || res.Method != MethodHTTP {
				t.Fatalf("Probe = %+v, want alive by http", res)
			}
		})
	}
	if n := elsewhere.requests.Load(); n != 0 {
		t.Errorf("the redirect was followed: %d requests", n)
	}
}

func TestProbeUsesOriginalHostAndCheckedAddress(t *testing.T) {
	r := newRig(t, sitePolicy(t, PolicyConfig{}), silent, ok, Config{})

	res := r.prober.Probe(context.Background(), "PBX.site.test:8080")

	if !res.Alive || res.Target != "pbx.site.test:8080" {
		t.Fatalf("Probe = %+v, want alive pbx.site.test:8080", res)
	}
	if diff := cmp.Diff([]string{"pbx.site.test:8080"}, r.server.hosts); diff != "" {
		t.Errorf("Host headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.1.2.3:8080"}, r.dialer.dialed()); diff != "" {
		t.Errorf("dialed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]netip.Addr{netip.MustParseAddr("10.1.2.3")}, r.pinger.pinged(),
		cmpResult); diff != "" {
		t.Errorf("pinged (-want +got):\n%s", diff)
	}
}

func TestProbePrefersIPv4(t *testing.T) {
	policy := sitePolicy(t, PolicyConfig{Networks: prefixes(t, "2001:db9::/32")})
	r := newRig(t, policy, answering(time.Millisecond), nil, Config{})

	res := r.prober.Probe(context.Background(), "dual.site.test")

	if res.Addr != netip.MustParseAddr("10.1.2.8") || len(res.Resolved) != 2 {
		t.Errorf("Probe = %+v, want 10.1.2.8 probed out of two addresses", res)
	}
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func TestProbeReadsAtMostAFewKiB(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	r := newRig(t, sitePolicy(t, PolicyConfig{}), silent,
		func(w http.ResponseWriter, _ *http.Request) {
			for range 8 {
				if _, err := io.WriteString(w, big); err != nil {
					return
				}
			}
		}, Config{})
	var read atomic.Int64
	r.dialer.wrap = func(c net.Conn) net.Conn { return countingConn{c, &read} }

	res := r.prober.Probe(context.Background(), "pbx.site.test")

	if !res.Alive {
		t.Fatalf("Probe = %+v, want alive", res)
	}
	if n := read.Load(); n > 16<<10 {
		t.Errorf("read %d bytes of an 8 MiB response, want at most 16 KiB", n)
	}
}

func TestProbeBothFailFastIsUnreachable(t *testing.T) {
	r := newRig(t, sitePolicy(t, PolicyConfig{}), failing, nil, Config{Timeout: time.Minute})

	start := time.Now()
	res := r.prober.Probe(context.Background(), "pbx.site.test")

	if res.Alive || res.Reason != ReasonUnreachable || res.Err == nil {
		t.Fatalf("Probe = %+v, want unreachable with an error", res)
	}
	if time.Since(start) > 30*time.Second {
		t.Error("Probe waited for the deadline although both probes had failed")
	}
}

func TestProbeSilentHostTimesOut(t *testing.T) {
	gone := make(chan struct{}, 1)
	const deadline = 200 * time.Millisecond
	r := newRig(t, sitePolicy(t, PolicyConfig{}), silent, hang(gone), Config{Timeout: deadline})

	start := time.Now()
	res := r.prober.Probe(context.Background(), "pbx.site.test")
	elapsed := time.Since(start)

	if res.Alive || res.Reason != ReasonTimeout || !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Fatalf("Probe = %+v, want timeout", res)
	}
	if elapsed < deadline {
		t.Errorf("answered after %v, before the %v deadline", elapsed, deadline)
	}
}

func TestProbeRefusesWithoutTraffic(t *testing.T) {
	tests := []struct {
		name, host string
		want       Reason
	}{
		{"invalid host", "user@10.1.2.3", ReasonInvalid},
		{"unlisted literal", "10.9.9.9", ReasonBlocked},
		{"loopback literal", "127.0.0.1", ReasonBlocked},
		{"mapped loopback literal", "[::ffff:127.0.0.1]:80", ReasonBlocked},
		{"port not allowed", "10.1.2.3:22", ReasonBlocked},
		{"port not allowed on a name", "pbx.site.test:22", ReasonBlocked},
		{"name resolving to loopback", "localhost", ReasonBlocked},
		{"allowed then loopback answer", "rebind.site.test", ReasonBlocked},
		{"loopback then allowed answer", "rebind2.site.test", ReasonBlocked},
		{"allowed then mapped loopback", "mapped.site.test", ReasonBlocked},
		{"allowed then unlisted answer", "other.site.test", ReasonBlocked},
		{"unknown name", "nowhere.site.test", ReasonResolveFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is "+tt.want.String(), func(t *testing.T) {
			r := newRig(t, sitePolicy(t, PolicyConfig{}), answering(time.Millisecond), ok, Config{})

			res := r.prober.Probe(context.Background(), tt.host)

			if res.Alive || res.Reason != tt.want || res.Err == nil {
				t.Fatalf("Probe(%q) = %+v, want %v", tt.host, res, tt.want)
			}
			if n, d := r.pinger.runs.Load(), r.dialer.dialed(); n != 0 || len(d) != 0 {
				t.Errorf("Probe(%q) sent %d pings and dialed %q, want none", tt.host, n, d)
			}
		})
	}
}

// A name that answers an allowed address on one lookup and loopback on the
// next must be probed only at the address its one lookup gave.
func TestProbeResolvesOnce(t *testing.T) {
	r := newRig(t, sitePolicy(t, PolicyConfig{}), silent, ok, Config{})
	r.resolver.add("flip.site.test", "10.1.2.4")
	r.resolver.add("flip.site.test", "127.0.0.1")

	first := r.prober.Probe(context.Background(), "flip.site.test")

	if !first.Alive || first.Addr != netip.MustParseAddr("10.1.2.4") {
		t.Fatalf("first Probe = %+v, want alive at 10.1.2.4", first)
	}
	if n := r.resolver.count("flip.site.test"); n != 1 {
		t.Errorf("resolved %d times, want once", n)
	}
	if diff := cmp.Diff([]string{"10.1.2.4:80"}, r.dialer.dialed()); diff != "" {
		t.Errorf("dialed (-want +got):\n%s", diff)
	}

	// Once the answer expires, the next lookup's loopback is refused.
	r.clock.advance(DefaultCacheTTL)
	second := r.prober.Probe(context.Background(), "flip.site.test")

	if second.Alive || second.Reason != ReasonBlocked {
		t.Fatalf("second Probe = %+v, want blocked", second)
	}
	for _, a := range r.pinger.pinged() {
		if a != netip.MustParseAddr("10.1.2.4") {
			t.Errorf("pinged %v", a)
		}
	}
	if d := r.dialer.dialed(); len(d) != 1 {
		t.Errorf("dialed %q, want only the first probe's dial", d)
	}
}

func TestProbeResolvesUnderTheDeadline(t *testing.T) {
	const deadline = 150 * time.Millisecond
	r := newRig(t, sitePolicy(t, PolicyConfig{}), answering(time.Millisecond), ok,
		Config{Timeout: deadline})
	r.resolver.hang = true

	start := time.Now()
	res := r.prober.Probe(context.Background(), "pbx.site.test")

	if res.Alive || res.Reason != ReasonTimeout || !errors.Is(res.Err, ErrResolve) {
		t.Fatalf("Probe = %+v, want a resolve timeout", res)
	}
	if time.Since(start) < deadline {
		t.Error("the resolver was not given the deadline")
	}
	if r.pinger.runs.Load() != 0 || r.requests() != 0 {
		t.Error("probed although resolution failed")
	}
}

func TestProbeCoalescesConcurrentCallers(t *testing.T) {
	const callers = 1000
	var started atomic.Int64
	// The HTTP answer waits until every caller has set off, so that they
	// meet while the one run is in flight.
	r := newRig(t, sitePolicy(t, PolicyConfig{}), silent,
		func(w http.ResponseWriter, _ *http.Request) {
			for deadline := time.Now().Add(5 * time.Second); started.Load() < callers &&
				time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			ok(w, nil)
		}, Config{Timeout: 10 * time.Second})

	results := make([]Result, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			started.Add(1)
			results[i] = r.prober.Probe(context.Background(), "pbx.site.test")
		})
	}
	wg.Wait()

	if n := r.pinger.runs.Load(); n != 1 {
		t.Errorf("pinger ran %d times, want 1", n)
	}
	if n := r.requests(); n != 1 {
		t.Errorf("HTTP server got %d requests, want 1", n)
	}
	if n := r.resolver.count("pbx.site.test"); n != 1 {
		t.Errorf("resolved %d times, want 1", n)
	}
	var shared, cached int
	for _, res := range results {
		if !res.Alive || res.Method != MethodHTTP {
			t.Fatalf("a caller got %+v, want alive by http", res)
		}
		if res.Shared {
			shared++
		}
		if res.Cached {
			cached++
		}
	}
	if shared < 2 || shared+cached != callers {
		t.Errorf("%d shared and %d cached answers, want every caller served by the one run",
			shared, cached)
	}
}

// A caller that missed the cache an instant before the previous run stored
// its answer starts a flight of its own; that flight must use the answer.
func TestFlightRechecksTheCache(t *testing.T) {
	r := newRig(t, sitePolicy(t, PolicyConfig{}), answering(time.Millisecond), nil, Config{})
	target, _ := ParseHost("10.1.2.3")
	r.prober.Probe(context.Background(), "10.1.2.3")

	res := r.prober.flight(context.Background(), target.String(), target)

	if !res.Alive || !res.Cached {
		t.Errorf("flight = %+v, want the cached answer", res)
	}
	if n := r.pinger.runs.Load(); n != 1 {
		t.Errorf("pinger ran %d times, want 1", n)
	}
}

func TestProbeCachesBothAnswers(t *testing.T) {
	t.Run("alive is cached until it expires", func(t *testing.T) {
		r := newRig(t, sitePolicy(t, PolicyConfig{}), answering(time.Millisecond), nil, Config{})
		ctx := context.Background()

		first := r.prober.Probe(ctx, "pbx.site.test")
		r.clock.advance(DefaultCacheTTL - time.Millisecond)
		second := r.prober.Probe(ctx, "pbx.site.test")

		if !first.Alive || first.Cached || !second.Alive || !second.Cached {
			t.Fatalf("first %+v, second %+v; want a live answer then a cached one", first, second)
		}
		if n := r.pinger.runs.Load(); n != 1 {
			t.Fatalf("pinger ran %d times, want 1", n)
		}
		r.clock.advance(time.Millisecond)
		if third := r.prober.Probe(ctx, "pbx.site.test"); third.Cached {
			t.Errorf("third %+v came from an expired cache entry", third)
		}
		if n := r.pinger.runs.Load(); n != 2 {
			t.Errorf("pinger ran %d times, want 2", n)
		}
	})
	t.Run("not alive is cached too", func(t *testing.T) {
		r := newRig(t, sitePolicy(t, PolicyConfig{}), silent, nil,
			Config{Timeout: 50 * time.Millisecond})

		first := r.prober.Probe(context.Background(), "10.1.2.3")
		second := r.prober.Probe(context.Background(), "10.1.2.3")

		if first.Reason != ReasonTimeout || !second.Cached || second.Reason != ReasonTimeout {
			t.Fatalf("first %+v, second %+v; want a timeout then a cached one", first, second)
		}
		if n := r.pinger.runs.Load(); n != 1 {
			t.Errorf("pinger ran %d times, want 1", n)
		}
	})
	t.Run("negative TTL disables the cache", func(t *testing.T) {
		r := newRig(t, sitePolicy(t, PolicyConfig{}), answering(time.Millisecond), nil,
			Config{CacheTTL: -1})
		for range 3 {
			if res := r.prober.Probe(context.Background(), "10.1.2.3"); res.Cached {
				t.Fatalf("Probe = %+v from a disabled cache", res)
			}
		}
		if n := r.pinger.runs.Load(); n != 3 {
			t.Errorf("pinger ran %d times, want 3", n)
		}
	})
	t.Run("a full cache keeps working", func(t *testing.T) {
		r := newRig(t, sitePolicy(t, PolicyConfig{}), answering(time.Millisecond), nil,
			Config{CacheSize: 2})
		for _, h := range []string{"10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.5"} {
			r.prober.Probe(context.Background(), h)
		}
		if n := r.pinger.runs.Load(); n != 3 {
			t.Errorf("pinger ran %d times, want 3", n)
		}
		if n := len(r.prober.cache.m); n > 2 {
			t.Errorf("cache holds %d entries, want at most 2", n)
		}
	})
}

func TestProbeBoundsRunsInFlight(t *testing.T) {
	release := make(chan struct{})
	gated := func(ctx context.Context, _ netip.Addr) (time.Duration, error) {
		select {
		case <-release:
			return time.Millisecond, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	r := newRig(t, sitePolicy(t, PolicyConfig{}), gated, nil,
		Config{MaxInFlight: 2, Timeout: 10 * time.Second})

	var wg sync.WaitGroup
	for _, h := range []string{"10.1.2.3", "10.1.2.4"} {
		wg.Go(func() { r.prober.Probe(context.Background(), h) })
	}
	eventually(t, "two runs in flight", func() bool { return r.pinger.runs.Load() == 2 })

	busy := r.prober.Probe(context.Background(), "10.1.2.5")
	if busy.Alive || busy.Reason != ReasonBusy || !errors.Is(busy.Err, ErrBusy) {
		t.Fatalf("third Probe = %+v, want busy", busy)
	}
	if n := r.pinger.runs.Load(); n != 2 {
		t.Errorf("busy probe ran the pinger: %d runs", n)
	}

	close(release)
	wg.Wait()
	eventually(t, "a free slot", func() bool {
		return r.prober.Probe(context.Background(), "10.1.2.5").Alive
	})
}

func TestProbeCallerLeavingDoesNotFailOthers(t *testing.T) {
	leave := make(chan struct{})
	r := newRig(t, sitePolicy(t, PolicyConfig{}), silent,
		func(w http.ResponseWriter, _ *http.Request) {
			<-leave
			ok(w, nil)
		}, Config{Timeout: 10 * time.Second})

	ctxA, cancelA := context.WithCancel(context.Background())
	gotA := make(chan Result, 1)
	go func() { gotA <- r.prober.Probe(ctxA, "pbx.site.test") }()
	eventually(t, "the shared run's HTTP request", func() bool { return r.requests() == 1 })
	gotB := make(chan Result, 1)
	go func() { gotB <- r.prober.Probe(context.Background(), "pbx.site.test") }()
	time.Sleep(20 * time.Millisecond) // let B join the flight

	cancelA()
	a := <-gotA
	close(leave)
	b := <-gotB

	if a.Alive || a.Reason != ReasonTimeout || !errors.Is(a.Err, context.Canceled) {
		t.Errorf("A = %+v, want its own cancellation", a)
	}
	if !b.Alive || !b.Shared {
		t.Errorf("B = %+v, want alive from the shared run", b)
	}
	if n := r.requests(); n != 1 {
		t.Errorf("%d HTTP requests, want the one shared run", n)
	}
}

func TestProbeHTTPHeadStart(t *testing.T) {
	policy := sitePolicy(t, PolicyConfig{})
	t.Run("an echo within the head start spares HTTP", func(t *testing.T) {
		r := newRig(t, policy, answering(time.Millisecond), ok, Config{HTTPDelay: time.Hour})
		res := r.prober.Probe(context.Background(), "10.1.2.3")
		if !res.Alive || res.Method != MethodICMP {
			t.Fatalf("Probe = %+v, want alive by icmp", res)
		}
		time.Sleep(20 * time.Millisecond)
		if d := r.dialer.dialed(); len(d) != 0 {
			t.Errorf("dialed %q, want no HTTP probe", d)
		}
	})
	t.Run("a failed echo starts HTTP at once", func(t *testing.T) {
		r := newRig(t, policy, failing, ok, Config{HTTPDelay: time.Hour, Timeout: time.Minute})
		res := r.prober.Probe(context.Background(), "10.1.2.3")
		if !res.Alive || res.Method != MethodHTTP {
			t.Fatalf("Probe = %+v, want alive by http", res)
		}
	})
	t.Run("ICMP off starts HTTP at once", func(t *testing.T) {
		srv := newCountingServer(t, "127.0.0.1", ok)
		p := mustProber(t, policy, Config{ICMP: ICMPOff, HTTPDelay: time.Hour,
			Timeout: time.Minute, Dialer: &fakeDialer{to: srv.Listener.Addr().String()}})
		if res := p.Probe(context.Background(), "10.1.2.3"); !res.Alive {
			t.Fatalf("Probe = %+v, want alive by http", res)
		}
	})
}

func TestProbeSkipsHTTPOnRefusedDefaultPort(t *testing.T) {
	policy := sitePolicy(t, PolicyConfig{Ports: []uint16{8443}})
	r := newRig(t, policy, answering(time.Millisecond), ok, Config{})

	res := r.prober.Probe(context.Background(), "10.1.2.3")

	if !res.Alive || res.Method != MethodICMP {
		t.Fatalf("Probe = %+v, want alive by icmp", res)
	}
	if d := r.dialer.dialed(); len(d) != 0 {
		t.Errorf("dialed %q on a port the policy refuses", d)
	}
}

func TestProbeHTTPOnlySaysSoOnceAtStart(t *testing.T) {
	logs := &logCounter{}
	srv := newCountingServer(t, "127.0.0.1", ok)
	unused := &fakePinger{behave: answering(time.Millisecond)}
	p := mustProber(t, sitePolicy(t, PolicyConfig{}), Config{
		ICMP:     ICMPOff,
		Pinger:   unused,
		Resolver: siteResolver(),
		Dialer:   &fakeDialer{to: srv.Listener.Addr().String()},
		Logger:   slog.New(logs),
		CacheTTL: -1,
	})
	// Turned off by the operator: a note at start, no warning, and
	// nothing more per probe.
	atStart := logs.count(slog.LevelInfo)
	if atStart == 0 {
		t.Error("no note at start that ICMP is off")
	}
	for range 5 {
		if res := p.Probe(context.Background(), "10.1.2.3"); !res.Alive || res.Method != MethodHTTP {
			t.Fatalf("Probe = %+v, want alive by http", res)
		}
	}
	if n := logs.count(slog.LevelWarn); n != 0 {
		t.Errorf("%d warnings for ICMP turned off, want none", n)
	}
	if n := logs.count(slog.LevelInfo); n != atStart {
		t.Errorf("%d notes after five probes, want the %d of the start", n, atStart)
	}
	if p.ICMPMode() != ICMPOff || unused.runs.Load() != 0 {
		t.Errorf("ICMPMode() = %v with %d pings, want off and none", p.ICMPMode(),
			unused.runs.Load())
	}
}

func TestProBingPastDeadlineSendsNothing(t *testing.T) {
	b := newProBing(ICMPPrivileged, 1, time.Second, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	// Loopback, so that even a broken check could not send anywhere else.
	if _, err := b.Ping(ctx, netip.MustParseAddr("127.0.0.1")); err == nil {
		t.Error("Ping after the deadline succeeded")
	}
}

// The default dialer, not a fake: an HTTP server on a loopback address that
// a lab policy allows is alive by http, and the ICMP probe, silent here, is
// cancelled.
func TestProbeRealDialerOnLabLoopback(t *testing.T) {
	srv := newCountingServer(t, "127.0.0.2", ok)
	lab := mustPolicy(t, nil, PolicyConfig{Lab: true, AnyPort: true,
		Networks: prefixes(t, "127.0.0.0/8")})
	pinger := &fakePinger{behave: silent}
	p := mustProber(t, lab, Config{Pinger: pinger, Timeout: 5 * time.Second})

	res := p.Probe(context.Background(), srv.addrPort().String())

	if !res.Alive || res.Method != MethodHTTP || res.Addr != srv.addrPort().Addr() {
		t.Fatalf("Probe = %+v, want alive by http at %v", res, srv.addrPort())
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
	eventually(t, "the ICMP probe's cancellation",
		func() bool { return pinger.cancelled.Load() == 1 })
}

func TestCheckPin(t *testing.T) {
	p := mustProber(t, sitePolicy(t, PolicyConfig{}), Config{ICMP: ICMPOff})
	to := pin{name: "pbx.site.test", to: netip.MustParseAddrPort("10.1.2.3:80")}
	tests := []struct {
		name    string
		pin     pin
		address string
		allow   bool
	}{
		{"the pinned address passes", to, "10.1.2.3:80", true},
		{"its mapped form passes", to, "[::ffff:10.1.2.3]:80", true},
		{"another allowed address fails", to, "10.1.2.4:80", false},
		{"another port fails", to, "10.1.2.3:81", false},
		{"loopback fails", to, "127.0.0.1:80", false},
		{"garbage fails", to, "pbx.site.test:80", false},
		{"a pin the policy refuses fails",
			pin{to: netip.MustParseAddrPort("127.0.0.1:80")}, "127.0.0.1:80", false},
		{"a pin on a refused port fails",
			pin{to: netip.MustParseAddrPort("10.1.2.3:22")}, "10.1.2.3:22", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.checkPin(tt.pin, tt.address)
			if (err == nil) != tt.allow || (err != nil && !errors.Is(err, ErrBlocked)) {
				t.Errorf("checkPin(%v, %q) = %v, want allowed=%v", tt.pin, tt.address, err, tt.allow)
			}
		})
	}
}

func TestHTTPClientHasNoProxyAndFollowsNoRedirect(t *testing.T) {
	p := mustProber(t, sitePolicy(t, PolicyConfig{}), Config{ICMP: ICMPOff})
	c := p.httpClient(context.Background(), pin{to: netip.MustParseAddrPort("10.1.2.3:80")})

	tr, isTransport := c.Transport.(*http.Transport)
	if !isTransport || tr.Proxy != nil {
		t.Errorf("transport %T with Proxy set; want *http.Transport without a proxy", c.Transport)
	}
	if !isTransport || !tr.DisableKeepAlives || tr.ReadBufferSize > 4<<10 {
		t.Errorf("transport keeps connections or reads in big chunks: %+v", tr)
	}
	if err := c.CheckRedirect(nil, nil); !errors.Is(err, http.ErrUseLastResponse) {
		t.Errorf("CheckRedirect = %v, want ErrUseLastResponse", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"negative timeout":    {Timeout: -time.Second},
		"negative in flight":  {MaxInFlight: -1},
		"negative ping count": {PingCount: -1},
		"unknown ICMP mode":   {ICMP: ICMPOff + 1},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, err := New(Policy{}, cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

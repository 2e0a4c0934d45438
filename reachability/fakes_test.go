package reachability

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fakes for the three seams of a Prober. None of them sends a packet: the
// pinger only records, the dialer records and connects to a loopback test
// server, the resolver answers from a table.

// fakeResolver answers from a table. A name with several answers gives the
// next one on each lookup and then repeats the last.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	lookups map[string]int
	hang    bool // wait for ctx instead of answering
}

var _ Resolver = (*fakeResolver)(nil)

func newFakeResolver(answers map[string][]string) *fakeResolver {
	r := &fakeResolver{answers: map[string][][]netip.Addr{}, lookups: map[string]int{}}
	for name, as := range answers {
		r.add(name, as...)
	}
	return r
}

// add appends one answer for name.
func (r *fakeResolver) add(name string, addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ans []netip.Addr
	for _, a := range addrs {
		ans = append(ans, netip.MustParseAddr(a))
	}
	r.answers[name] = append(r.answers[name], ans)
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	n := r.lookups[host]
	r.lookups[host]++
	ans := r.answers[host]
	hang := r.hang
	r.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if len(ans) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return slices.Clone(ans[min(n, len(ans)-1)]), nil
}

func (r *fakeResolver) count(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups[host]
}

// fakePinger records every ping and behaves as told: answer, stay silent
// until ctx ends, or fail at once.
type fakePinger struct {
	behave  func(ctx context.Context, addr netip.Addr) (time.Duration, error)
	runs    atomic.Int64
	mu      sync.Mutex
	targets []netip.Addr
	// cancelled counts pings that ended because ctx was cancelled, not
	// because its deadline passed.
	cancelled atomic.Int64
}

var _ Pinger = (*fakePinger)(nil)

func (f *fakePinger) Ping(ctx context.Context, addr netip.Addr) (time.Duration, error) {
	f.runs.Add(1)
	f.mu.Lock()
	f.targets = append(f.targets, addr)
	f.mu.Unlock()
	rtt, err := f.behave(ctx, addr)
	if errors.Is(err, context.Canceled) {
		f.cancelled.Add(1)
	}
	return rtt, err
}

func (f *fakePinger) pinged() []netip.Addr {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.targets)
}

func answering(rtt time.Duration) func(context.Context, netip.Addr) (time.Duration, error) {
	return func(context.Context, netip.Addr) (time.Duration, error) { return rtt, nil }
}

func silent(ctx context.Context, _ netip.Addr) (time.Duration, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func failing(context.Context, netip.Addr) (time.Duration, error) {
	return 0, errors.New("sendto: network is unreachable")
}

// fakeDialer records the addresses it is asked for and connects to a
// loopback listener instead, or refuses when there is none.
type fakeDialer struct {
	to    string // loopback "ip:port" to connect to; "" refuses
	wrap  func(net.Conn) net.Conn
	mu    sync.Mutex
	asked []string
}

var _ Dialer = (*fakeDialer)(nil)

func (d *fakeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, address)
	d.mu.Unlock()
	if d.to == "" {
		return nil, &net.OpError{Op: "dial", Net: network,
			Err: fmt.Errorf("connect: connection refused")}
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", d.to)
	if err == nil && d.wrap != nil {
		c = d.wrap(c)
	}
	return c, err
}

func (d *fakeDialer) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.asked)
}

// countingServer is an HTTP test server on a loopback address that counts
// the requests it gets and remembers their Host headers.
type countingServer struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	hosts    []string
}

// newCountingServer starts a server on ip (a loopback address, port
// chosen by the kernel) that runs handle for each request.
func newCountingServer(tb testing.TB, ip string, handle http.HandlerFunc) *countingServer {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatalf("listen on %s: %v", ip, err)
	}
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			s.requests.Add(1)
			s.mu.Lock()
			s.hosts = append(s.hosts, r.Host)
			s.mu.Unlock()
			if handle != nil {
				handle(w, r)
			}
		}))
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

func (s *countingServer) addrPort() netip.AddrPort {
	return netip.MustParseAddrPort(s.Listener.Addr().String())
}

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logCounter counts records by level.
type logCounter struct {
	mu     sync.Mutex
	counts map[slog.Level]int
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[slog.Level]int{}
	}
	l.counts[r.Level]++
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

func (l *logCounter) count(level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[level]
}

// mustProber builds a prober or fails the test.
func mustProber(tb testing.TB, policy Policy, cfg Config) *Prober {
	tb.Helper()
	p, err := New(policy, cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return p
}

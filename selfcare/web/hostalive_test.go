package web_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/reachability"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

const (
	probeUser     = "dana.demo"
	probePassword = "Paper-lantern-9"
	probePIN      = "80461973"
)

// frozenClock never moves unless told, so rate-limit tests do not depend
// on how fast the machine runs them.
type frozenClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *frozenClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// portal is a handler on a memstore service with one signed-in end user.
type portal struct {
	tb    testing.TB
	svc   *selfcare.Service
	h     *web.Handler
	token string
}

// newPortal builds the portal; cfg's zero Now and Hash become a frozen
// clock and cheap hashing.
func newPortal(tb testing.TB, cfg selfcare.Config) *portal {
	tb.Helper()
	ctx := context.Background()
	if cfg.Now == nil {
		cfg.Now = (&frozenClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}).Now
	}
	cfg.Hash = selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}
	svc := selfcare.New(memstore.New(), cfg)
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		tb.Fatal(err)
	}
	u := selfcare.User{ID: probeUser, FirstName: "Dana", LastName: "Demo"}
	if err := svc.CreateUser(ctx, "", u, probePassword, probePIN); err != nil {
		tb.Fatal(err)
	}
	if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, probeUser); err != nil {
		tb.Fatal(err)
	}
	tok, _, err := svc.Login(ctx, probeUser, probePassword, "192.0.2.1")
	if err != nil {
		tb.Fatal(err)
	}
	h, err := web.New(svc, web.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return &portal{tb: tb, svc: svc, h: h, token: tok}
}

// get sends one request for target, a request-target as it appears on the
// wire (percent-encoded as the client sent it), with the user's session
// cookie when token is not empty.
func (p *portal) get(target, token string, hdr ...string) *httptest.ResponseRecorder {
	p.tb.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: token})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	return rec
}

// wantBody fails unless rec is a 200 whose text/plain body is exactly want.
func wantBody(tb testing.TB, what string, rec *httptest.ResponseRecorder, want string) {
	tb.Helper()
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		tb.Errorf("%s: %d %q, want 200 %q", what, rec.Code, rec.Body.String(), want)
		return
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		tb.Errorf("%s: Content-Type %q, want text/plain; charset=utf-8", what, ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		tb.Errorf("%s: Cache-Control %q, want no-store", what, cc)
	}
}

// recordingProber answers true for every host and records what it got.
type recordingProber struct {
	mu    sync.Mutex
	hosts []string
}

func (r *recordingProber) ProbeHost(_ context.Context, host string,
	_ []string) selfcare.ProbeVerdict {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts = append(r.hosts, host)
	return selfcare.ProbeVerdict{Alive: true, Target: host, Reason: "alive", Method: "http"}
}

func (r *recordingProber) asked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.hosts...)
}

// fakeResolver answers from a table and fails every other name, so that no
// test ever sends a DNS query.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := f[host]; ok {
		return append([]netip.Addr(nil), addrs...), nil
	}
	return nil, &net.DNSError{Err: "no such host (fake resolver)", Name: host, IsNotFound: true}
}

// noTraffic is a pinger and dialer that send nothing and count attempts.
type noTraffic struct{ attempts atomic.Int32 }

func (n *noTraffic) Ping(context.Context, netip.Addr) (time.Duration, error) {
	n.attempts.Add(1)
	return 0, errors.New("noTraffic: ping attempted")
}

func (n *noTraffic) DialContext(context.Context, string, string) (net.Conn, error) {
	n.attempts.Add(1)
	return nil, errors.New("noTraffic: dial attempted")
}

// listenOn starts an HTTP server on ip (a loopback address), or skips the
// test when this machine has no such address.
func listenOn(tb testing.TB, ip string) netip.AddrPort {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Skipf("no loopback address %s here: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Listener = ln
	srv.Start()
	tb.Cleanup(srv.Close)
	return netip.MustParseAddrPort(ln.Addr().String())
}

// closedPort returns a port on ip where nothing listens.
func closedPort(tb testing.TB, ip string) netip.AddrPort {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatal(err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return ap
}

// labProber is a real prober under a lab policy that allows only the given
// loopback addresses, by HTTP only (a loopback address always answers
// ping, which would hide a closed port), with names from resolver.
func labProber(tb testing.TB, resolver reachability.Resolver, allow ...string) selfcare.HostProber {
	tb.Helper()
	p, err := web.NewReachabilityProber(allow,
		reachability.PolicyConfig{Lab: true, AnyPort: true},
		reachability.Config{ICMP: reachability.ICMPOff, Resolver: resolver,
			Timeout: 2 * time.Second, CacheTTL: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestHostAliveAnswersTheBareWord(t *testing.T) {
	open := listenOn(t, "127.0.0.2")
	closed := closedPort(t, "127.0.0.2")
	resolver := fakeResolver{
		"phone.lab.test":    {open.Addr()},
		"metadata.lab.test": {netip.MustParseAddr("169.254.169.254")},
	}
	p := newPortal(t, selfcare.Config{HostAliveBurst: selfcare.NoLimit,
		Prober: labProber(t, resolver, "127.0.0.2")})

	tests := []struct {
		name, host, want string
	}{
		{"allowed address with a server is true", open.String(), "true"},
		{"allowed name that resolves to it is true",
			fmt.Sprintf("phone.lab.test:%d", open.Port()), "true"},
		{"allowed address with a closed port is false", closed.String(), "false"},
		{"cloud metadata is false", "169.254.169.254", "false"},
		{"name resolving to cloud metadata is false", "metadata.lab.test", "false"},
		{"private address outside the allow list is false", "10.0.0.1", "false"},
		{"another loopback address is false", "127.0.0.1:" + fmt.Sprint(open.Port()), "false"},
		{"unknown name is false", "nowhere.lab.test", "false"},
		{"host with user info is false", "user@" + open.String(), "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := p.get("/ucmuser/hostAlive/"+url.PathEscape(tt.host), p.token)
			wantBody(t, tt.host, rec, tt.want)
		})
	}

	// The audit trail says why: the metadata address was blocked, the
	// closed port unreachable, with the addresses the name resolved to.
	events, err := p.svc.Audit(context.Background(), selfcare.AuditFilter{
		Action: selfcare.ActionHostAlive})
	if err != nil {
		t.Fatal(err)
	}
	details := map[string]selfcare.AuditEvent{}
	for _, e := range events {
		details[e.Target] = e
	}
	for target, want := range map[string]string{
		"169.254.169.254":   "false (blocked by policy); addrs 169.254.169.254",
		"metadata.lab.test": "false (blocked by policy); addrs 169.254.169.254",
		closed.String():     "false (unreachable); addrs 127.0.0.2",
		"phone.lab.test:" + fmt.Sprint(open.Port()): "true (alive, http, rtt ",
	} {
		e, ok := details[target]
		if !ok || !strings.HasPrefix(e.Detail, want) || e.Actor != probeUser {
			t.Errorf("audit of %s = %+v, want actor %s and detail starting %q", target, e,
				probeUser, want)
		}
	}
}

// TestHostAliveTakesIPv6InBrackets sends the brackets raw and
// percent-encoded: the service must get the decoded host either way.
func TestHostAliveTakesIPv6InBrackets(t *testing.T) {
	rp := &recordingProber{}
	p := newPortal(t, selfcare.Config{Prober: rp})
	for _, target := range []string{
		"/ucmuser/hostAlive/[::1]",
		"/ucmuser/hostAlive/%5B::1%5D",
		"/ucmuser/hostAlive/%5b%3a%3a1%5d",
		"/ucmuser/hostAlive/[2001:db8::7]:8443",
	} {
		wantBody(t, target, p.get(target, p.token), "true")
	}
	want := []string{"[::1]", "[::1]", "[::1]", "[2001:db8::7]:8443"}
	if got := rp.asked(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("prober got %q, want %q", got, want)
	}

	// And through the real prober, to a server on the IPv6 loopback.
	open := listenOn(t, "::1")
	closed := closedPort(t, "::1")
	p = newPortal(t, selfcare.Config{Prober: labProber(t, fakeResolver{}, "::1")})
	wantBody(t, "raw brackets", p.get(fmt.Sprintf("/ucmuser/hostAlive/[::1]:%d",
		open.Port()), p.token), "true")
	wantBody(t, "encoded brackets", p.get(fmt.Sprintf("/ucmuser/hostAlive/%%5B::1%%5D:%d",
		open.Port()), p.token), "true")
	wantBody(t, "closed port", p.get(fmt.Sprintf("/ucmuser/hostAlive/[::1]:%d",
		closed.Port()), p.token), "false")
	wantBody(t, "IPv4-mapped loopback", p.get(fmt.Sprintf(
		"/ucmuser/hostAlive/[::ffff:127.0.0.1]:%d", open.Port()), p.token), "false")
}

func TestHostAliveWithoutSessionIs401(t *testing.T) {
	rp := &recordingProber{}
	p := newPortal(t, selfcare.Config{Prober: rp})

	tests := []struct {
		name, token string
		wantClear   bool
	}{
		{"no cookie", "", false},
		{"unknown session token", "not-a-session-token", true},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is 401, not a redirect", func(t *testing.T) {
			rec := p.get("/ucmuser/hostAlive/10.1.2.3", tt.token)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %.200s", rec.Code, rec.Body)
			}
			if loc := rec.Header().Get("Location"); loc != "" {
				t.Errorf("Location %q on a 401", loc)
			}
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if body := rec.Body.String(); body == "true" || body == "false" {
				t.Errorf("401 with a verdict body %q", body)
			}
			cleared := strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0")
			if cleared != tt.wantClear {
				t.Errorf("cookie cleared = %v, want %v", cleared, tt.wantClear)
			}
		})
	}

	// After logout the old cookie gets the same answer.
	if err := p.svc.Logout(context.Background(), p.token); err != nil {
		t.Fatal(err)
	}
	if rec := p.get("/ucmuser/hostAlive/10.1.2.3", p.token); rec.Code != http.StatusUnauthorized {
		t.Errorf("after logout: status %d, want 401", rec.Code)
	}
	if got := rp.asked(); len(got) != 0 {
		t.Errorf("prober asked about %q without a session", got)
	}
}

func TestHostAliveRateLimitIs429(t *testing.T) {
	const burst = 3
	rp := &recordingProber{}
	p := newPortal(t, selfcare.Config{Prober: rp, HostAliveBurst: burst,
		HostAliveEvery: 2500 * time.Millisecond})

	for i := range burst {
		wantBody(t, fmt.Sprintf("probe %d", i+1), p.get("/ucmuser/hostAlive/10.1.2.3",
			p.token), "true")
	}
	for range 2 {
		rec := p.get("/ucmuser/hostAlive/10.1.2.3", p.token)
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("after the burst: status %d, want 429; body %.200s", rec.Code, rec.Body)
		}
		// 2.5 s until the next token, rounded up to whole seconds.
		if ra := rec.Header().Get("Retry-After"); ra != "3" {
			t.Errorf("Retry-After %q, want 3", ra)
		}
	}
	if n := len(rp.asked()); n != burst {
		t.Errorf("prober asked %d times, want %d", n, burst)
	}
}

func TestHostAliveRefusals(t *testing.T) {
	rp := &recordingProber{}
	p := newPortal(t, selfcare.Config{Prober: rp})
	off := newPortal(t, selfcare.Config{})

	ctx := context.Background()
	u := selfcare.User{ID: "new.user", FirstName: "Nina", LastName: "New",
		MustChangePassword: true}
	if err := p.svc.CreateUser(ctx, "", u, probePassword, probePIN); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, u.ID); err != nil {
		t.Fatal(err)
	}
	fresh, _, err := p.svc.Login(ctx, u.ID, probePassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		portal *portal
		token  string
		hdr    []string
		want   int
	}{
		{"cross-site request is 403", p, p.token, []string{"Sec-Fetch-Site", "cross-site"},
			http.StatusForbidden},
		{"user who must change the password is 403", p, fresh, nil, http.StatusForbidden},
		{"portal without a prober is 403", off, off.token, nil, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.portal.get("/ucmuser/hostAlive/10.1.2.3", tt.token, tt.hdr...)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d; body %.200s", rec.Code, tt.want, rec.Body)
			}
		})
	}

	// A same-origin request from the portal's own pages goes through.
	wantBody(t, "same-origin", p.get("/ucmuser/hostAlive/10.1.2.3", p.token,
		"Sec-Fetch-Site", "same-origin"), "true")
	if n := len(rp.asked()); n != 1 {
		t.Errorf("prober asked %d times, want 1 (the same-origin request)", n)
	}

	// Probing never changes state by POST.
	req := httptest.NewRequest(http.MethodPost, "/ucmuser/hostAlive/10.1.2.3", nil)
	req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: p.token})
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusForbidden {
		t.Errorf("POST: status %d, want 405 or 403", rec.Code)
	}
}

// The targets that the default policy must refuse, as they appear in the
// path after URL decoding: the project's shared cases beside the clone (in
// CI and on the developers' machines), and the copy that reachability keeps
// in its testdata so that a clone on its own tests the same kinds.
const (
	sharedTargetsFile = "../../../shared/cases/ssrf-targets.txt"
	localTargetsFile  = "../../reachability/testdata/ssrf-targets.txt"
)

func readTargets(tb testing.TB) []string {
	tb.Helper()
	files := []string{localTargetsFile}
	switch _, err := os.Stat(sharedTargetsFile); {
	case err == nil:
		files = append(files, sharedTargetsFile)
	case os.Getenv("CI") != "":
		tb.Fatalf("the shared cases file must exist in CI: %v", err)
	}
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatalf("the cases file must exist: %v", err)
		}
		n := len(out)
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			// "#" is a comment only at the start of a line: 127.0.0.1#top
			// is a target.
			if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
		if len(out) == n {
			tb.Fatalf("%s lists no targets", file)
		}
	}
	return out
}

// TestHostAliveRefusesSSRFTargets sends every listed target through the
// route, percent-encoded so that it arrives as written, to a prober with
// the default policy (the cluster's servers only): every answer is the
// body false, audited as denied, and nothing was pinged or dialed.
func TestHostAliveRefusesSSRFTargets(t *testing.T) {
	wire := &noTraffic{}
	resolver := fakeResolver{
		"localhost":            {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
		"ucm-pub.cluster.test": {netip.MustParseAddr("::ffff:169.254.169.254")},
	}
	prober, err := web.NewReachabilityProber([]string{"10.20.30.40", "ucm-pub.cluster.test"},
		reachability.PolicyConfig{},
		reachability.Config{Resolver: resolver, Pinger: wire, Dialer: wire})
	if err != nil {
		t.Fatal(err)
	}
	p := newPortal(t, selfcare.Config{Prober: prober, HostAliveBurst: selfcare.NoLimit})

	targets := append(readTargets(t), "ucm-pub.cluster.test")
	for _, target := range targets {
		path := "/ucmuser/hostAlive/" + url.PathEscape(target)
		rec := p.get(path, p.token)
		// The mux sends a path with "//" in it, decoded, to its clean
		// form first, as for every route; a client follows and gets the
		// verdict there.
		if rec.Code == http.StatusMovedPermanently {
			rec = p.get(rec.Header().Get("Location"), p.token)
		}
		wantBody(t, target, rec, "false")
	}
	if n := wire.attempts.Load(); n != 0 {
		t.Errorf("%d pings or dials attempted, want none", n)
	}
	events, err := p.svc.Audit(context.Background(), selfcare.AuditFilter{
		Action: selfcare.ActionHostAlive, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(targets) {
		t.Errorf("%d audit events for %d targets", len(events), len(targets))
	}
	for _, e := range events {
		if e.Outcome != selfcare.OutcomeDenied ||
			(!strings.Contains(e.Detail, "(invalid)") &&
				!strings.Contains(e.Detail, "(blocked by policy)")) {
			t.Errorf("audit of %q: %s %q, want denied as invalid or blocked", e.Target,
				e.Outcome, e.Detail)
		}
	}
}

// countingHandler counts log records by level.
type countingHandler struct {
	mu     sync.Mutex
	levels map[slog.Level]int
}

func (c *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *countingHandler) WithGroup(string) slog.Handler            { return c }

func (c *countingHandler) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.levels == nil {
		c.levels = map[slog.Level]int{}
	}
	c.levels[r.Level]++
	return nil
}

func (c *countingHandler) count(l slog.Level) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.levels[l]
}

// TestReachabilityProberFollowsTheCluster checks that the policy allows the
// cluster the service passes, keeps its prober (and cache) while the
// cluster stays the same, and follows a change at once.
func TestReachabilityProberFollowsTheCluster(t *testing.T) {
	var requests atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		requests.Add(1)
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	open := ln.Addr().String()

	rp, err := web.NewReachabilityProber(nil,
		reachability.PolicyConfig{Lab: true, AnyPort: true},
		reachability.Config{ICMP: reachability.ICMPOff, Resolver: fakeResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		name         string
		cluster      []string
		wantAlive    bool
		wantReason   string
		wantRequests int32
	}{
		{"no cluster: blocked", nil, false, "blocked by policy", 0},
		{"server added: probed", []string{"127.0.0.2"}, true, "alive", 1},
		{"same cluster, other spelling: cached", []string{"127.0.0.2", "127.0.0.2"}, true,
			"alive", 1},
		{"server removed: blocked", []string{"127.0.0.3"}, false, "blocked by policy", 1},
	}
	for _, st := range steps {
		v := rp.ProbeHost(ctx, open, st.cluster)
		if v.Alive != st.wantAlive || v.Reason != st.wantReason ||
			requests.Load() != st.wantRequests {
			t.Errorf("%s: alive %v (%s), %d requests; want %v (%s), %d", st.name, v.Alive,
				v.Reason, requests.Load(), st.wantAlive, st.wantReason, st.wantRequests)
		}
	}

	// Outside a lab, a cluster server that cannot be probed is left out,
	// with a warning, and the others still count.
	logs := &countingHandler{}
	wire := &noTraffic{}
	rp, err = web.NewReachabilityProber([]string{"10.20.30.40"}, reachability.PolicyConfig{},
		reachability.Config{Pinger: wire, Dialer: wire, Resolver: fakeResolver{},
			Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	cluster := []string{"10.1.2.3", "ucm_pub", "127.0.0.1", "169.254.169.254"}
	for host, want := range map[string]string{
		"10.1.2.3":        "unreachable", // probed: noTraffic fails the ping and the dial
		"10.20.30.40":     "unreachable", // the configuration's own server stays
		"127.0.0.1":       "blocked by policy",
		"169.254.169.254": "blocked by policy",
		"ucm_pub":         "invalid",
	} {
		if v := rp.ProbeHost(ctx, host, cluster); v.Reason != want {
			t.Errorf("ProbeHost(%s) = %s (%v), want %s", host, v.Reason, v.Err, want)
		}
	}
	if n := logs.count(slog.LevelWarn); n != 3 {
		t.Errorf("%d warnings, want 3 (one per server left out, once)", n)
	}
}

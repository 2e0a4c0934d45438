package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// labResolver answers a few test names and fails every other one, so that
// the test never sends a DNS query; it records what it was asked.
type labResolver struct {
	answers map[string][]netip.Addr
	mu      sync.Mutex
	asked   []string
}

func (r *labResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	r.asked = append(r.asked, host)
	r.mu.Unlock()
	if a, ok := r.answers[host]; ok {
		return append([]netip.Addr(nil), a...), nil
	}
	return nil, &net.DNSError{Err: "no such host (test resolver)", Name: host, IsNotFound: true}
}

// syncBuffer is a log sink that the server writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// getHostAlive asks the route about host, which goes into the path as
// written, and returns the status, the Retry-After header and the body.
func (c *client) getHostAlive(host string) (int, string, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+"/ucmuser/hostAlive/"+host, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
}

// TestEndToEndHostAlive starts the real server with a lab policy that
// allows only 127.0.0.2, where a web server listens, and goes through the
// route as a signed-in user: an allowed host, refused targets, a closed
// port, names (from a test resolver), the audit trail and the rate limit.
// Every packet stays on loopback: refused targets are never probed, ICMP
// is off (a loopback address always answers ping) and names never reach
// DNS.
func TestEndToEndHostAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	phone := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		w.WriteHeader(http.StatusForbidden) // any answer means alive
	}))
	phone.Listener = ln
	phone.Start()
	t.Cleanup(phone.Close)
	open := netip.MustParseAddrPort(ln.Addr().String())
	gone, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := netip.MustParseAddrPort(gone.Addr().String())
	gone.Close()
	// A cluster node on 127.0.0.3, which only the cluster's servers allow.
	ln3, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	node := httptest.NewUnstartedServer(http.NotFoundHandler())
	node.Listener = ln3
	node.Start()
	t.Cleanup(node.Close)
	nodePort := netip.MustParseAddrPort(ln3.Addr().String()).Port()

	resolver := &labResolver{answers: map[string][]netip.Addr{
		"phone.lab.test":    {open.Addr()},
		"metadata.lab.test": {netip.MustParseAddr("169.254.169.254")},
		"cucm-pub.lab.test": {netip.MustParseAddr("127.0.0.3")},
	}}
	logs := &syncBuffer{}
	dir := t.TempDir()
	clk := &clock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	srv, err := openServer(context.Background(), options{
		Addr: "127.0.0.1:0", DataDir: dir, Now: clk.Now,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Probe: probeOptions{Allow: "127.0.0.2", Lab: true, ICMP: "off",
			Ports:    fmt.Sprintf("%d,%d,%d", open.Port(), closed.Port(), nodePort),
			resolver: resolver},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	base := strings.TrimSuffix(srv.URL(), "/ucmuser/")
	user := readCredentials(t, dir)[0]

	// The ICMP mode was settled once, at start, and said once.
	if n := strings.Count(logs.String(), "ICMP echo turned off"); n != 1 {
		t.Errorf("%d ICMP notes at start, want 1:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), "ICMP echo unavailable") {
		t.Errorf("ICMP turned off by the operator is reported as unavailable:\n%s", logs)
	}

	// Without a session: 401, and nothing is probed.
	anon := newClient(t, base)
	st, _, body := anon.getHostAlive(open.String())
	expect(t, "hostAlive without session", st, http.StatusUnauthorized, body)

	dana := newClient(t, base)
	st, body = dana.login(user.id, user.password)
	expect(t, "login", st, http.StatusCreated, body)

	probes := []struct{ host, want string }{
		{open.String(), "true"},
		{fmt.Sprintf("phone.lab.test:%d", open.Port()), "true"},
		{closed.String(), "false"},
		{"169.254.169.254", "false"},
		{"10.0.0.1", "false"},
		{"metadata.lab.test", "false"},
		{"%5B::1%5D", "false"},
		{"127.0.0.1", "false"},
	}
	for _, p := range probes {
		st, _, body := dana.getHostAlive(p.host)
		if st != http.StatusOK || body != p.want {
			t.Errorf("hostAlive/%s = %d %q, want 200 %q", p.host, st, body, p.want)
		}
	}

	// The policy follows the cluster's servers as an operator changes them
	// with the command line, while the server runs: the node is refused
	// until it is one.
	nodeHost := fmt.Sprintf("cucm-pub.lab.test:%d", nodePort)
	if st, _, body := dana.getHostAlive(nodeHost); st != http.StatusOK || body != "false" {
		t.Errorf("node outside the cluster: %d %q, want 200 false", st, body)
	}
	runCLI(t, dir, "server", "add", "cucm-pub.lab.test", "-publisher")
	if st, _, body := dana.getHostAlive(nodeHost); st != http.StatusOK || body != "true" {
		t.Errorf("node in the cluster: %d %q, want 200 true", st, body)
	}

	resolver.mu.Lock()
	asked := fmt.Sprint(resolver.asked)
	resolver.mu.Unlock()
	want := "[phone.lab.test metadata.lab.test cucm-pub.lab.test cucm-pub.lab.test]"
	if asked != want {
		t.Errorf("resolver asked %s, want %s", asked, want)
	}

	// The audit trail says who asked, about what, and why the answer was no.
	trail := runCLI(t, dir, "audit", "-action", selfcare.ActionHostAlive, "-n", "50")
	for target, want := range map[string]string{
		"169.254.169.254":   "false (blocked by policy); addrs 169.254.169.254",
		"10.0.0.1":          "not in the allow list",
		"metadata.lab.test": "false (blocked by policy); addrs 169.254.169.254",
		"[::1]":             "false (blocked by policy); addrs ::1",
		closed.String():     "false (unreachable); addrs 127.0.0.2",
		open.String():       "true (alive, http, rtt",
	} {
		line := auditLine(trail, target)
		if !strings.Contains(line, want) || !strings.Contains(line, user.id) ||
			!strings.Contains(line, "127.0.0.1") {
			t.Errorf("audit of %s: %q, want actor %s, source 127.0.0.1 and %q", target, line,
				user.id, want)
		}
	}

	// The burst of 10 is spent; the clock stands still, so the next is
	// refused with a wait of one second.
	for i := len(probes) + 2; i < 10; i++ { // the list and the node's two
		if st, _, body := dana.getHostAlive("10.0.0.1"); st != http.StatusOK {
			t.Fatalf("probe %d: %d %q, want 200", i+1, st, body)
		}
	}
	st, retry, body := dana.getHostAlive("10.0.0.1")
	if st != http.StatusTooManyRequests || retry != "1" {
		t.Errorf("probe 11: %d, Retry-After %q, want 429 and 1; body %.200s", st, retry, body)
	}
	clk.Advance(time.Second)
	st, _, body = dana.getHostAlive(open.String())
	if st != http.StatusOK || body != "true" {
		t.Errorf("a second later: %d %q, want 200 true", st, body)
	}
}

// auditLine returns the first line of the audit listing whose target
// column is target.
func auditLine(trail, target string) string {
	for line := range strings.SplitSeq(trail, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[3] == target {
			return line
		}
	}
	return ""
}

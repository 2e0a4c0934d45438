//go:build linux

package reachability

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tests in this file build real test hosts: network namespaces joined to
// the host by a veth pair, addressed from the benchmarking range
// 198.18.0.0/15, which only a lab policy allows. They need root, as CI
// has; without root they are skipped, and as root without the ip command
// they fail.

// requireNetns skips unless the process may create network namespaces.
func requireNetns(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("creating network namespaces needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		tb.Fatalf("running as root, but the ip command is missing: %v", err)
	}
}

// testHost is a network namespace holding one address, reached from the
// host over a veth pair.
type testHost struct {
	ns      string
	network netip.Prefix // a /30 holding both ends
	addr    netip.Addr   // the namespace's end
}

var testHostSeq atomic.Int32

// newTestHost creates a namespace; with quiet, it ignores ICMP echo
// requests. Everything is removed when the test ends.
func newTestHost(tb testing.TB, quiet bool) *testHost {
	tb.Helper()
	requireNetns(tb)
	seq := int(testHostSeq.Add(1))
	pid := os.Getpid() % 100000

	network := freeTestNetwork(tb, pid*8+seq)
	hostEnd := network.Addr().Next()
	h := &testHost{
		ns:      fmt.Sprintf("rchb-%d-%d", pid, seq),
		network: network,
		addr:    hostEnd.Next(),
	}
	outside := fmt.Sprintf("rch%dh%d", pid, seq)
	inside := fmt.Sprintf("rch%dp%d", pid, seq)

	ip(tb, "netns", "add", h.ns)
	tb.Cleanup(func() {
		// Deleting the host end removes the pair at once; the namespace
		// itself is torn down by the kernel in the background.
		_ = exec.Command("ip", "link", "del", outside).Run()
		if out, err := exec.Command("ip", "netns", "del", h.ns).CombinedOutput(); err != nil {
			tb.Errorf("ip netns del %s: %v: %s", h.ns, err, out)
		}
	})
	ip(tb, "link", "add", outside, "type", "veth", "peer", "name", inside, "netns", h.ns)
	ip(tb, "addr", "add", netip.PrefixFrom(hostEnd, 30).String(), "dev", outside)
	ip(tb, "link", "set", outside, "up")
	ip(tb, "-n", h.ns, "addr", "add", netip.PrefixFrom(h.addr, 30).String(), "dev", inside)
	ip(tb, "-n", h.ns, "link", "set", inside, "up")
	ip(tb, "-n", h.ns, "link", "set", "lo", "up")
	if quiet {
		ip(tb, "netns", "exec", h.ns, "sysctl", "-q", "-w", "net.ipv4.icmp_echo_ignore_all=1")
	}

	// A veth drops what is sent before both ends are up; the first echo
	// of a test would be lost and answered only by the retry.
	state := "/sys/class/net/" + outside + "/operstate"
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(state)
		if err == nil && strings.TrimSpace(string(b)) == "up" {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s is not up after 5s: %q, %v", outside, b, err)
		}
	}
	return h
}

// freeTestNetwork returns a /30 of 198.18.0.0/16 that no interface of the
// host uses, starting the search at index i.
func freeTestNetwork(tb testing.TB, i int) netip.Prefix {
	tb.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		tb.Fatalf("interface addresses: %v", err)
	}
	for range 64 {
		i = i % (1 << 14)
		n := netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 6), byte(i&63) << 2}), 30)
		used := false
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && n.Overlaps(p) {
				used = true
			}
		}
		if !used {
			return n
		}
		i++
	}
	tb.Fatal("no free /30 in 198.18.0.0/16")
	return netip.Prefix{}
}

func ip(tb testing.TB, args ...string) {
	tb.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		tb.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// labPolicy allows the test host's network, which lies in the benchmarking
// range and so needs the lab override.
func (h *testHost) labPolicy(tb testing.TB) Policy {
	tb.Helper()
	return mustPolicy(tb, nil, PolicyConfig{Lab: true, Networks: []netip.Prefix{h.network}})
}

// listen opens a TCP listener inside the namespace. The socket is created
// by a thread that has joined the namespace for the call and then left
// it; the socket stays in the namespace for good.
func (h *testHost) listen(tb testing.TB, port int) net.Listener {
	tb.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	home, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid()))
	if err != nil {
		tb.Fatalf("open own netns: %v", err)
	}
	defer home.Close()
	target, err := os.Open("/run/netns/" + h.ns)
	if err != nil {
		tb.Fatalf("open netns %s: %v", h.ns, err)
	}
	defer target.Close()

	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		tb.Fatalf("enter netns %s: %v", h.ns, err)
	}
	ln, listenErr := net.Listen("tcp", netip.AddrPortFrom(h.addr, uint16(port)).String())
	if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread is in the wrong namespace: keep it locked so that
		// it ends with this goroutine instead of running other code.
		runtime.LockOSThread()
		tb.Fatalf("leave netns %s: %v", h.ns, err)
	}
	if listenErr != nil {
		tb.Fatalf("listen in netns %s: %v", h.ns, listenErr)
	}
	return ln
}

// serveCounting serves HTTP inside the namespace and counts requests.
func (h *testHost) serveCounting(tb testing.TB, port int) *atomic.Int64 {
	tb.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(
		func(w http.ResponseWriter, _ *http.Request) {
			n.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
	srv.Listener.Close()
	srv.Listener = h.listen(tb, port)
	srv.Start()
	tb.Cleanup(srv.Close)
	return &n
}

// countingPinger counts the runs of a real pinger.
type countingPinger struct {
	inner Pinger
	runs  atomic.Int64
}

func (c *countingPinger) Ping(ctx context.Context, addr netip.Addr) (time.Duration, error) {
	c.runs.Add(1)
	return c.inner.Ping(ctx, addr)
}

// realICMPMode returns the ICMP mode of this machine, failing when root
// cannot send ICMP at all.
func realICMPMode(tb testing.TB) ICMPMode {
	tb.Helper()
	m := DetectICMPMode()
	if m == ICMPOff {
		tb.Fatal("running as root, but neither an unprivileged nor a raw ICMP socket opens")
	}
	return m
}

func TestNetnsEchoOnlyHostIsAliveByICMP(t *testing.T) {
	h := newTestHost(t, false)
	realICMPMode(t)
	p := mustProber(t, h.labPolicy(t), Config{})

	res := p.Probe(context.Background(), h.addr.String())

	if !res.Alive || res.Method != MethodICMP || res.Addr != h.addr || res.RTT <= 0 {
		t.Fatalf("Probe(%v) = %+v (%v), want alive by icmp", h.addr, res, res.Err)
	}
}

func TestNetnsClosedPortWithoutEchoIsFalseInTime(t *testing.T) {
	h := newTestHost(t, true)
	realICMPMode(t)
	const deadline = 500 * time.Millisecond
	p := mustProber(t, h.labPolicy(t), Config{Timeout: deadline})

	start := time.Now()
	res := p.Probe(context.Background(), netip.AddrPortFrom(h.addr, 8080).String())
	elapsed := time.Since(start)

	if res.Alive || res.Reason != ReasonTimeout {
		t.Fatalf("Probe = %+v, want false by timeout", res)
	}
	// The bound: the deadline plus 100 ms.
	t.Logf("false after %v with a %v deadline", elapsed, deadline)
	if elapsed > deadline+100*time.Millisecond {
		t.Errorf("answered after %v, want within %v", elapsed, deadline+100*time.Millisecond)
	}
}

// Many callers, one probe on the wire of each kind: the host ignores echo
// requests, so the one ICMP probe is sent and the one HTTP request decides.
func TestNetnsConcurrentCallersShareOneProbeOnTheWire(t *testing.T) {
	h := newTestHost(t, true)
	requests := h.serveCounting(t, 8080)
	icmpRuns, httpRuns, results := coalescedRound(t, h.labPolicy(t), realPinger(t),
		netip.AddrPortFrom(h.addr, 8080).String(), requests)

	if icmpRuns != 1 || httpRuns != 1 {
		t.Errorf("%d ICMP probes and %d HTTP requests, want 1 and 1", icmpRuns, httpRuns)
	}
	for _, res := range results {
		if !res.Alive || res.Method != MethodHTTP {
			t.Fatalf("a caller got %+v, want alive by http", res)
		}
	}
}

// coalescedRound sends 1,000 concurrent probes of target through a fresh
// prober that pings with inner (nil: HTTP only), and returns the ICMP
// probes and HTTP requests they caused.
func coalescedRound(tb testing.TB, policy Policy, inner Pinger, target string,
	requests *atomic.Int64) (icmpRuns, httpRuns int64, results []Result) {
	tb.Helper()
	cfg := Config{ICMP: ICMPOff}
	var pinger *countingPinger
	if inner != nil {
		pinger = &countingPinger{inner: inner}
		cfg = Config{Pinger: pinger}
	}
	p := mustProber(tb, policy, cfg)
	before := requests.Load()

	results = make([]Result, 1000)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = p.Probe(context.Background(), target) })
	}
	wg.Wait()
	if pinger != nil {
		icmpRuns = pinger.runs.Load()
	}
	return icmpRuns, requests.Load() - before, results
}

// realPinger is the default pinger in this machine's ICMP mode.
func realPinger(tb testing.TB) Pinger {
	tb.Helper()
	return newProBing(realICMPMode(tb), DefaultPingCount, DefaultTimeout,
		slog.New(slog.DiscardHandler))
}

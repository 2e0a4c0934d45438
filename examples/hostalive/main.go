// Command hostalive probes hosts the way the portal's hostAlive route does,
// with the same package and the same kind of target policy, and prints
// each verdict with its reason:
//
//	go run ./examples/hostalive [-allow LIST] [-ports LIST] [-lab] [-timeout 3s] host...
//
// -allow lists the networks (CIDR), addresses and host names that may be
// probed; without it nothing may. -lab lets loopback and the other
// always-refused ranges through when they are also allowed, for test
// benches. -timeout is more than 0 and at most 20 s, as on the server.
// The hosts are probed at the same time, a few at once, and printed in
// the order given. The exit status is 0 when every host is alive, 1 when one is
// not, 2 on bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ucselfcare/portal/reachability"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command, apart from the process's exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostalive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	allow := fs.String("allow", "",
		"comma-separated networks (CIDR), addresses and host names that may be probed")
	ports := fs.String("ports", "",
		`comma-separated HTTP ports that may be probed, or "any" (default 80,443,8080,8443)`)
	lab := fs.Bool("lab", false, "let loopback and reserved ranges through when allowed")
	timeout := fs.Duration("timeout", reachability.DefaultTimeout, "deadline of each probe")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hostalive [-allow LIST] [-ports LIST] [-lab] [-timeout D] host...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}

	prober, err := newProber(*allow, *ports, *lab, *timeout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "hostalive:", err)
		return 2
	}

	hosts := fs.Args()
	results := probeAll(ctx, hosts, prober.Probe, maxConcurrent)

	code := 0
	for i, res := range results {
		fmt.Fprintf(stdout, "%s: %s\n", hosts[i], describe(res))
		if !res.Alive {
			code = 1
		}
	}
	return code
}

// probeAll probes every host, at most limit at once, and returns the
// results in the order of hosts. Silent hosts each cost a whole timeout:
// side by side, a few of them take about one timeout.
func probeAll(ctx context.Context, hosts []string,
	probe func(context.Context, string) reachability.Result, limit int) []reachability.Result {
	results := make([]reachability.Result, len(hosts))
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, host := range hosts {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = probe(ctx, host)
		})
	}
	wg.Wait()
	return results
}

// maxConcurrent bounds the probes in flight; maxTimeout is the server's
// cap on -probe-timeout.
const (
	maxConcurrent = 8
	maxTimeout    = 20 * time.Second
)

// newProber builds the policy from the flags and a prober around it.
func newProber(allow, ports string, lab bool, timeout time.Duration,
	stderr io.Writer) (*reachability.Prober, error) {
	if timeout <= 0 || timeout > maxTimeout {
		return nil, fmt.Errorf("-timeout %v: want more than 0 and at most %v", timeout,
			maxTimeout)
	}
	cfg := reachability.PolicyConfig{Lab: lab}
	for _, entry := range splitList(allow) {
		if !strings.Contains(entry, "/") {
			cfg.Hosts = append(cfg.Hosts, entry)
			continue
		}
		n, err := netip.ParsePrefix(entry)
		if err != nil {
			return nil, fmt.Errorf("-allow %q: %w", entry, err)
		}
		cfg.Networks = append(cfg.Networks, n)
	}
	switch ports {
	case "":
	case "any":
		cfg.AnyPort = true
	default:
		cfg.Ports = []uint16{}
		for _, p := range splitList(ports) {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil {
				return nil, fmt.Errorf("-ports %q: not a port", p)
			}
			cfg.Ports = append(cfg.Ports, uint16(n))
		}
	}
	policy, err := reachability.NewPolicy(nil, cfg)
	if err != nil {
		return nil, err
	}

	// Warnings only: the one about a missing ICMP permission matters to
	// whoever runs this.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return reachability.New(policy, reachability.Config{Timeout: timeout, Logger: log})
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// describe renders a result: the verdict, then how it was reached.
func describe(res reachability.Result) string {
	if res.Alive {
		return fmt.Sprintf("true (%s %v, rtt %v)", res.Method, res.Addr, res.RTT)
	}
	if res.Err == nil {
		return fmt.Sprintf("false (%v)", res.Reason)
	}
	// A failed race joins one error per probe, one a line.
	why := strings.ReplaceAll(res.Err.Error(), "\n", "; ")
	return fmt.Sprintf("false (%v; %s)", res.Reason, why)
}

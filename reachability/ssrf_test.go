package reachability

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// sharedTargetsFile lists targets that the default policy must refuse. The
// project's shared cases live beside the clone in CI and on the developers'
// machines, and may grow there; testdata keeps a copy so that a clone on its
// own still tests the same kinds.
const (
	sharedTargetsFile = "../../shared/cases/ssrf-targets.txt"
	localTargetsFile  = "testdata/ssrf-targets.txt"
)

// readTargets returns the targets of a cases file: one a line, "#" starts
// a comment, blank lines skipped.
func readTargets(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("the cases file must exist: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "#" starts a comment only at the start of a line: the file
		// also holds a target with a fragment, 127.0.0.1#top.
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	if len(out) == 0 {
		tb.Fatalf("%s lists no targets", path)
	}
	return out
}

// defaultProber is a prober with the default policy (the cluster's servers
// and nothing else), whose resolver answers as a hostile DNS server might
// and whose pinger and dialer send nothing but record any attempt.
func defaultProber(tb testing.TB) (*Prober, *fakePinger, *fakeDialer) {
	tb.Helper()
	policy := mustPolicy(tb, []string{"ucm-pub.cluster.test", "ucm-sub.cluster.test",
		"10.20.30.40"}, PolicyConfig{})
	res := newFakeResolver(map[string][]string{
		"localhost":                {"127.0.0.1", "::1"},
		"ip6-localhost":            {"::1"},
		"db.localhost":             {"127.0.0.1"},
		"metadata.google.internal": {"169.254.169.254"},
		"metadata.amazonaws.com":   {"169.254.169.254", "fd00:ec2::254"},
		"127.0.0.1.nip.io":         {"127.0.0.1"},
		"ucm-sub.cluster.test":     {"10.20.30.41", "127.0.0.1"},
		"rebind.cluster.test":      {"10.20.30.40", "127.0.0.1"},
		"ucm-pub.cluster.test":     {"::ffff:169.254.169.254"},
	})
	pinger := &fakePinger{behave: answering(1)}
	dialer := &fakeDialer{}
	p := mustProber(tb, policy, Config{Resolver: res, Pinger: pinger, Dialer: dialer})
	return p, pinger, dialer
}

// assertRefused probes each target and fails unless every answer is false
// with reason invalid or blocked and no packet was attempted.
func assertRefused(t *testing.T, p *Prober, pinger *fakePinger, dialer *fakeDialer,
	targets []string) {
	t.Helper()
	for _, target := range targets {
		res := p.Probe(context.Background(), target)
		if res.Alive || (res.Reason != ReasonInvalid && res.Reason != ReasonBlocked) {
			t.Errorf("Probe(%q) = %v (%v), want invalid or blocked", target, res.Reason, res.Err)
		}
	}
	if n, d := pinger.runs.Load(), dialer.dialed(); n != 0 || len(d) != 0 {
		t.Errorf("%d pings and dials to %q were attempted, want none", n, d)
	}
}

func TestDefaultPolicyRefusesListedTargets(t *testing.T) {
	files := []string{localTargetsFile}
	switch _, err := os.Stat(sharedTargetsFile); {
	case err == nil:
		files = append(files, sharedTargetsFile)
	case os.Getenv("CI") != "":
		// CI always has the shared cases; their absence is a broken setup.
		t.Fatalf("the shared cases file must exist in CI: %v", err)
	default:
		t.Logf("no %s beside this clone; testing the copy in testdata", sharedTargetsFile)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			targets := readTargets(t, file)
			p, pinger, dialer := defaultProber(t)
			assertRefused(t, p, pinger, dialer, targets)
		})
	}
}

// The listed targets are samples of kinds; these are more of each kind.
func TestDefaultPolicyRefusesTheKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var targets []string
	v4 := func(prefix string) netip.Addr {
		return randomIn(rng, netip.MustParsePrefix(prefix))
	}
	spellings := func(a netip.Addr) []string {
		b := a.As4()
		return []string{
			a.String(),
			a.String() + ":80",
			a.String() + ":8443",
			"::ffff:" + a.String(),
			"[::ffff:" + a.String() + "]",
			"[::ffff:" + a.String() + "]:80",
			fmt.Sprintf("::ffff:%02x%02x:%02x%02x", b[0], b[1], b[2], b[3]),
			fmt.Sprintf("[0:0:0:0:0:FFFF:%02X%02X:%02X%02X]", b[0], b[1], b[2], b[3]),
			"::" + a.String(),
			"[64:ff9b::" + a.String() + "]",
			fmt.Sprintf("[2002:%02x%02x:%02x%02x::]", b[0], b[1], b[2], b[3]),
			fmt.Sprintf("%d", uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])),
			fmt.Sprintf("0x%02x%02x%02x%02x", b[0], b[1], b[2], b[3]),
			fmt.Sprintf("0%o.%d.%d.%d", b[0], b[1], b[2], b[3]),
			fmt.Sprintf("%d.%d", b[0], uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])),
			a.String() + ".",
			"user@" + a.String(),
			a.String() + "/admin",
			a.String() + "?next=1",
			a.String() + "#top",
			"http://" + a.String() + "/",
			strings.ReplaceAll(a.String(), ".", "%2e"),
			" " + a.String(),
			a.String() + "\r\n",
		}
	}
	for _, kind := range []string{
		"127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12",
		"192.168.0.0/16", "100.64.0.0/10", "224.0.0.0/4", "240.0.0.0/4",
		"192.0.0.0/24", "198.18.0.0/15", "8.8.8.0/24",
	} {
		for range 20 {
			a := v4(kind)
			if a == netip.MustParseAddr("10.20.30.40") {
				continue
			}
			targets = append(targets, spellings(a)...)
		}
	}
	targets = append(targets, "255.255.255.255", "[::]", "::", "[::1]:8080",
		"[fe80::1]", "[fec0::1]", "[fd00::1]", "[fc00::5]:80", "[ff02::1]", "[ff05::1:3]",
		"[64:ff9b:1::a14:1e28]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "[2001:db8::1]",
		"localhost", "LOCALHOST", "localhost:80", "ip6-localhost", "db.localhost",
		"metadata.google.internal", "metadata.amazonaws.com", "127.0.0.1.nip.io",
		"ucm-sub.cluster.test", "rebind.cluster.test", "ucm-pub.cluster.test",
		"ucm-pub.cluster.test:22", "10.20.30.40:22", "[fe80::1%25eth0]",
		strings.Repeat("a", 64)+".cluster.test", strings.Repeat("a.", 127)+"aa")

	p, pinger, dialer := defaultProber(t)
	assertRefused(t, p, pinger, dialer, targets)
}

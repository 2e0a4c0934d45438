package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ucselfcare/portal/reachability"
)

// loopbackServer starts an HTTP server on 127.0.0.2 and counts requests.
func loopbackServer(tb testing.TB) (string, *atomic.Int64) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		io.WriteString(w, "ok")
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	tb.Cleanup(srv.Close)
	return ln.Addr().String(), &n
}

func TestRun(t *testing.T) {
	target, requests := loopbackServer(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // substrings of stdout, in order
		wantHit  bool     // the server may be reached
	}{
		{"lab loopback server is alive", []string{"-lab", "-allow", "127.0.0.0/8", "-ports",
			"any", "-timeout", "2s", target}, 0, []string{target + ": true ("}, true},
		{"nothing allowed without -allow", []string{"-ports", "any", target}, 1,
			[]string{target + ": false (blocked by policy"}, false},
		{"loopback refused without -lab", []string{"-allow", "10.0.0.0/8", "127.0.0.1"}, 1,
			[]string{"127.0.0.1: false (blocked by policy"}, false},
		{"port outside the list refused", []string{"-lab", "-allow", "127.0.0.0/8", target}, 1,
			[]string{target + ": false (blocked by policy"}, false},
		{"every host answered in order", []string{"-lab", "-allow", "127.0.0.0/8", "-ports",
			"any", "user@127.0.0.1", target, "127.1"}, 1, []string{
			"user@127.0.0.1: false (invalid", target + ": true (", "127.1: false (invalid"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := requests.Load()
			var stdout, stderr bytes.Buffer

			code := run(context.Background(), tt.args, &stdout, &stderr)

			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			out := stdout.String()
			for _, w := range tt.wantOut {
				i := strings.Index(out, w)
				if i < 0 {
					t.Fatalf("stdout %q lacks %q", stdout.String(), w)
				}
				out = out[i+len(w):]
			}
			if hit := requests.Load() > before; hit && !tt.wantHit {
				t.Errorf("the server was reached although the target was refused")
			}
		})
	}
}

func TestRunRefusesBadUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no host":                {"-lab"},
		"unknown flag":           {"-bogus", "127.0.0.1"},
		"network with host bits": {"-allow", "10.1.2.3/8", "10.1.2.3"},
		"loopback without -lab":  {"-allow", "127.0.0.0/8", "127.0.0.1"},
		"bad port":               {"-ports", "http", "10.1.2.3"},
		"bad server":             {"-allow", "user@host", "10.1.2.3"},
		"zero timeout":           {"-timeout", "0s", "10.1.2.3"},
		"timeout past 20 s":      {"-timeout", "21s", "10.1.2.3"},
	} {
		t.Run("exits 2 on "+name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
				t.Errorf("exit %d, want 2; stdout %q", code, stdout.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("probed despite bad usage: %q", stdout.String())
			}
		})
	}
}

func TestRunNamesARefusedAllowEntry(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-allow", "169.254.169.254", "10.1.2.3"},
		&stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if e := stderr.String(); !strings.Contains(e, `allow-list entry "169.254.169.254"`) ||
		strings.Contains(e, "server") {
		t.Errorf("stderr %q, want the entry named as an allow-list entry", e)
	}
}

func TestProbeAllRunsProbesSideBySideWithinTheLimit(t *testing.T) {
	const hosts, limit = 6, 3
	var inFlight, most atomic.Int64
	barrier := make(chan struct{})
	var arrived atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Each of the first limit probes waits until limit probes are running:
	// one after another, the first would wait until the context ends.
	probe := func(ctx context.Context, host string) reachability.Result {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if arrived.Add(1) == limit {
			close(barrier)
		}
		select {
		case <-barrier:
			return reachability.Result{Target: host, Alive: true}
		case <-ctx.Done():
			return reachability.Result{Target: host}
		}
	}
	in := []string{"a", "b", "c", "d", "e", "f"}[:hosts]
	got := probeAll(ctx, in, probe, limit)
	for i, res := range got {
		if !res.Alive || res.Target != in[i] {
			t.Errorf("result %d = %+v, want %s alive, in order", i, res, in[i])
		}
	}
	if m := most.Load(); m > limit || m < 2 {
		t.Errorf("at most %d probes at once, want between 2 and %d", m, limit)
	}
}

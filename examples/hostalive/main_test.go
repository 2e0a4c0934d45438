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

package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

// benchPortal is a portal on SQLite with one logged-in user who owns line
// 4021, for the read and write benchmarks.
type benchPortal struct {
	h     *web.Handler
	token string
}

func newBenchPortal(b *testing.B) benchPortal {
	b.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"),
		sqlstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	svc := selfcare.New(store, selfcare.Config{
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		b.Fatal(err)
	}
	if err := svc.CreateUser(ctx, "", selfcare.User{ID: "ann"}, sitePassword,
		sitePIN); err != nil {
		b.Fatal(err)
	}
	if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, "ann"); err != nil {
		b.Fatal(err)
	}
	if err := svc.PutDevice(ctx, "", selfcare.Device{Name: "SEPANN", Owner: "ann",
		Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}}); err != nil {
		b.Fatal(err)
	}
	tok, _, err := svc.Login(ctx, "ann", sitePassword, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	h, err := web.New(svc, web.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return benchPortal{h: h, token: tok}
}

// plainForwarding is the baseline: a bare net/http handler that writes a
// JSON object of the same shape as a line's forwarding, with no session,
// no store and no checks.
var plainForwarding = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("ETag", `"1"`)
	_ = json.NewEncoder(w).Encode(map[string]any{"extension": "4021",
		"version": 1, "callForwardAll": map[string]any{"voicemail": false,
			"destination": "914085550100"}})
})

// BenchmarkForwardingHTTP reads a line's call forwarding and changes Call
// Forward All through the handler on SQLite, beside the plain handler
// measured in the same run as the baseline. Requests go to ServeHTTP
// directly: the figures are the portal's alone, without a network.
func BenchmarkForwardingHTTP(b *testing.B) {
	p := newBenchPortal(b)
	serve := func(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
		req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: p.token})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			if rec := serve(plainForwarding, httptest.NewRequest("GET", fwdPath,
				nil)); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})

	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if rec := serve(p.h, httptest.NewRequest("GET", fwdPath, nil)); rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body)
			}
		}
	})

	b.Run("change-cfa", func(b *testing.B) {
		rec := serve(p.h, httptest.NewRequest("GET", fwdPath, nil))
		etag := rec.Header().Get("ETag")
		dests := []string{"914085550100", "4031"}
		i := 0
		for b.Loop() {
			req := httptest.NewRequest("PATCH", fwdPath, strings.NewReader(
				`{"callForwardAll":{"destination":"`+dests[i%2]+`"}}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", etag)
			rec := serve(p.h, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body)
			}
			etag = rec.Header().Get("ETag")
			i++
		}
	})
}

// BenchmarkForwardingLoopback is BenchmarkForwardingHTTP over real HTTP:
// a client on a kept-alive loopback connection to an httptest server on
// 127.0.0.1, which is how a browser or a script uses the portal. The
// "parallel" runs have GOMAXPROCS clients at once and measure the rate
// the server sustains; ns/op is then the time per request of the whole
// machine.
func BenchmarkForwardingLoopback(b *testing.B) {
	p := newBenchPortal(b)
	cookie := &http.Cookie{Name: web.DefaultCookieName, Value: p.token}
	for _, s := range []struct {
		name string
		h    http.Handler
	}{{"plain", plainForwarding}, {"read", p.h}} {
		srv := httptest.NewServer(s.h)
		client := srv.Client()
		client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
		get := func(b *testing.B) {
			req, err := http.NewRequest("GET", srv.URL+fwdPath, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.AddCookie(cookie)
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				b.Fatal(res.StatusCode, err)
			}
		}
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				get(b)
			}
		})
		b.Run(s.name+"-parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(b)
				}
			})
		})
		srv.Close()
	}
	b.Run("change-cfa", func(b *testing.B) {
		srv := httptest.NewServer(p.h)
		defer srv.Close()
		client := srv.Client()
		etag := ""
		dests := []string{"914085550100", "4031"}
		i := 0
		do := func(method, body string) {
			req, err := http.NewRequest(method, srv.URL+fwdPath, strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.AddCookie(cookie)
			if method == "PATCH" {
				req.Header.Set("Content-Type", "application/merge-patch+json")
				req.Header.Set("If-Match", etag)
			}
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				b.Fatal(res.StatusCode, err)
			}
			etag = res.Header.Get("ETag")
		}
		do("GET", "")
		for b.Loop() {
			do("PATCH", `{"callForwardAll":{"destination":"`+dests[i%2]+`"}}`)
			i++
		}
	})
}

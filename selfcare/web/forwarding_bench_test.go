package web_test

import (
	"context"
	"encoding/json"
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

// BenchmarkForwardingHTTP reads a line's call forwarding and changes Call
// Forward All through the handler on SQLite, beside a plain net/http
// handler that writes a JSON object of the same shape, measured in the
// same run as the baseline. Requests go to ServeHTTP directly: the
// figures are the portal's, not the network's.
func BenchmarkForwardingHTTP(b *testing.B) {
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
	serve := func(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
		req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: tok})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	b.Run("plain", func(b *testing.B) {
		plain := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("ETag", `"1"`)
			_ = json.NewEncoder(w).Encode(map[string]any{"extension": "4021",
				"version": 1, "callForwardAll": map[string]any{"voicemail": false,
					"destination": "914085550100"}})
		})
		for b.Loop() {
			if rec := serve(plain, httptest.NewRequest("GET", fwdPath, nil)); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})

	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if rec := serve(h, httptest.NewRequest("GET", fwdPath, nil)); rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body)
			}
		}
	})

	b.Run("change-cfa", func(b *testing.B) {
		rec := serve(h, httptest.NewRequest("GET", fwdPath, nil))
		etag := rec.Header().Get("ETag")
		dests := []string{"914085550100", "4031"}
		i := 0
		for b.Loop() {
			req := httptest.NewRequest("PATCH", fwdPath, strings.NewReader(
				`{"callForwardAll":{"destination":"`+dests[i%2]+`"}}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", etag)
			rec := serve(h, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body)
			}
			etag = rec.Header().Get("ETag")
			i++
		}
	})
}

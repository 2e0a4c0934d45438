package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

// bareStore keeps only what every store must: users, devices, sessions
// and the rest of selfcare.Store, and none of the optional settings.
type bareStore struct{ selfcare.Store }

// TestSettingsAStoreLacksAre501 serves a portal on a store that keeps no
// optional setting: each setting's page and API answer 501 Not
// Implemented with a message, never 500.
func TestSettingsAStoreLacksAre501(t *testing.T) {
	ctx := context.Background()
	svc := selfcare.New(bareStore{memstore.New()}, selfcare.Config{
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateUser(ctx, "", selfcare.User{ID: "ann"}, sitePassword,
		sitePIN); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutDevice(ctx, "", selfcare.Device{Name: "SEPANN", Owner: "ann",
		Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}}); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(svc, web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ann := (&activationSite{tb: t, srv: srv}).signIn("ann")

	for _, path := range []string{
		"/ucmuser/api/v1/lines/4021/forwarding",
		"/ucmuser/api/v1/phones/SEPANN/speed-dials",
		"/ucmuser/api/v1/dnd",
		"/ucmuser/api/v1/conferencing",
		"/ucmuser/api/v1/phones/SEPANN",
		"/ucmuser/api/v1/language",
		"/ucmuser/api/v1/phones/SEPANN/lines",
		"/ucmuser/api/v1/phones/SEPANN/services",
		"/ucmuser/api/v1/remote-destinations",
		"/ucmuser/api/v1/phones/SEPANN/contacts",
	} {
		t.Run("GET "+path+" is 501", func(t *testing.T) {
			res := ann.get(path)
			if res.StatusCode != http.StatusNotImplemented ||
				errCode(t, res) != "not_implemented" {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
		})
	}
	for _, path := range []string{"/ucmuser/dnd", "/ucmuser/forwarding",
		"/ucmuser/conferencing"} {
		t.Run("page "+path+" is 501", func(t *testing.T) {
			res := ann.get(path)
			if res.StatusCode != http.StatusNotImplemented ||
				!strings.Contains(string(res.Body), "not set up to keep this setting") {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
		})
	}
}

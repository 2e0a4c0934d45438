package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndConferencing changes the access code of Conference Now
// through the API of a real portal on SQLite, reads it back, and then
// hides it from the command line: the API, the page and the navigation
// follow at once. The code never reaches the audit trail.
func TestEndToEndConferencing(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const (
		path = "/ucmuser/api/v1/conferencing"
		code = "60492"
	)
	patch := func(ifMatch string, body any) (int, string) {
		t.Helper()
		return dana.do("PATCH", path, body, map[string]string{
			"Content-Type": "application/merge-patch+json", "If-Match": ifMatch})
	}

	// The demo data turned Dana's on with a code of its own.
	st, body := dana.do("GET", path, nil, nil)
	expect(t, "first read", st, http.StatusOK, body)
	if body != `{"enabled":true,"accessCode":"739164","version":1}`+"\n" {
		t.Fatalf("demo setting: %s", body)
	}
	st, body = patch(`"1"`, map[string]any{"accessCode": "1234"})
	expect(t, "a run as the code", st, http.StatusBadRequest, body)
	st, body = patch(`"1"`, map[string]any{"accessCode": code})
	expect(t, "a new code", st, http.StatusOK, body)
	st, body = dana.do("GET", path, nil, nil)
	expect(t, "read back", st, http.StatusOK, body)
	if !strings.Contains(body, `"enabled":true,"accessCode":"`+code+`","version":2`) {
		t.Errorf("stored %s", body)
	}
	st, body = patch(`"1"`, map[string]any{"enabled": false})
	expect(t, "stale version", st, http.StatusConflict, body)

	_, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	if !strings.Contains(page, `href="/ucmuser/conferencing"`) {
		t.Error("navigation lacks Conferencing")
	}
	out := runCLI(t, s.dir, "param", "set", params.KeyShowConferencing, "false")
	if !strings.Contains(out, params.KeyShowConferencing) {
		t.Errorf("CLI printed %q", out)
	}
	st, body = dana.do("GET", path, nil, nil)
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden GET: %d %s", st, body)
	}
	if st, body = patch(`"2"`, map[string]any{"enabled": false}); st !=
		http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden PATCH: %d %s", st, body)
	}
	if st, _ = dana.do("GET", "/ucmuser/conferencing", nil, nil); st !=
		http.StatusForbidden {
		t.Errorf("hidden page: %d", st)
	}
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(page, `href="/ucmuser/conferencing"`) {
		t.Error("navigation still offers Conferencing")
	}

	out = runCLI(t, s.dir, "audit", "-action", "conferencing.change", "-n", "10")
	for _, want := range []string{s.user.id,
		"on, access code set -> on, access code changed (version 2)",
		"stale version 1, stored 2", "must not be a run"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, code) {
		t.Errorf("audit trail shows the access code:\n%s", out)
	}
}

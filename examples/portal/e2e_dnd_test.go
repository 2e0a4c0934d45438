package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndDoNotDisturb turns Do Not Disturb on through the API of a
// real portal on SQLite, reads it back, and then hides it from the
// command line: the API and the navigation follow at once.
func TestEndToEndDoNotDisturb(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const path = "/ucmuser/api/v1/dnd"
	patch := func(ifMatch string, body any) (int, string) {
		t.Helper()
		return dana.do("PATCH", path, body, map[string]string{
			"Content-Type": "application/merge-patch+json", "If-Match": ifMatch})
	}

	st, body := dana.do("GET", path, nil, nil)
	expect(t, "first read", st, http.StatusOK, body)
	if !strings.Contains(body, `"enabled":false`) || !strings.Contains(body, `"version":0`) {
		t.Fatalf("fresh setting: %s", body)
	}
	st, body = patch(`"0"`, map[string]any{"enabled": true, "option": "callReject"})
	expect(t, "turn on", st, http.StatusOK, body)
	st, body = dana.do("GET", path, nil, nil)
	expect(t, "read back", st, http.StatusOK, body)
	if !strings.Contains(body, `"enabled":true,"option":"callReject"`) ||
		!strings.Contains(body, `"version":1`) {
		t.Errorf("stored %s", body)
	}
	st, body = patch(`"0"`, map[string]any{"enabled": false})
	expect(t, "stale version", st, http.StatusConflict, body)

	_, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	if !strings.Contains(page, `href="/ucmuser/dnd"`) {
		t.Error("navigation lacks Do Not Disturb")
	}
	out := runCLI(t, s.dir, "param", "set", params.KeyShowDoNotDisturb, "false")
	if !strings.Contains(out, params.KeyShowDoNotDisturb) {
		t.Errorf("CLI printed %q", out)
	}
	st, body = dana.do("GET", path, nil, nil)
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden GET: %d %s", st, body)
	}
	if st, body = patch(`"1"`, map[string]any{"enabled": false}); st !=
		http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden PATCH: %d %s", st, body)
	}
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(page, `href="/ucmuser/dnd"`) {
		t.Error("navigation still offers Do Not Disturb")
	}

	out = runCLI(t, s.dir, "audit", "-action", "dnd.change", "-n", "10")
	for _, want := range []string{s.user.id,
		"off, ringerOff, alert disable -> on, callReject, alert disable (version 1)",
		"stale version 0, stored 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
}

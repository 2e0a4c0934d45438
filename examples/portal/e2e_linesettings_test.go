package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndLineSettings sets a line's label and ring settings through
// the API of a real portal on SQLite once the administrator shows them
// from the command line, reads them back, and then hides the parts one by
// one: the API, the page and the navigation follow at once.
func TestEndToEndLineSettings(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const path = "/ucmuser/api/v1/phones/SEP00A1B2C3D401/lines/2"
	patch := func(ifMatch string, body any) (int, string) {
		t.Helper()
		return dana.do("PATCH", path, body, map[string]string{
			"Content-Type": "application/merge-patch+json", "If-Match": ifMatch})
	}

	// Ring settings and line labels are hidden until an administrator
	// shows them.
	st, body := dana.do("GET", path, nil, nil)
	expect(t, "first read", st, http.StatusOK, body)
	if strings.Contains(body, `"label"`) || strings.Contains(body, "RingPreference") ||
		!strings.Contains(body, `"logMissedCalls":true`) {
		t.Fatalf("fresh line with the default parameters: %s", body)
	}
	st, body = patch(`"0"`, map[string]any{"label": "Front desk"})
	if st != http.StatusForbidden || !strings.Contains(body, params.KeyShowLineLabels) {
		t.Fatalf("label while hidden: %d %s", st, body)
	}
	runCLI(t, s.dir, "param", "set", params.KeyShowLineLabels, "true")
	runCLI(t, s.dir, "param", "set", params.KeyShowRingSettings, "true")

	st, body = patch(`"0"`, map[string]any{"label": "Front desk",
		"onACallRingPreference": "beepOnly", "logMissedCalls": false})
	expect(t, "save", st, http.StatusOK, body)
	st, body = dana.do("GET", path, nil, nil)
	expect(t, "read back", st, http.StatusOK, body)
	for _, want := range []string{`"version":1`, `"label":"Front desk"`,
		`"adminLabel":"Team line"`, `"onACallRingPreference":"beepOnly"`,
		`"notOnACallRingPreference":"useSystemDefault"`, `"logMissedCalls":false`} {
		if !strings.Contains(body, want) {
			t.Errorf("stored line lacks %s: %s", want, body)
		}
	}
	st, body = patch(`"0"`, map[string]any{"label": "Late"})
	expect(t, "stale version", st, http.StatusConflict, body)
	st, body = dana.do("GET", "/ucmuser/api/v1/phones/SEP00A1B2C3D403/lines/1", nil, nil)
	expect(t, "another user's phone", st, http.StatusNotFound, body)

	_, page := dana.do("GET", "/ucmuser/line-settings", nil, nil)
	if !strings.Contains(page, `value="Front desk"`) ||
		!strings.Contains(page, `href="/ucmuser/line-settings"`) {
		t.Errorf("page lacks the label or the link:\n%.2000s", page)
	}

	// Hiding labels hides the label and refuses changing it, alone or not.
	runCLI(t, s.dir, "param", "set", params.KeyShowLineLabels, "false")
	st, body = patch(`"1"`, map[string]any{"label": nil, "logMissedCalls": true})
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("label while hidden again: %d %s", st, body)
	}
	if _, body = dana.do("GET", path, nil, nil); strings.Contains(body, `"label"`) ||
		!strings.Contains(body, `"logMissedCalls":false`) {
		t.Errorf("hidden label shown, or the refused patch saved: %s", body)
	}

	// With every part hidden the feature is gone.
	for _, key := range []string{params.KeyShowRingSettings, params.KeyShowMessageWaiting,
		params.KeyShowCallHistory} {
		runCLI(t, s.dir, "param", "set", key, "false")
	}
	if st, body = dana.do("GET", path, nil, nil); st != http.StatusForbidden ||
		errorCode(body) != "feature_hidden" {
		t.Errorf("all hidden: %d %s", st, body)
	}
	st, _ = dana.do("GET", "/ucmuser/line-settings", nil, nil)
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if st != http.StatusForbidden || strings.Contains(page, `href="/ucmuser/line-settings"`) {
		t.Errorf("all hidden: page %d, link still offered: %t", st,
			strings.Contains(page, "line-settings"))
	}

	out := runCLI(t, s.dir, "audit", "-action", "linesettings.change", "-n", "10")
	for _, want := range []string{s.user.id, `label "" -> "Front desk"`,
		"stale version 0, stored 1", params.KeyShowLineLabels} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
}

package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndCallForwarding sets Call Forward All through the API of a
// real portal on SQLite, reads it back, meets the destination policy, and
// then hides call forwarding from the command line, another process on
// the same database: the API and the navigation follow at once.
func TestEndToEndCallForwarding(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const path = "/ucmuser/api/v1/lines/2001/forwarding"

	type rule struct {
		Voicemail   bool   `json:"voicemail"`
		Destination string `json:"destination"`
	}
	type forwarding struct {
		Extension      string `json:"extension"`
		Version        int64  `json:"version"`
		CallForwardAll rule   `json:"callForwardAll"`
		BusyInternal   rule   `json:"busyInternal"`
	}
	read := func(what string) forwarding {
		t.Helper()
		st, body := dana.do("GET", path, nil, nil)
		expect(t, what, st, http.StatusOK, body)
		var f forwarding
		if err := json.Unmarshal([]byte(body), &f); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return f
	}
	patch := func(version int64, body any) (int, string) {
		t.Helper()
		return dana.do("PATCH", path, body, map[string]string{
			"Content-Type": "application/merge-patch+json",
			"If-Match":     `"` + strconv.FormatInt(version, 10) + `"`})
	}

	before := read("first read")
	if before.Extension != "2001" || before.CallForwardAll != (rule{}) {
		t.Fatalf("fresh line: %+v", before)
	}

	// A national number is allowed and comes back as typed.
	st, body := patch(before.Version, map[string]any{
		"callForwardAll": map[string]any{"voicemail": false, "destination": "914085550100"}})
	expect(t, "set Call Forward All", st, http.StatusOK, body)
	got := read("read back")
	if got.CallForwardAll != (rule{Destination: "914085550100"}) ||
		got.Version != before.Version+1 {
		t.Errorf("stored %+v", got)
	}

	// An international one is refused, saying why, and changes nothing.
	st, body = patch(got.Version, map[string]any{
		"callForwardAll": map[string]any{"destination": "9011441632960961"}})
	expect(t, "international number", st, http.StatusBadRequest, body)
	if !strings.Contains(body, "International numbers are not allowed.") ||
		!strings.Contains(body, "callForwardAll.destination") {
		t.Errorf("refusal does not say why: %s", body)
	}
	if after := read("after the refusal"); after != got {
		t.Errorf("refused change stored: %+v", after)
	}

	// The page offers it while shown.
	_, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	if !strings.Contains(page, `href="/ucmuser/forwarding"`) {
		t.Error("navigation lacks Call Forwarding")
	}

	// Hidden from the command line: refused at once, link gone.
	out := runCLI(t, s.dir, "param", "set", params.KeyShowCallForwarding,
		params.HideAllSettings)
	if !strings.Contains(out, params.KeyShowCallForwarding) {
		t.Errorf("CLI printed %q", out)
	}
	st, body = dana.do("GET", path, nil, nil)
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" ||
		!strings.Contains(body, params.KeyShowCallForwarding) {
		t.Errorf("hidden GET: %d %s", st, body)
	}
	st, body = patch(got.Version, map[string]any{"callForwardAll": nil})
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden PATCH: %d %s", st, body)
	}
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(page, `href="/ucmuser/forwarding"`) {
		t.Error("navigation still offers Call Forwarding")
	}

	// The change and the refusals are on the audit trail, old and new.
	out = runCLI(t, s.dir, "audit", "-action", "forwarding.change", "-n", "10")
	for _, want := range []string{s.user.id, "callForwardAll: off -> 914085550100",
		"International numbers are not allowed", "127.0.0.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
}

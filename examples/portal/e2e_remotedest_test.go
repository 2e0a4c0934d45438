package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndAdditionalPhones adds, changes and deletes an additional
// phone through the API of a real portal on SQLite, lowers the user's
// limit from the command line, and then hides the feature there: the API,
// the page and the navigation follow at once.
func TestEndToEndAdditionalPhones(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const list = "/ucmuser/api/v1/remote-destinations"

	st, body := dana.do("POST", list, map[string]any{"number": "2001"}, nil)
	expect(t, "own line", st, http.StatusBadRequest, body)
	if !strings.Contains(body, "one of your own lines") {
		t.Errorf("own line refused with %s", body)
	}
	st, body = dana.do("POST", list, map[string]any{"number": "+14085550101",
		"description": "Mobile", "answerTooLate": 25.5,
		"schedule": []map[string]any{{"day": 1, "start": "08:00", "end": "17:00"}},
		"timeZone": "America/New_York"}, nil)
	expect(t, "add", st, http.StatusCreated, body)
	var d struct {
		ID      string
		Version int64
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil || d.ID == "" {
		t.Fatalf("added %s: %v", body, err)
	}
	item := list + "/" + d.ID
	st, body = dana.do("PATCH", item, map[string]any{"moveToMobile": true,
		"schedule": nil}, map[string]string{"Content-Type": "application/merge-patch+json",
		"If-Match": `"1"`})
	expect(t, "patch", st, http.StatusOK, body)
	st, body = dana.do("GET", item, nil, nil)
	expect(t, "read back", st, http.StatusOK, body)
	for _, want := range []string{`"moveToMobile":true`, `"answerTooLate":25.5`,
		`"schedule":[]`, `"timeZone":"America/New_York"`, `"version":2`} {
		if !strings.Contains(body, want) {
			t.Errorf("stored %s lacks %s", body, want)
		}
	}

	// The administrator lowers dana's limit to the two she has (the demo
	// data gave her one).
	out := runCLI(t, s.dir, "remote-destination", "limit", s.user.id, "2")
	if !strings.Contains(out, "limit 2") || !strings.Contains(out, "has 2") {
		t.Errorf("CLI printed %q", out)
	}
	st, body = dana.do("POST", list, map[string]any{"number": "+14085550102"}, nil)
	if st != http.StatusConflict || errorCode(body) != "limit_reached" {
		t.Errorf("over the limit: %d %s", st, body)
	}

	_, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	if !strings.Contains(page, `href="/ucmuser/additional-phones"`) {
		t.Error("navigation lacks Additional Phones")
	}
	runCLI(t, s.dir, "param", "set", params.KeyShowAdditionalPhones, "false")
	for _, path := range []string{list, item} {
		if st, body = dana.do("GET", path, nil, nil); st != http.StatusForbidden ||
			errorCode(body) != "feature_hidden" {
			t.Errorf("hidden GET %s: %d %s", path, st, body)
		}
	}
	if st, body = dana.do("DELETE", item, nil, map[string]string{"If-Match": `"2"`}); st !=
		http.StatusForbidden {
		t.Errorf("hidden DELETE: %d %s", st, body)
	}
	if st, _ = dana.do("GET", "/ucmuser/additional-phones", nil, nil); st !=
		http.StatusForbidden {
		t.Errorf("hidden page: %d", st)
	}
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(page, `href="/ucmuser/additional-phones"`) {
		t.Error("navigation still offers Additional Phones")
	}

	runCLI(t, s.dir, "param", "reset", params.KeyShowAdditionalPhones)
	st, body = dana.do("DELETE", item, nil, map[string]string{"If-Match": `"2"`})
	expect(t, "delete", st, http.StatusNoContent, body)

	out = runCLI(t, s.dir, "audit", "-action", "remotedest.create", "-n", "10")
	for _, want := range []string{"+14085550101", "one of your own lines",
		"limit of 2 reached"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
	if out = runCLI(t, s.dir, "audit", "-action", "remotedest.limit"); !strings.Contains(
		out, "4 -> 2") {
		t.Errorf("limit change not audited:\n%s", out)
	}
}

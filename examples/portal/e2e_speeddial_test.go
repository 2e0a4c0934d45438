package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndSpeedDials saves a phone's speed dials through the API of a
// real portal on SQLite, reads them back, meets the label rule, and then
// hides speed dials from the command line: the API and the navigation
// follow at once.
func TestEndToEndSpeedDials(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const path = "/ucmuser/api/v1/phones/SEP00A1B2C3D401/speed-dials"

	type entry struct {
		Position    int    `json:"position"`
		Destination string `json:"destination"`
		Label       string `json:"label"`
	}
	type list struct {
		Device     string  `json:"device"`
		Version    int64   `json:"version"`
		SpeedDials []entry `json:"speedDials"`
	}
	read := func(what string) list {
		t.Helper()
		st, body := dana.do("GET", path, nil, nil)
		expect(t, what, st, http.StatusOK, body)
		var l list
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return l
	}
	put := func(ifMatch string, entries ...entry) (int, string) {
		t.Helper()
		return dana.do("PUT", path, map[string]any{"speedDials": entries},
			map[string]string{"If-Match": ifMatch})
	}

	if l := read("first read"); l.Version != 0 || len(l.SpeedDials) != 0 {
		t.Fatalf("fresh phone: %+v", l)
	}
	bank := entry{Position: 1, Destination: "95551234,1234,5678#", Label: "Bank"}
	st, body := put(`"0"`, entry{Position: 5, Destination: "2002"}, bank)
	expect(t, "save", st, http.StatusOK, body)
	got := read("read back")
	if got.Version != 1 || len(got.SpeedDials) != 2 || got.SpeedDials[0] != bank {
		t.Errorf("stored %+v", got)
	}

	// Codes after a pause need a label; nothing changes.
	st, body = put(`"1"`, entry{Position: 1, Destination: "95551234,1234"})
	expect(t, "no label", st, http.StatusBadRequest, body)
	if !strings.Contains(body, "speedDials[0].label") {
		t.Errorf("refusal does not name the field: %s", body)
	}
	if after := read("after the refusal"); after.Version != 1 {
		t.Errorf("refused change stored: %+v", after)
	}

	_, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	if !strings.Contains(page, `href="/ucmuser/speed-dials"`) {
		t.Error("navigation lacks Speed Dials")
	}
	out := runCLI(t, s.dir, "param", "set", params.KeyShowSpeedDials, "false")
	if !strings.Contains(out, params.KeyShowSpeedDials) {
		t.Errorf("CLI printed %q", out)
	}
	st, body = dana.do("GET", path, nil, nil)
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden GET: %d %s", st, body)
	}
	if st, body = put(`"1"`, bank); st != http.StatusForbidden ||
		errorCode(body) != "feature_hidden" {
		t.Errorf("hidden PUT: %d %s", st, body)
	}
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(page, `href="/ucmuser/speed-dials"`) {
		t.Error("navigation still offers Speed Dials")
	}

	out = runCLI(t, s.dir, "audit", "-action", "speeddials.change", "-n", "10")
	for _, want := range []string{s.user.id, "none -> 1=95551234,1234,5678# (Bank)",
		"speedDials[0].label"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
}

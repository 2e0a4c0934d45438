package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestDeviceAddGivesLines follows the README: an administrator adds a
// user and their phone with two lines from the command line, and the user
// can then forward calls from each line. Bad lines are refused before
// anything is provisioned.
func TestDeviceAddGivesLines(t *testing.T) {
	s := startOnboardingSite(t)
	jo := s.addUser("jo.lines")

	// Bad lines are refused, and the phone is not provisioned.
	for _, bad := range [][]string{
		{"-line", "0=3001"},
		{"-line", "1=3001", "-line", "1=3002"},
		{"-line", "1="},
		{"-line", "3001"},
		{"-line", "one=3001"},
	} {
		args := append([]string{"device", "add", "SEP001B54000777", "-model", "Cisco 8845",
			"-owner", "jo.lines"}, bad...)
		if out, _, err := runCLIErr(s.dir, args...); err == nil {
			t.Errorf("%v accepted: %s", bad, out)
		}
	}
	if out := runCLI(t, s.dir, "device", "list"); strings.Contains(out, "SEP001B54000777") {
		t.Fatalf("a refused device add provisioned the phone:\n%s", out)
	}

	out := runCLI(t, s.dir, "device", "add", "SEP001B54000777", "-model", "Cisco 8845",
		"-owner", "jo.lines", "-line", "1=3001", "-line", "2=3002")
	if field(t, out, "provisioned") != "SEP001B54000777" || field(t, out, "line 2") != "3002" {
		t.Errorf("device add printed:\n%s", out)
	}

	// Both lines are the user's: forwarding reads and saves on each.
	for _, ext := range []string{"3001", "3002"} {
		path := "/ucmuser/api/v1/lines/" + ext + "/forwarding"
		st, body := jo.do("GET", path, nil, nil)
		expect(t, "forwarding of "+ext, st, http.StatusOK, body)
		st, body = jo.do("PATCH", path, map[string]any{"callForwardAll": map[string]any{
			"voicemail": false, "destination": "914085550100"}}, map[string]string{
			"Content-Type": "application/merge-patch+json", "If-Match": `"0"`})
		expect(t, "forward "+ext, st, http.StatusOK, body)
	}
	st, body := jo.do("GET", "/ucmuser/api/v1/phones/SEP001B54000777/lines", nil, nil)
	expect(t, "the phone's lines", st, http.StatusOK, body)
	if !strings.Contains(body, `"3001"`) || !strings.Contains(body, `"3002"`) {
		t.Errorf("the phone's lines lack 3001 or 3002: %s", body)
	}

	// A phone whose MAC is not known gets its lines too.
	out = runCLI(t, s.dir, "device", "add-dummy", "-model", "Cisco 7841",
		"-owner", "jo.lines", "-line", "1=3003")
	if !strings.HasPrefix(field(t, out, "provisioned"), "BAT") {
		t.Errorf("device add-dummy printed:\n%s", out)
	}
	st, body = jo.do("GET", "/ucmuser/api/v1/lines/3003/forwarding", nil, nil)
	expect(t, "forwarding of the dummy phone's line", st, http.StatusOK, body)

	// The lines are on the audit trail as the device change.
	if out := runCLI(t, s.dir, "audit", "-n", "20"); !strings.Contains(out, "lines=2") {
		t.Errorf("audit trail lacks the device's lines:\n%s", out)
	}
}

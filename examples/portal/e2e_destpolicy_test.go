package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// TestEndToEndDestinationPolicy changes the destination policy from the
// command line while a real portal on SQLite runs: the command line is a
// second service on the same database file, and the running portal
// refuses, at the user's next request, a forward and a speed dial
// destination it allowed before. An invalid policy and a stale version
// are refused and change nothing.
func TestEndToEndDestinationPolicy(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const (
		national = "914085550100"
		sdPath   = "/ucmuser/api/v1/phones/SEP00A1B2C3D401/speed-dials"
		fwdPath  = "/ucmuser/api/v1/lines/2001/forwarding"
	)
	speedDial := func(ifMatch string) (int, string) {
		t.Helper()
		return dana.do("PUT", sdPath, map[string]any{"speedDials": []map[string]any{
			{"position": 1, "destination": national, "label": "Office"}}},
			map[string]string{"If-Match": ifMatch})
	}
	forward := func(version int64, dest string) (int, string) {
		t.Helper()
		return dana.do("PATCH", fwdPath, map[string]any{"callForwardAll": map[string]any{
			"voicemail": false, "destination": dest}}, map[string]string{
			"Content-Type": "application/merge-patch+json",
			"If-Match":     `"` + strconv.FormatInt(version, 10) + `"`})
	}

	// The default policy allows national numbers.
	st, body := speedDial(`"0"`)
	expect(t, "speed dial under the default", st, http.StatusOK, body)
	_, fwd := dana.do("GET", fwdPath, nil, nil)
	var line struct{ Version int64 }
	if err := json.Unmarshal([]byte(fwd), &line); err != nil {
		t.Fatal(err)
	}
	st, body = forward(line.Version, national)
	expect(t, "forward under the default", st, http.StatusOK, body)

	// show prints the default; the file it prints, edited, is what set takes.
	var shown destPolicyFile
	if err := json.Unmarshal([]byte(runCLI(t, s.dir, "destpolicy", "show")),
		&shown); err != nil {
		t.Fatal(err)
	}
	if shown.Custom || shown.Version != 0 || len(shown.Policy.Classes) == 0 {
		t.Fatalf("show before any change: %+v", shown)
	}
	write := func(name string, f destPolicyFile) string {
		t.Helper()
		data, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	strict := shown
	for i := range strict.Policy.Classes {
		if strict.Policy.Classes[i].Name == selfcare.ClassNational {
			strict.Policy.Classes[i].Allowed = false
			strict.Policy.Classes[i].Message = "Ask the service desk to call " +
				"national numbers."
		}
	}
	out := runCLI(t, s.dir, "destpolicy", "set", write("strict.json", strict))
	if !strings.Contains(out, "version 1") ||
		!strings.Contains(out, "class national allowed true -> false") {
		t.Errorf("set printed %q", out)
	}

	// The running portal refuses both at the next request.
	st, body = speedDial(`"1"`)
	expect(t, "speed dial under the new policy", st, http.StatusBadRequest, body)
	if !strings.Contains(body, "Ask the service desk") ||
		!strings.Contains(body, "speedDials[0].destination") {
		t.Errorf("speed dial refusal: %s", body)
	}
	// Another national number: saving the stored one again changes nothing.
	st, body = forward(line.Version+1, "914085550111")
	expect(t, "forward under the new policy", st, http.StatusBadRequest, body)
	if !strings.Contains(body, "Ask the service desk") {
		t.Errorf("forward refusal: %s", body)
	}

	// An invalid policy is refused, naming the field, and changes nothing.
	bad := strict
	bad.Version = 1
	bad.Policy.Classes = append([]selfcare.DestinationClass(nil), strict.Policy.Classes...)
	bad.Policy.Classes[0].Patterns = []string{"9[1-"}
	_, errOut, err := runCLIErr(s.dir, "destpolicy", "set", write("bad.json", bad))
	if err == nil || !strings.Contains(err.Error(), "classes[0].patterns[0]") {
		t.Errorf("invalid policy: %v %s", err, errOut)
	}
	// So is a stale version: strict.json still says version 0.
	allowAll := shown
	if _, _, err := runCLIErr(s.dir, "destpolicy", "set", write("stale.json",
		allowAll)); err == nil || !strings.Contains(err.Error(), "someone else") {
		t.Errorf("stale version: %v", err)
	}
	var now destPolicyFile
	if err := json.Unmarshal([]byte(runCLI(t, s.dir, "destpolicy", "show")),
		&now); err != nil {
		t.Fatal(err)
	}
	if now.Version != 1 || !now.Custom {
		t.Errorf("after the refusals: version %d custom %t", now.Version, now.Custom)
	}
	if st, body = speedDial(`"1"`); st != http.StatusBadRequest {
		t.Errorf("a refused change let national numbers back: %d %s", st, body)
	}

	// The administration API sees what the command line stored.
	admin := s.signInAdmin()
	st, body = admin.do("GET", "/ucmuser/api/v1/admin/destination-policy", nil, nil)
	expect(t, "admin API", st, http.StatusOK, body)
	if !strings.Contains(body, `"version":1,"custom":true`) {
		t.Errorf("admin API shows %s", body)
	}

	out = runCLI(t, s.dir, "audit", "-action", selfcare.ActionDestPolicySet, "-n", "10")
	for _, want := range []string{"class national allowed true -> false",
		"classes[0].patterns[0]", "stale version 0, stored 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
}

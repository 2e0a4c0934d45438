package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDestPolicySetRefusesAmbiguousMembers holds the command line to the
// rules of the administration API: a policy file that says "allowed"
// twice, or "Allowed" beside "allowed", is refused naming the member,
// and the policy in force stays as it was. encoding/json alone would keep
// the last and allow emergency numbers.
func TestDestPolicySetRefusesAmbiguousMembers(t *testing.T) {
	dir := startParamsSite(t).dir
	shown := runCLI(t, dir, "destpolicy", "show")
	var f destPolicyFile
	if err := json.Unmarshal([]byte(shown), &f); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	const refused = `"name":"emergency","allowed":false`
	if !strings.Contains(string(raw), refused) {
		t.Fatalf("the default policy no longer refuses emergency numbers: %s", raw)
	}

	for _, c := range []struct{ name, from, to, want string }{
		{"a case variant of allowed is refused naming it", refused,
			refused + `,"Allowed":true`,
			"policy.classes[0].Allowed is not a member; did you mean allowed?"},
		{"allowed twice is refused naming it", refused, refused + `,"allowed":true`,
			"policy.classes[0].allowed appears twice"},
		{"a case variant at the top is refused naming it", `"version":`, `"Version":`,
			"Version is not a member; did you mean version?"},
		{"a repeated site member is refused naming it", `"countryCode":"1"`,
			`"countryCode":"1","countryCode":"44"`, "policy.site.countryCode appears twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := strings.Replace(string(raw), c.from, c.to, 1)
			path := filepath.Join(t.TempDir(), "policy.json")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut, err := runCLIErr(dir, "destpolicy", "set", path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("set %s: %v %s, want an error saying %q", body, err, errOut, c.want)
			}
		})
	}
	if now := runCLI(t, dir, "destpolicy", "show"); now != shown {
		t.Fatalf("a refused file changed the policy:\n%s\nwas\n%s", now, shown)
	}
}

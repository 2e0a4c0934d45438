package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ucselfcare/portal/params"
)

// paramsSite is a real portal on SQLite in a temporary folder, with the
// demo users, for the parameter tests. The command line on the same folder
// is the second process.
type paramsSite struct {
	t     *testing.T
	dir   string
	base  string
	user  credential // demo.user, an end user
	admin credential // demo.admin, a super user without Self Care
}

func startParamsSite(t *testing.T) *paramsSite {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
	srv, err := openServer(context.Background(), options{Addr: "127.0.0.1:0",
		DataDir: dir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	s := &paramsSite{t: t, dir: dir, base: strings.TrimSuffix(srv.URL(), "/ucmuser/")}
	for _, c := range readCredentials(t, dir) {
		switch c.id {
		case "demo.user":
			s.user = c
		case "demo.admin":
			s.admin = c
		}
	}
	if s.user.id == "" || s.admin.id == "" {
		t.Fatal("demo data lacks demo.user or demo.admin")
	}
	return s
}

// signIn returns a client with a Self Care session.
func (s *paramsSite) signIn(id, password string) *client {
	s.t.Helper()
	c := newClient(s.t, s.base)
	st, body := c.login(id, password)
	expect(s.t, "login "+id, st, http.StatusCreated, body)
	return c
}

// signInAdmin returns a client with demo.admin's administration session.
func (s *paramsSite) signInAdmin() *client {
	s.t.Helper()
	c := newClient(s.t, s.base)
	st, body := c.do("POST", "/ucmuser/api/v1/admin/session",
		map[string]string{"userId": s.admin.id, "password": s.admin.password}, nil)
	expect(s.t, "admin login", st, http.StatusCreated, body)
	return c
}

// cli runs the admin command line and returns its output and error.
func (s *paramsSite) cli(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"admin", "-data", s.dir}, args...),
		func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return out.String() + errOut.String(), err
}

// addEndUser adds an end user with a known password through the command
// line and signs them in.
func (s *paramsSite) addEndUser(id string) *client {
	s.t.Helper()
	runCLI(s.t, s.dir, "user", "add", id)
	runCLI(s.t, s.dir, "group", "add-member", "Standard CCM End Users", id)
	pw := "copper meadow seven kites"
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"admin", "-data", s.dir, "user",
		"set-password", id, "-stdin", "-keep"}, func(string) string { return "" },
		strings.NewReader(pw+"\n"), &out, &errOut)
	if err != nil {
		s.t.Fatalf("set-password: %v\n%s", err, errOut.String())
	}
	return s.signIn(id, pw)
}

// errorCode returns the code of a JSON error answer, or "".
func errorCode(body string) string {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Error.Code
}

// TestEndToEndFeatureGates flips every gate the portal has today, from the
// command line (another process on the same database) and through the
// administration API, and checks that the API, the page and the
// navigation follow at once, without a restart.
func TestEndToEndFeatureGates(t *testing.T) {
	s := startParamsSite(t)
	alice := s.signIn(s.user.id, s.user.password)
	admin := s.signInAdmin()

	gates := []struct {
		key, name string
		// api sends the feature's request with a wrong current password,
		// which an offered feature refuses as such and a hidden one never
		// checks.
		method, api string
		body        any
		page        string
	}{
		{params.KeyShowChangePIN, "Show Change PIN", "PUT", "/ucmuser/api/v1/pin",
			map[string]string{"currentPassword": "not it", "newPin": "80417263"}, "pin"},
		{params.KeyShowChangePassword, "Show Change Password", "PUT",
			"/ucmuser/api/v1/password",
			map[string]string{"currentPassword": "not it", "newPassword": "a long new one"},
			"password"},
	}
	for _, g := range gates {
		t.Run(g.key, func(t *testing.T) {
			link := `href="/ucmuser/` + g.page + `"`
			offered := func(how string) {
				t.Helper()
				st, body := alice.do(g.method, g.api, g.body, nil)
				if code := errorCode(body); st != http.StatusForbidden || code != "wrong_password" {
					t.Errorf("%s: API %d %s, want the feature to check the password",
						how, st, body)
				}
				st, body = alice.do("GET", "/ucmuser/"+g.page, nil, nil)
				expect(t, how+": page", st, http.StatusOK, body)
				_, body = alice.do("GET", "/ucmuser/phones", nil, nil)
				if !strings.Contains(body, link) {
					t.Errorf("%s: navigation lacks %s", how, link)
				}
			}
			hidden := func(how string) {
				t.Helper()
				st, body := alice.do(g.method, g.api, g.body, nil)
				if st != http.StatusForbidden || errorCode(body) != "feature_hidden" ||
					!strings.Contains(body, g.key) || !strings.Contains(body, g.name) {
					t.Errorf("%s: API %d %s, want 403 naming %s", how, st, body, g.key)
				}
				st, body = alice.do("GET", "/ucmuser/"+g.page, nil, nil)
				if st != http.StatusForbidden || !strings.Contains(body, g.name) {
					t.Errorf("%s: page %d, want 403 naming %s", how, st, g.name)
				}
				_, body = alice.do("GET", "/ucmuser/phones", nil, nil)
				if strings.Contains(body, link) {
					t.Errorf("%s: navigation still offers %s", how, link)
				}
			}

			offered("at first")
			out := runCLI(t, s.dir, "param", "set", g.key, "false")
			if !strings.Contains(out, g.key+": true -> false") {
				t.Errorf("CLI set printed %q", out)
			}
			hidden("hidden by the command line")
			st, body := admin.do("PUT", "/ucmuser/api/v1/admin/params/"+g.key,
				map[string]string{"value": "True"}, nil)
			expect(t, "admin API shows it", st, http.StatusOK, body)
			offered("shown by the admin API")
			st, body = admin.do("PUT", "/ucmuser/api/v1/admin/params/"+g.key,
				map[string]string{"value": "false"}, nil)
			expect(t, "admin API hides it", st, http.StatusOK, body)
			hidden("hidden by the admin API")
			runCLI(t, s.dir, "param", "reset", g.key)
			offered("reset by the command line")
		})
		// The wrong passwords above count; start each gate afresh.
		runCLI(t, s.dir, "user", "unlock", s.user.id)
	}

	// Every change is on the trail: who, what, old and new, from where.
	out := runCLI(t, s.dir, "audit", "-action", "param.set", "-n", "20")
	for _, want := range []string{"cli", s.admin.id, "127.0.0.1",
		`"true" -> "false"`, `"false" -> "true"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
}

// TestEndToEndAdministrationAPI checks who may use the administration API
// and walks the whole definition table through it on SQLite.
func TestEndToEndAdministrationAPI(t *testing.T) {
	s := startParamsSite(t)

	// The end user reaches the API with their session and is refused; the
	// administrator has no Self Care but an administration session.
	alice := s.signIn(s.user.id, s.user.password)
	st, body := alice.do("GET", "/ucmuser/api/v1/admin/params", nil, nil)
	expect(t, "end user lists parameters", st, http.StatusForbidden, body)
	st, body = alice.do("PUT", "/ucmuser/api/v1/admin/params/"+params.KeyShowChangePIN,
		map[string]string{"value": "false"}, nil)
	expect(t, "end user sets a parameter", st, http.StatusForbidden, body)
	anon := newClient(t, s.base)
	_, wrong := anon.login(s.user.id, "not the password")
	st, body = anon.login(s.admin.id, s.admin.password)
	expect(t, "administrator signs in to Self Care", st, http.StatusUnauthorized, body)
	if body != wrong {
		t.Errorf("the administrator's refusal differs from a wrong password:\n%s\n%s",
			body, wrong)
	}
	st, body = anon.do("POST", "/ucmuser/api/v1/admin/session",
		map[string]string{"userId": s.user.id, "password": s.user.password}, nil)
	expect(t, "end user signs in to the administration", st, http.StatusUnauthorized, body)
	admin := s.signInAdmin()
	st, body = admin.do("GET", "/ucmuser/api/v1/admin/params", nil, nil)
	expect(t, "administrator lists parameters", st, http.StatusOK, body)

	// Every parameter: its default round-trips, a bad value is refused
	// with an error naming it and its allowed values, a reset unsets it.
	for _, d := range params.Definitions() {
		path := "/ucmuser/api/v1/admin/params/" + url.PathEscape(d.Key)
		st, body := admin.do("PUT", path, map[string]string{"value": d.Default}, nil)
		var got struct {
			Param struct {
				Value string
				Set   bool
			}
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || st != http.StatusOK ||
			got.Param.Value != d.Default || !got.Param.Set {
			t.Errorf("%s: set default: %d %s", d.Key, st, body)
		}

		st, body = admin.do("PUT", path, map[string]string{"value": badParamValue(d)}, nil)
		if st != http.StatusBadRequest || errorCode(body) != "invalid" ||
			!strings.Contains(body, `"field":"`+d.Key+`"`) ||
			!strings.Contains(body, d.DisplayName) || !strings.Contains(body, "Allowed:") {
			t.Errorf("%s: bad value: %d %s", d.Key, st, body)
		}

		st, body = admin.do("DELETE", path, nil, nil)
		if st != http.StatusOK || !strings.Contains(body, `"set":false`) {
			t.Errorf("%s: reset: %d %s", d.Key, st, body)
		}
	}

	// The command line refuses alike, naming the parameter and the
	// allowed values.
	out, err := s.cli("param", "set", "Activation Time to Live (Hours)", "500")
	if err == nil || !strings.Contains(err.Error(), "Activation Time to Live (Hours)") ||
		!strings.Contains(err.Error(), "from 1 to 168") {
		t.Errorf("CLI bad value: %v\n%s", err, out)
	}
}

// badParamValue returns a value that d refuses.
func badParamValue(d params.Definition) string {
	switch d.Kind {
	case params.KindBool:
		return "perhaps"
	case params.KindEnum:
		return "not-an-option"
	case params.KindInt:
		return strconv.Itoa(d.Max + 1)
	case params.KindDuration:
		return params.FormatDuration(d.MaxDuration + time.Minute)
	case params.KindServer:
		return "no-such-node"
	}
	return strings.Repeat("x", d.MaxLen+1)
}

// TestEndToEndLoginTimeRule sets the Extension Mobility login time through
// the API for a user whose profile allows it and one whose profile does
// not, then takes the permission away from the first.
func TestEndToEndLoginTimeRule(t *testing.T) {
	s := startParamsSite(t)
	runCLI(t, s.dir, "profile", "add", "Hot Desk", "-allow-em", "-description",
		"Shared desks")
	runCLI(t, s.dir, "profile", "add", "Office")
	runCLI(t, s.dir, "profile", "assign", s.user.id, "Hot Desk")
	alice := s.signIn(s.user.id, s.user.password)
	bob := s.addEndUser("bob.office")
	runCLI(t, s.dir, "profile", "assign", "bob.office", "Office")

	// The administrator sets an intra-cluster limit; enforcement follows.
	admin := s.signInAdmin()
	st, body := admin.do("PUT", "/ucmuser/api/v1/admin/params/"+
		params.KeyIntraClusterLoginTime, map[string]string{"value": "4:00"}, nil)
	expect(t, "set intra-cluster limit", st, http.StatusOK, body)

	type emAnswer struct {
		Allowed   bool
		Choice    string
		Effective struct{ IntraCluster, InterCluster string }
	}
	em := func(c *client, what string) emAnswer {
		t.Helper()
		st, body := c.do("GET", "/ucmuser/api/v1/extension-mobility", nil, nil)
		expect(t, what, st, http.StatusOK, body)
		var a emAnswer
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	limits := func(a emAnswer) string {
		return a.Effective.IntraCluster + " " + a.Effective.InterCluster
	}

	// The profile allows it: the user's time overrides both limits.
	if a := em(alice, "alice before"); !a.Allowed || limits(a) != "4:00 8:00" {
		t.Errorf("alice before choosing: %+v", a)
	}
	st, body = alice.do("PUT", "/ucmuser/api/v1/extension-mobility",
		map[string]string{"choice": "10:30"}, map[string]string{"If-Match": `"0"`})
	expect(t, "alice chooses 10:30", st, http.StatusOK, body)
	if a := em(alice, "alice after"); limits(a) != "10:30 10:30" || a.Choice != "10:30" {
		t.Errorf("alice after choosing: %+v", a)
	}
	st, body = alice.do("PUT", "/ucmuser/api/v1/extension-mobility",
		map[string]string{"choice": "168:01"}, map[string]string{"If-Match": `"1"`})
	expect(t, "alice chooses more than a week", st, http.StatusBadRequest, body)
	st, body = alice.do("GET", "/ucmuser/extension-mobility", nil, nil)
	expect(t, "alice's page", st, http.StatusOK, body)
	if !strings.Contains(body, `name="choice" value="custom" checked`) {
		t.Errorf("alice's page does not show her custom choice: %.600s", body)
	}

	// The profile does not: the service parameters apply, and no change.
	if a := em(bob, "bob"); a.Allowed || limits(a) != "4:00 8:00" {
		t.Errorf("bob: %+v", a)
	}
	st, body = bob.do("PUT", "/ucmuser/api/v1/extension-mobility",
		map[string]string{"choice": "none"}, nil)
	if st != http.StatusForbidden || !strings.Contains(body, params.ProfileOptionEMLoginTime) {
		t.Errorf("bob sets a time: %d %s", st, body)
	}
	st, _ = bob.do("GET", "/ucmuser/extension-mobility", nil, nil)
	expect(t, "bob's page", st, http.StatusForbidden, "")
	_, body = bob.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(body, `href="/ucmuser/extension-mobility"`) {
		t.Error("bob's navigation offers Extension Mobility")
	}

	// The first profile stops allowing it: alice's time stays stored but
	// the service parameters apply again, at once.
	runCLI(t, s.dir, "profile", "set", "Hot Desk", "-allow-em=false")
	if a := em(alice, "alice without the option"); a.Allowed || limits(a) != "4:00 8:00" ||
		a.Choice != "10:30" {
		t.Errorf("alice once the profile stopped allowing it: %+v", a)
	}
	if out, err := s.cli("profile", "delete", "Hot Desk"); err == nil {
		t.Errorf("deleted a profile in use:\n%s", out)
	}
}

// TestEndToEndDefaultServer asks the unauthenticated endpoint which server
// serves embedded pages as the cluster and the parameter change.
func TestEndToEndDefaultServer(t *testing.T) {
	s := startParamsSite(t)
	anon := newClient(t, s.base)
	server := func(what string) string {
		t.Helper()
		st, body := anon.do("GET", "/ucmuser/api/v1/default-server", nil, nil)
		expect(t, what, st, http.StatusOK, body)
		var a struct{ Server string }
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatal(err)
		}
		return a.Server
	}

	st, body := anon.do("GET", "/ucmuser/api/v1/default-server", nil, nil)
	expect(t, "no servers", st, http.StatusNotFound, body)
	runCLI(t, s.dir, "server", "add", "cucm-pub.example.com", "-publisher")
	runCLI(t, s.dir, "server", "add", "cucm-sub1.example.com")
	if got := server("None"); got != "cucm-pub.example.com" {
		t.Errorf("with None: %s, want the publisher", got)
	}

	admin := s.signInAdmin()
	st, body = admin.do("PUT", "/ucmuser/api/v1/admin/params/"+params.KeyDefaultServer,
		map[string]string{"value": "cucm-sub1.example.com"}, nil)
	expect(t, "choose the subscriber", st, http.StatusOK, body)
	if got := server("subscriber"); got != "cucm-sub1.example.com" {
		t.Errorf("with the subscriber chosen: %s", got)
	}
	out := runCLI(t, s.dir, "server", "list")
	if !strings.Contains(out, "cucm-sub1.example.com  subscriber  default") {
		t.Errorf("server list:\n%s", out)
	}
	if out, err := s.cli("server", "remove", "cucm-sub1.example.com"); err == nil {
		t.Errorf("removed the default server:\n%s", out)
	}
	out, err := s.cli("param", "set", params.KeyDefaultServer, "cucm-sub9")
	if err == nil || !strings.Contains(err.Error(), "Self Care Portal Default Server") ||
		!strings.Contains(err.Error(), "cucm-pub.example.com") {
		t.Errorf("unknown server: %v\n%s", err, out)
	}
	runCLI(t, s.dir, "server", "set-publisher", "cucm-sub1.example.com")
	runCLI(t, s.dir, "param", "reset", params.KeyDefaultServer)
	if got := server("None again"); got != "cucm-sub1.example.com" {
		t.Errorf("after moving the publisher: %s", got)
	}
}

// TestEndToEndAdministrationFindings walks what testers found in the
// administration, through the command line and the API on one database:
// where the command line acts from, help on stdout, server names in other
// letter case, refusals as sentences that name what they refuse.
func TestEndToEndAdministrationFindings(t *testing.T) {
	s := startParamsSite(t)
	admin := s.signInAdmin()
	const api = "/ucmuser/api/v1/admin/"

	// Help is the command's output, not an error.
	if out := runCLI(t, s.dir, "param", "help"); !strings.Contains(out,
		"param set KEY VALUE") {
		t.Errorf("param help printed nothing on stdout: %q", out)
	}

	// A server in other letter case is the same server: no rename, and
	// the parameter naming it keeps its value and stays off the trail.
	runCLI(t, s.dir, "server", "add", "Mixed.example.com", "-publisher")
	runCLI(t, s.dir, "server", "add", "cucm-sub1.example.com")
	out := runCLI(t, s.dir, "param", "set", params.KeyDefaultServer, "CUCM-SUB1.EXAMPLE.COM")
	if !strings.Contains(out, "None -> cucm-sub1.example.com") {
		t.Errorf("setting the server in upper case printed %q", out)
	}
	runCLI(t, s.dir, "param", "set", "self care portal default server", "MIXED.example.com")
	before := runCLI(t, s.dir, "audit", "-n", "100")
	out = runCLI(t, s.dir, "server", "add", "mixed.example.com", "-publisher")
	if !strings.Contains(out, "Mixed.example.com exists") {
		t.Errorf("server add in other case printed %q", out)
	}
	if after := runCLI(t, s.dir, "audit", "-n", "100"); after != before {
		t.Errorf("a change of letter case only reached the trail:\n%s", after)
	}
	out = runCLI(t, s.dir, "param", "get", params.KeyDefaultServer)
	if !strings.Contains(out, "Mixed.example.com (set)") {
		t.Errorf("the parameter no longer names the server as stored:\n%s", out)
	}

	// Every command-line change says where it came from.
	out = runCLI(t, s.dir, "audit", "-action", "param.set", "-n", "5")
	if origin := cliOrigin(); !strings.Contains(out, origin) {
		t.Errorf("audit rows lack %q:\n%s", origin, out)
	}

	// Refusals are sentences naming what they refuse, said once.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"server", "remove", "nope"}, `admin: There is no server "nope".`},
		{[]string{"server", "remove", "MIXED.example.com"}, `admin: The server ` +
			`"Mixed.example.com" cannot be removed: the parameter "Self Care Portal ` +
			`Default Server" (CCMUserOptionsPortalDefaultServer) names it. Set that ` +
			`parameter to another server or None first.`},
		{[]string{"server", "add", "a..b"}, `admin: Server name (Name) cannot be ` +
			`"a..b": it has an empty label (a leading, trailing or doubled dot).`},
		{[]string{"param", "set", params.KeyIntraClusterLoginTime, "1:60"},
			`admin: Intra-cluster Maximum Login Time (EMIntraClusterMaxLoginTime) ` +
				`cannot be "1:60": the minutes are above 59.`},
	} {
		_, err := s.cli(tt.args...)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v:\n got  %v\n want %s", tt.args, err, tt.want)
		}
	}

	// The API takes a JSON true as the CLI takes "true", finds parameters
	// by display name, and names the parameter when it keeps a server.
	st, body := admin.do("PUT", api+"params/Show%20Change%20PIN",
		map[string]any{"value": false}, nil)
	if st != http.StatusOK || !strings.Contains(body, `"new":"false"`) {
		t.Errorf("JSON false by display name: %d %s", st, body)
	}
	st, body = admin.do("DELETE", api+"servers/mixed.example.com", nil, nil)
	if st != http.StatusConflict || !strings.Contains(body,
		`Self Care Portal Default Server\" (CCMUserOptionsPortalDefaultServer) names it`) {
		t.Errorf("removing the default server through the API: %d %s", st, body)
	}
}

package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/web"
)

const (
	adminUser     = "ada.admin"
	adminPassword = "Quiet-lantern-71"
)

// local is the command line's caller, for setting up.
var local = selfcare.LocalCaller("")

// call serves one request with the given cookies; a body that starts with
// "{" is JSON, any other a form.
func call(tb testing.TB, h http.Handler, method, target, body string,
	cookies ...*http.Cookie) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	switch {
	case strings.HasPrefix(body, "{"):
		req.Header.Set("Content-Type", "application/json")
	case body != "":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// user is the signed-in end user's cookie.
func (p *portal) user() *http.Cookie {
	return &http.Cookie{Name: web.DefaultCookieName, Value: p.token}
}

// setParam sets a parameter as the command line would.
func (p *portal) setParam(key, value string) {
	p.tb.Helper()
	if _, err := p.svc.SetParam(p.tb.Context(), local, key, value); err != nil {
		p.tb.Fatalf("SetParam(%s, %s): %v", key, value, err)
	}
}

// signInAdmin adds a super user and signs them in to the administration
// API, returning its cookie.
func (p *portal) signInAdmin() *http.Cookie {
	p.tb.Helper()
	ctx := p.tb.Context()
	u := selfcare.User{ID: adminUser, FirstName: "Ada"}
	if err := p.svc.CreateUser(ctx, "", u, adminPassword, ""); err != nil {
		p.tb.Fatal(err)
	}
	if err := p.svc.AddGroupMember(ctx, "", acl.GroupStandardCCMSuperUsers, adminUser); err != nil {
		p.tb.Fatal(err)
	}
	rec := call(p.tb, p.h, "POST", "/ucmuser/api/v1/admin/session",
		`{"userId":"`+adminUser+`","password":"`+adminPassword+`"}`)
	if rec.Code != http.StatusCreated {
		p.tb.Fatalf("admin login: %d %s", rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == web.AdminCookieName {
			if c.Path != "/ucmuser/api/v1/admin/" || !c.HttpOnly {
				p.tb.Errorf("admin cookie path %q, HttpOnly %t", c.Path, c.HttpOnly)
			}
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	p.tb.Fatal("admin login set no admin cookie")
	return nil
}

// apiError decodes an error answer with its message and fields.
func apiErr(tb testing.TB, rec *httptest.ResponseRecorder) (code, msg string,
	fields map[string]string) {
	tb.Helper()
	var e struct {
		Error struct {
			Code, Message string
			Fields        []struct{ Field, Message string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		tb.Fatalf("error body %q: %v", rec.Body, err)
	}
	fields = map[string]string{}
	for _, f := range e.Error.Fields {
		fields[f.Field] = f.Message
	}
	return e.Error.Code, e.Error.Message, fields
}

func TestHiddenPINFollowsTheParameterAtOnce(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	pinBody := `{"currentPassword":"` + probePassword + `","newPin":"80417263"}`
	navPIN := `href="/ucmuser/pin"`

	if rec := call(t, p.h, "GET", "/ucmuser/phones", "", p.user()); !strings.Contains(
		rec.Body.String(), navPIN) {
		t.Fatalf("PIN link missing while shown: %s", rec.Body)
	}

	p.setParam(params.KeyShowChangePIN, "false")
	rec := call(t, p.h, "PUT", "/ucmuser/api/v1/pin", pinBody, p.user())
	if rec.Code != http.StatusForbidden {
		t.Fatalf("PUT pin while hidden: %d %s", rec.Code, rec.Body)
	}
	code, msg, fields := apiErr(t, rec)
	if code != "feature_hidden" || !strings.Contains(msg, `"Show Change PIN"`) ||
		fields[params.KeyShowChangePIN] != "Show Change PIN" {
		t.Errorf("error %q %q %v; want it to name Show Change PIN", code, msg, fields)
	}
	rec = call(t, p.h, "GET", "/ucmuser/pin", "", p.user())
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(),
		"Show Change PIN") {
		t.Errorf("PIN page while hidden: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "POST", "/ucmuser/pin", "currentPassword=x&newPin=1&confirmPin=1",
		p.user())
	if rec.Code != http.StatusForbidden {
		t.Errorf("PIN form while hidden: %d", rec.Code)
	}
	if rec := call(t, p.h, "GET", "/ucmuser/phones", "", p.user()); strings.Contains(
		rec.Body.String(), navPIN) {
		t.Error("PIN link still offered while hidden")
	}

	p.setParam(params.KeyShowChangePIN, "true")
	if rec := call(t, p.h, "GET", "/ucmuser/pin", "", p.user()); rec.Code != http.StatusOK {
		t.Errorf("PIN page once shown: %d", rec.Code)
	}
	if rec := call(t, p.h, "PUT", "/ucmuser/api/v1/pin", pinBody, p.user()); rec.Code !=
		http.StatusNoContent {
		t.Errorf("PUT pin once shown: %d %s", rec.Code, rec.Body)
	}
}

func TestHiddenPasswordPageAndLink(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	p.setParam(params.KeyShowChangePassword, "false")
	if rec := call(t, p.h, "GET", "/ucmuser/password", "", p.user()); rec.Code !=
		http.StatusForbidden {
		t.Errorf("password page while hidden: %d", rec.Code)
	}
	if rec := call(t, p.h, "GET", "/ucmuser/phones", "", p.user()); strings.Contains(
		rec.Body.String(), `href="/ucmuser/password"`) {
		t.Error("password link offered while hidden")
	}
	rec := call(t, p.h, "GET", "/ucmuser/api/v1/features", "", p.user())
	var f struct {
		Features       map[string]bool
		CallForwarding string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil || rec.Code != 200 {
		t.Fatalf("features: %d %s", rec.Code, rec.Body)
	}
	if f.Features["change-password"] || !f.Features["change-pin"] ||
		f.CallForwarding != "show-all" || f.Features["em-login-time"] {
		t.Errorf("features = %+v", f)
	}
}

func TestExtensionMobilityPageAndAPI(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	ctx := t.Context()

	// Without a profile option: no page, no link, no change; the limits show.
	if rec := call(t, p.h, "GET", "/ucmuser/extension-mobility", "", p.user()); rec.Code !=
		http.StatusForbidden {
		t.Errorf("page without the profile option: %d", rec.Code)
	}
	rec := call(t, p.h, "GET", "/ucmuser/api/v1/extension-mobility", "", p.user())
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(),
		`"allowed":false`) || !strings.Contains(rec.Body.String(),
		`"effective":{"intraCluster":"none","interCluster":"8:00"}`) {
		t.Errorf("GET without the option: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", "/ucmuser/api/v1/extension-mobility", `{"choice":"2:00"}`,
		p.user())
	if _, _, fields := apiErr(t, rec); rec.Code != http.StatusForbidden ||
		fields[params.ProfileOptionEMLoginTime] == "" {
		t.Errorf("PUT without the option: %d %s", rec.Code, rec.Body)
	}

	// With it, the page offers the three choices and the user's time rules.
	prof := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}
	if _, err := p.svc.PutProfile(ctx, local, prof); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.AssignProfile(ctx, local, probeUser, prof.Name); err != nil {
		t.Fatal(err)
	}
	rec = call(t, p.h, "GET", "/ucmuser/extension-mobility", "", p.user())
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `value="none"`) ||
		!strings.Contains(body, `name="hours"`) ||
		!strings.Contains(body, `href="/ucmuser/extension-mobility"`) {
		t.Fatalf("page with the option: %d %s", rec.Code, body)
	}
	form := url.Values{"choice": {"custom"}, "hours": {"10"}, "minutes": {"30"},
		"version": {"0"}}
	rec = followSavedRec(t, p.h, call(t, p.h, "POST", "/ucmuser/extension-mobility",
		form.Encode(), p.user()), p.user())
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<td>10:30</td>") {
		t.Errorf("custom time by form: %d %s", rec.Code, rec.Body)
	}
	form.Set("hours", "168")
	form.Set("version", "1")
	rec = call(t, p.h, "POST", "/ucmuser/extension-mobility", form.Encode(), p.user())
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(),
		"Enter at most 168 hours") {
		t.Errorf("168:30 by form: %d %s", rec.Code, rec.Body)
	}
	rec = callIfMatch(t, p.h, "PUT", "/ucmuser/api/v1/extension-mobility",
		`{"choice":"none"}`, `"1"`, p.user())
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(),
		`"effective":{"intraCluster":"none","interCluster":"none"}`) {
		t.Errorf("PUT none: %d %s", rec.Code, rec.Body)
	}
}

func TestDefaultServerNeedsNoSession(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	rec := call(t, p.h, "GET", "/ucmuser/api/v1/default-server", "")
	if code, _, _ := apiErr(t, rec); rec.Code != http.StatusNotFound || code != "not_found" {
		t.Errorf("without servers: %d %s", rec.Code, rec.Body)
	}
	for _, s := range []params.Server{{Name: "cucm-pub", Publisher: true}, {Name: "cucm-sub"}} {
		if err := p.svc.PutServer(t.Context(), local, s); err != nil {
			t.Fatal(err)
		}
	}
	rec = call(t, p.h, "GET", "/ucmuser/api/v1/default-server", "")
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) !=
		`{"server":"cucm-pub"}` {
		t.Errorf("with None: %d %s", rec.Code, rec.Body)
	}
	p.setParam(params.KeyDefaultServer, "cucm-sub")
	rec = call(t, p.h, "GET", "/ucmuser/api/v1/default-server", "")
	if strings.TrimSpace(rec.Body.String()) != `{"server":"cucm-sub"}` {
		t.Errorf("with cucm-sub: %d %s", rec.Code, rec.Body)
	}
}

func TestAdminAPI(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	adm := p.signInAdmin()
	const base = "/ucmuser/api/v1/admin/"

	// The end user's session reaches the API, and the grant says no.
	for _, target := range []string{"params", "params/ShowChangePin", "profiles", "servers"} {
		rec := call(t, p.h, "GET", base+target, "", p.user())
		if code, _, _ := apiErr(t, rec); rec.Code != http.StatusForbidden || code != "forbidden" {
			t.Errorf("end user GET %s: %d %s", target, rec.Code, rec.Body)
		}
	}
	if rec := call(t, p.h, "GET", base+"params", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("no session: %d", rec.Code)
	}
	// The administration cookie opens no Self Care page.
	if rec := call(t, p.h, "GET", "/ucmuser/phones", "", adm); rec.Code != http.StatusSeeOther {
		t.Errorf("phones page with only the admin cookie: %d", rec.Code)
	}

	rec := call(t, p.h, "GET", base+"params", "", adm)
	var list struct {
		Params []struct{ Key, Value, Allowed string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != 200 {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if len(list.Params) != len(params.Definitions()) {
		t.Errorf("listed %d parameters, want %d", len(list.Params), len(params.Definitions()))
	}

	// A refused value names the parameter and what is allowed.
	rec = call(t, p.h, "PUT", base+"params/"+params.KeyActivationTTL, `{"value":"200"}`, adm)
	code, _, fields := apiErr(t, rec)
	if rec.Code != http.StatusBadRequest || code != "invalid" ||
		!strings.Contains(fields[params.KeyActivationTTL], "Activation Time to Live (Hours)") ||
		!strings.Contains(fields[params.KeyActivationTTL], "from 1 to 168") {
		t.Errorf("bad value: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", base+"params/NoSuchThing", `{"value":"1"}`, adm)
	if code, _, _ := apiErr(t, rec); rec.Code != http.StatusNotFound ||
		code != "unknown_parameter" {
		t.Errorf("unknown key: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", base+"params/"+params.KeyIntraClusterLoginTime,
		`{"value":"4:00"}`, adm)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(),
		`{"key":"EMEnforceIntraClusterMaxLoginTime","old":"false","new":"true","implied":true}`) {
		t.Errorf("set with an implied change: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "DELETE", base+"params/"+params.KeyIntraClusterLoginTime, "", adm)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"set":false`) {
		t.Errorf("reset: %d %s", rec.Code, rec.Body)
	}

	// Profiles: create, replace, assign, refuse to delete while in use.
	rec = call(t, p.h, "PUT", base+"profiles/Hot%20Desk", `{"allowEMMaxLoginTime":true}`, adm)
	if rec.Code != http.StatusCreated {
		t.Errorf("create profile: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", base+"profiles/Hot%20Desk",
		`{"description":"Shared desks","allowEMMaxLoginTime":true}`, adm)
	if rec.Code != http.StatusOK {
		t.Errorf("replace profile: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", base+"profiles/%20padded", `{}`, adm)
	if _, _, fields := apiErr(t, rec); rec.Code != http.StatusBadRequest ||
		fields["Name"] == "" {
		t.Errorf("bad profile name: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", base+"users/"+probeUser+"/profile", `{"profile":"Nope"}`, adm)
	if rec.Code != http.StatusNotFound {
		t.Errorf("assign unknown profile: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", base+"users/"+probeUser+"/profile", `{"profile":"Hot Desk"}`,
		adm)
	if rec.Code != http.StatusNoContent {
		t.Errorf("assign: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "DELETE", base+"profiles/Hot%20Desk", "", adm)
	if code, _, _ := apiErr(t, rec); rec.Code != http.StatusConflict || code != "in_use" {
		t.Errorf("delete in use: %d %s", rec.Code, rec.Body)
	}
	// The user's next request sees the profile.
	if rec := call(t, p.h, "GET", "/ucmuser/extension-mobility", "", p.user()); rec.Code !=
		http.StatusOK {
		t.Errorf("EM page after the assignment: %d", rec.Code)
	}

	// Servers.
	rec = call(t, p.h, "PUT", base+"servers/cucm-sub", `{}`, adm)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("subscriber first: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", base+"servers/cucm-pub", `{"publisher":true}`, adm)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(),
		`"defaultServer":"cucm-pub"`) {
		t.Errorf("add publisher: %d %s", rec.Code, rec.Body)
	}

	// Every change above is on the trail with the administrator's name.
	es, err := p.svc.Audit(t.Context(), selfcare.AuditFilter{Actor: adminUser, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range es {
		if e.Outcome == selfcare.OutcomeOK && e.RemoteAddr != "" {
			seen[e.Action] = true
		}
	}
	for _, a := range []string{selfcare.ActionParamSet, selfcare.ActionParamReset,
		selfcare.ActionProfilePut, selfcare.ActionProfileAssign, selfcare.ActionServerPut} {
		if !seen[a] {
			t.Errorf("no audited %s by %s", a, adminUser)
		}
	}

	// Logging out ends the administration session.
	if rec := call(t, p.h, "DELETE", base+"session", "", adm); rec.Code != http.StatusNoContent {
		t.Errorf("admin logout: %d", rec.Code)
	}
	if rec := call(t, p.h, "GET", base+"params", "", adm); rec.Code != http.StatusUnauthorized {
		t.Errorf("after logout: %d", rec.Code)
	}
}

// TestAdminAPIRefusalsNameWhatTheyRefuse checks that every refusal of the
// administration API names the parameter, server or profile, in a
// sentence, and that the API finds parameters as the command line does.
func TestAdminAPIRefusalsNameWhatTheyRefuse(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	adm := p.signInAdmin()
	const base = "/ucmuser/api/v1/admin/"
	put := func(target, body string) *httptest.ResponseRecorder {
		t.Helper()
		return call(t, p.h, "PUT", base+target, body, adm)
	}

	t.Run("json_scalars_are_taken_as_text", func(t *testing.T) {
		for _, tt := range []struct{ key, body, want string }{
			{params.KeyShowChangePIN, `{"value":false}`, `"new":"false"`},
			{params.KeyShowChangePIN, `{"value":true}`, `"new":"true"`},
			{params.KeyForwardMaxHop, `{"value":10}`, `"new":"10"`},
		} {
			rec := put("params/"+tt.key, tt.body)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("%s %s: %d %s", tt.key, tt.body, rec.Code, rec.Body)
			}
		}
		rec := put("params/"+params.KeyForwardMaxHop, `{"value":1e1}`)
		if _, _, fields := apiErr(t, rec); rec.Code != http.StatusBadRequest ||
			!strings.Contains(fields[params.KeyForwardMaxHop], `"1e1"`) {
			t.Errorf("1e1: %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("other_json_is_refused_naming_the_parameter", func(t *testing.T) {
		for _, body := range []string{`{"value":null}`, `{"value":{"a":1}}`, `{"value":[]}`} {
			rec := put("params/"+params.KeyShowChangePIN, body)
			code, msg, fields := apiErr(t, rec)
			f := fields[params.KeyShowChangePIN]
			if rec.Code != http.StatusBadRequest || code != "invalid" || f != msg ||
				!strings.Contains(f, "Show Change PIN (ShowChangePin)") ||
				!strings.Contains(f, "JSON string") {
				t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
			}
		}
	})
	t.Run("keys_and_display_names_in_any_case", func(t *testing.T) {
		for _, name := range []string{"showchangepin", "Show%20Change%20PIN"} {
			rec := put("params/"+name, `{"value":"false"}`)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(),
				`"key":"ShowChangePin"`) {
				t.Errorf("PUT params/%s: %d %s", name, rec.Code, rec.Body)
			}
			rec = call(t, p.h, "GET", base+"params/"+name, "", adm)
			if rec.Code != http.StatusOK {
				t.Errorf("GET params/%s: %d %s", name, rec.Code, rec.Body)
			}
		}
	})
	t.Run("unknown_key_named", func(t *testing.T) {
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			rec := call(t, p.h, method, base+"params/NoSuchThing", `{"value":"1"}`, adm)
			code, msg, fields := apiErr(t, rec)
			want := `No parameter has the key or display name "NoSuchThing".`
			if rec.Code != http.StatusNotFound || code != "unknown_parameter" ||
				msg != want || fields["key"] != want {
				t.Errorf("%s: %d %s", method, rec.Code, rec.Body)
			}
		}
	})
	t.Run("refused_value_is_one_sentence", func(t *testing.T) {
		rec := put("params/"+params.KeyActivationTTL, `{"value":"200"}`)
		_, msg, _ := apiErr(t, rec)
		want := `Activation Time to Live (Hours) (ActivationTimeToLiveHours) cannot be ` +
			`"200": it is above 168. Allowed: a whole number from 1 to 168 hours.`
		if rec.Code != http.StatusBadRequest || msg != want {
			t.Errorf("got  %d %s\nwant %s", rec.Code, msg, want)
		}
	})
	t.Run("default_server_removal_names_the_parameter", func(t *testing.T) {
		put("servers/cucm-pub.example.com", `{"publisher":true}`)
		put("servers/cucm-sub.example.com", `{}`)
		put("params/"+params.KeyDefaultServer, `{"value":"CUCM-SUB.example.com"}`)
		rec := call(t, p.h, "DELETE", base+"servers/cucm-sub.example.com", "", adm)
		code, msg, fields := apiErr(t, rec)
		if rec.Code != http.StatusConflict || code != "in_use" ||
			!strings.Contains(msg, `"Self Care Portal Default Server" (`+
				params.KeyDefaultServer+`)`) ||
			fields[params.KeyDefaultServer] != "Self Care Portal Default Server" {
			t.Errorf("DELETE the default server: %d %s", rec.Code, rec.Body)
		}
		rec = call(t, p.h, "DELETE", base+"servers/nope", "", adm)
		if _, msg, _ := apiErr(t, rec); rec.Code != http.StatusNotFound ||
			msg != `There is no server "nope".` {
			t.Errorf("DELETE an unknown server: %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("names_that_mislead_are_refused", func(t *testing.T) {
		put("profiles/Hot%20Desk", `{}`)
		for target, field := range map[string]string{
			"servers/a..b":                            "Name",
			"servers/cucm%E2%80%AE.example.com":       "Name",
			"profiles/Hot%E2%80%AEDesk":               "Name",
			"profiles/Hot%E2%80%8BDesk":               "Name",
			"profiles/hot%20desk":                     "Name",
			"profiles/" + strings.Repeat("n", 5000):   "Name",
			"profiles/%EF%BB%BFHot%20Desk%20Reserved": "Name",
		} {
			rec := put(target, `{}`)
			_, _, fields := apiErr(t, rec)
			if rec.Code != http.StatusBadRequest || fields[field] == "" ||
				rec.Body.Len() > 1500 {
				t.Errorf("PUT %.40s: %d %.300s", target, rec.Code, rec.Body)
			}
		}
		rec := put("profiles/hot%20desk", `{}`)
		if _, _, fields := apiErr(t, rec); !strings.Contains(fields["Name"], `"Hot Desk"`) {
			t.Errorf("the clash does not name the other profile: %s", rec.Body)
		}
	})
}

func TestExtensionMobilityRefusesAMissingChoice(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	const api = "/ucmuser/api/v1/extension-mobility"

	// Without a profile, the refusal says so in a sentence.
	rec := call(t, p.h, "PUT", api, `{"choice":"none"}`, p.user())
	_, msg, _ := apiErr(t, rec)
	want := `Not offered: The Extension Mobility login time. You have no user profile, ` +
		`and only a profile with "Allow End User to set their Extension Mobility ` +
		`maximum login time" (AllowEMMaxLoginTime) turned on offers it.`
	if rec.Code != http.StatusForbidden || msg != want {
		t.Errorf("without a profile:\n got  %d %s\n want %s", rec.Code, msg, want)
	}

	prof := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}
	if _, err := p.svc.PutProfile(t.Context(), local, prof); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.AssignProfile(t.Context(), local, probeUser, prof.Name); err != nil {
		t.Fatal(err)
	}
	if rec := callIfMatch(t, p.h, "PUT", api, `{"choice":"none"}`, `"0"`,
		p.user()); rec.Code != 200 {
		t.Fatalf("none: %d %s", rec.Code, rec.Body)
	}
	for _, tt := range []struct{ body, says string }{
		{`{}`, "no choice was sent"},
		{`{"choice":""}`, "no choice was sent"},
		{`{"choice":"1:60"}`, "the minutes are above 59"},
		{`{"choice":"١٦٨:٠٠"}`, "the hours must be ASCII digits 0-9"},
	} {
		rec := callIfMatch(t, p.h, "PUT", api, tt.body, `"1"`, p.user())
		_, _, fields := apiErr(t, rec)
		if rec.Code != http.StatusBadRequest || !strings.Contains(fields["choice"], tt.says) ||
			fields["EMLoginChoice"] != "" {
			t.Errorf("%s: %d %s", tt.body, rec.Code, rec.Body)
		}
	}
	// The refusals left the choice alone.
	rec = call(t, p.h, "GET", api, "", p.user())
	if !strings.Contains(rec.Body.String(), `"choice":"none"`) {
		t.Errorf("after the refusals: %s", rec.Body)
	}
	// The form names the same field, and shows its error beside it.
	form := url.Values{"choice": {"custom"}, "hours": {"1"}, "minutes": {"60"},
		"version": {"1"}}
	rec = call(t, p.h, "POST", "/ucmuser/extension-mobility", form.Encode(), p.user())
	if body := rec.Body.String(); rec.Code != http.StatusBadRequest ||
		!strings.Contains(body, `id="em-error"`) {
		t.Errorf("form with 1:60: %d %.2000s", rec.Code, body)
	}
	rec = call(t, p.h, "POST", "/ucmuser/extension-mobility", "choice=later&version=1",
		p.user())
	if body := rec.Body.String(); rec.Code != http.StatusBadRequest ||
		!strings.Contains(body, `id="em-error"`) {
		t.Errorf("form without a valid choice: %d %.2000s", rec.Code, body)
	}
}

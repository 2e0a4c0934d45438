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
	form := url.Values{"choice": {"custom"}, "hours": {"10"}, "minutes": {"30"}}
	rec = call(t, p.h, "POST", "/ucmuser/extension-mobility", form.Encode(), p.user())
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<td>10:30</td>") {
		t.Errorf("custom time by form: %d %s", rec.Code, rec.Body)
	}
	form.Set("hours", "168")
	rec = call(t, p.h, "POST", "/ucmuser/extension-mobility", form.Encode(), p.user())
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(),
		"above 168:00") {
		t.Errorf("168:30 by form: %d %s", rec.Code, rec.Body)
	}
	rec = call(t, p.h, "PUT", "/ucmuser/api/v1/extension-mobility", `{"choice":"none"}`,
		p.user())
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

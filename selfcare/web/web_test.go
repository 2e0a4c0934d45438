package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/web"
)

// send serves one request with an optional body and headers given as
// name, value pairs; "Content-Type" defaults to JSON when there is a body.
func (p *portal) send(h http.Handler, method, target, body string,
	hdr ...string) *httptest.ResponseRecorder {
	p.tb.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: p.token})
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type apiErrorBody struct {
	Error struct {
		Code   string
		Fields []map[string]string
	}
}

func decodeError(tb testing.TB, rec *httptest.ResponseRecorder) apiErrorBody {
	tb.Helper()
	var e apiErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		tb.Fatalf("error body %q is not JSON: %v", rec.Body.String(), err)
	}
	return e
}

func TestAPIRefusesMalformedRequests(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	login := `{"userId":"` + probeUser + `","password":"` + probePassword + `"}`
	cases := []struct {
		name, method, target, body string
		hdr                        []string
		status                     int
		code, allow                string
	}{
		// Routing: JSON answers, 405 with Allow where another method serves.
		{"unknown path is 404", "GET", "/ucmuser/api/v1/nothing", "", nil,
			404, "not_found", ""},
		{"GET on session is 405", "GET", "/ucmuser/api/v1/session", "", nil,
			405, "method_not_allowed", "POST, DELETE"},
		{"PATCH on me is 405", "PATCH", "/ucmuser/api/v1/me", "", nil,
			405, "method_not_allowed", "GET"},

		// Bodies: one JSON object, exactly named members, JSON content type.
		{"member names are case-sensitive", "POST", "/ucmuser/api/v1/session",
			`{"USERID":"` + probeUser + `","PassWord":"` + probePassword + `"}`, nil,
			400, "bad_request", ""},
		{"unknown member", "POST", "/ucmuser/api/v1/session",
			strings.TrimSuffix(login, "}") + `,"admin":true}`, nil, 400, "bad_request", ""},
		{"null body", "POST", "/ucmuser/api/v1/session", "null", nil,
			400, "bad_request", ""},
		{"array body", "POST", "/ucmuser/api/v1/session", "[]", nil,
			400, "bad_request", ""},
		{"trailing data", "POST", "/ucmuser/api/v1/session", login + "{}", nil,
			400, "bad_request", ""},
		{"repeated member", "POST", "/ucmuser/api/v1/session",
			`{"userId":"nobody","userId":"` + probeUser + `","password":"` + probePassword + `"}`,
			nil, 400, "bad_request", ""},
		{"form content type", "POST", "/ucmuser/api/v1/session", login,
			[]string{"Content-Type", "application/x-www-form-urlencoded"},
			415, "unsupported_media_type", ""},
		{"JSON in another charset", "POST", "/ucmuser/api/v1/session", login,
			[]string{"Content-Type", "application/json; charset=latin1"},
			415, "unsupported_media_type", ""},
		{"body over the limit", "POST", "/ucmuser/api/v1/session",
			`{"userId":"` + strings.Repeat("a", web.DefaultMaxBodyBytes) + `"}`, nil,
			413, "too_large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := p.send(p.h, c.method, c.target, c.body, c.hdr...)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, c.status, rec.Body)
			}
			if got := decodeError(t, rec).Error.Code; got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
			if got := rec.Header().Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}

	// The same login, well formed, works: the refusals above were about form.
	if rec := p.send(p.h, "POST", "/ucmuser/api/v1/session", login); rec.Code != 201 {
		t.Errorf("well-formed login: %d %s", rec.Code, rec.Body)
	}
}

func TestFieldErrorsAreNamedInJSONAndAllShownOnThePage(t *testing.T) {
	p := newPortal(t, selfcare.Config{})

	// "1111" breaks several PIN rules at once.
	rec := p.send(p.h, "PUT", "/ucmuser/api/v1/pin",
		`{"currentPassword":"`+probePassword+`","newPin":"1111"}`)
	if rec.Code != 400 {
		t.Fatalf("trivial PIN: %d %s", rec.Code, rec.Body)
	}
	fields := decodeError(t, rec).Error.Fields
	if len(fields) < 2 {
		t.Fatalf("want at least two broken rules for 1111, got %v", fields)
	}
	for _, f := range fields {
		if f["field"] != "newPin" || f["message"] == "" {
			t.Errorf("field error %v: want members field=newPin and a message", f)
		}
	}

	form := url.Values{"currentPassword": {probePassword}, "newPin": {"1111"},
		"confirmPin": {"1111"}}.Encode()
	rec = p.send(p.h, "POST", "/ucmuser/pin", form,
		"Content-Type", "application/x-www-form-urlencoded")
	if rec.Code != 400 {
		t.Fatalf("PIN page: %d", rec.Code)
	}
	page := html.UnescapeString(rec.Body.String())
	for _, f := range fields {
		if !strings.Contains(page, f["message"]) {
			t.Errorf("the page does not show %q", f["message"])
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
	}
	for _, target := range []string{"/ucmuser/login", "/ucmuser/phones",
		"/ucmuser/api/v1/me"} {
		rec := p.get(target, p.token)
		for k, v := range want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", target, k, got, v)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp,
			"default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q should deny everything and allow no script", target, csp)
		}
		if rec.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent over plain HTTP", target)
		}
	}
	if rec := p.get("/ucmuser/static/style.css", ""); rec.Code != 200 ||
		rec.Header().Get("Cache-Control") == "no-store" {
		t.Errorf("style sheet: %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
}

func TestSecurePortalRefusesPlainHTTPOrigins(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	h, err := web.New(p.svc, web.Config{Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"userId":"nobody","password":"x"}`
	cases := []struct {
		name, origin string
		status       int
	}{
		{"plain HTTP page of the same host", "http://example.com", 403},
		{"HTTPS page of the same host", "https://example.com", 401},
		{"no Origin (not a browser)", "", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.origin != "" {
				hdr = []string{"Origin", c.origin}
			}
			rec := p.send(h, "POST", "https://example.com/ucmuser/api/v1/session", body, hdr...)
			if rec.Code != c.status {
				t.Errorf("status %d, want %d", rec.Code, c.status)
			}
		})
	}
	rec := p.send(h, "GET", "https://example.com/ucmuser/login", "")
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS on a secure portal")
	}
}

func TestHiddenFormIsNotOfferedAgainAfterAPost(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	p.setParam("ShowChangePin", "false")
	form := url.Values{"currentPassword": {probePassword}, "newPin": {"80461975"},
		"confirmPin": {"80461975"}}.Encode()
	rec := p.send(p.h, "POST", "/ucmuser/pin", form,
		"Content-Type", "application/x-www-form-urlencoded")
	if rec.Code != http.StatusForbidden {
		t.Fatalf("POST pin while hidden: %d", rec.Code)
	}
	if body := rec.Body.String(); strings.Contains(body, `name="newPin"`) ||
		!strings.Contains(body, "Show Change PIN") {
		t.Errorf("the refusal should name the parameter and offer no form:\n%.600s", body)
	}
}

func TestPasswordHintsFollowThePolicyInForce(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	p.setParam("CredentialMinPasswordLength", "12")
	body := p.get("/ucmuser/password", p.token).Body.String()
	if !strings.Contains(body, `minlength="12"`) || !strings.Contains(body, "At least 12 characters") {
		t.Errorf("the password page does not show the minimum of 12:\n%.800s", body)
	}
	body = p.get("/ucmuser/pin", p.token).Body.String()
	if want := "8 to 128 digits"; !strings.Contains(body, want) {
		t.Errorf("the PIN page does not say %q", want)
	}
}

func TestLoginEndsTheSessionItReplaces(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	old := p.token
	login := `{"userId":"` + probeUser + `","password":"` + probePassword + `"}`
	if rec := p.send(p.h, "POST", "/ucmuser/api/v1/session", login); rec.Code != 201 {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	if rec := p.get("/ucmuser/api/v1/me", old); rec.Code != http.StatusUnauthorized {
		t.Errorf("the replaced session still answers: %d", rec.Code)
	}
}

func TestStaticFolderIsNotListed(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	if rec := p.get("/ucmuser/static/", ""); rec.Code != http.StatusNotFound {
		t.Errorf("static folder: %d, want 404", rec.Code)
	}
}

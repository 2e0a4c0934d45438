package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

const (
	svcCatalogue = "/ucmuser/api/v1/phone-services"
	annServices  = "/ucmuser/api/v1/phones/SEPANN/services"
	annAgent     = annServices + "/agent"
	agentSecret  = "Tr0ub4dor-sentinel"
)

// newServicesSite is a forwarding site whose catalogue holds an internal
// agent service with a digits parameter, a default and a secret, and an
// external weather service.
func newServicesSite(tb testing.TB) *activationSite {
	tb.Helper()
	s := newForwardingSite(tb)
	for _, ps := range []selfcare.PhoneService{
		{ID: "agent", Name: "Agent sign-in", Description: "For the <b>contact</b> centre",
			Kind: selfcare.PhoneServiceInternal, URL: "https://agents.example.com/xml",
			Params: []selfcare.ServiceParam{
				{Name: "agentId", DisplayName: "Agent ID", Required: true, MaxLength: 6,
					Kind: selfcare.ServiceParamDigits},
				{Name: "team", DisplayName: "Team", MaxLength: 8, Default: "sales"},
				{Name: "password", DisplayName: "Agent password", Required: true,
					MaxLength: 32, Secret: true},
			}},
		{ID: "weather", Name: "Weather", Kind: selfcare.PhoneServiceExternal,
			URL: "http://weather.example.com/"},
	} {
		if err := s.svc.AddPhoneService(s.ctx, selfcare.LocalCaller(""), ps); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// post sends a JSON body.
func (b *browser) post(path, body string) response {
	b.tb.Helper()
	return b.do("POST", path, "application/json", body)
}

// del sends DELETE with the If-Match value, unless it is "-".
func (b *browser) del(path, ifMatch string) response {
	b.tb.Helper()
	var hdr []string
	if ifMatch != "-" {
		hdr = []string{"If-Match", ifMatch}
	}
	return b.do("DELETE", path, "", "", hdr...)
}

// form posts a page form.
func (b *browser) form(path string, v url.Values) response {
	b.tb.Helper()
	return b.do("POST", path, "application/x-www-form-urlencoded", v.Encode())
}

const agentBody = `{"serviceId":"agent","parameters":{"agentId":"4711",` +
	`"password":"` + agentSecret + `"}}`

func TestPhoneServicesAPIVersionsAndSecrets(t *testing.T) {
	s := newServicesSite(t)
	ann := s.signIn("ann")

	res := ann.get(svcCatalogue)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), `"id":"agent"`) ||
		strings.Contains(string(res.Body), "weather") ||
		strings.Contains(string(res.Body), "example.com") {
		t.Fatalf("catalogue: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.get(annServices); res.StatusCode != 200 ||
		string(res.Body) != `{"device":"SEPANN","services":[]}`+"\n" {
		t.Fatalf("no subscriptions: %d %s", res.StatusCode, res.Body)
	}

	res = ann.post(annServices, agentBody)
	if res.StatusCode != 201 || res.Header.Get("ETag") != `"1"` ||
		res.Header.Get("Location") != annAgent || string(res.Body) !=
		`{"device":"SEPANN","serviceId":"agent","name":"Agent sign-in","offered":true,`+
			`"parameters":{"agentId":"4711","team":"sales"},"secretsSet":["password"],`+
			`"version":1}`+"\n" {
		t.Fatalf("subscribe: %d %v %s", res.StatusCode, res.Header, res.Body)
	}
	if res = ann.post(annServices, agentBody); res.StatusCode != 409 ||
		errCode(t, res) != "conflict" {
		t.Errorf("second subscribe: %d %s", res.StatusCode, res.Body)
	}

	for _, c := range []struct {
		name, ifMatch, body string
		status              int
		code                string
	}{
		{"no If-Match is 428", "-", `{"parameters":{"team":"ops"}}`, 428,
			"precondition_required"},
		{"a future version is 409", `"7"`, `{"parameters":{"team":"ops"}}`, 409,
			"version_conflict"},
		{"a URL is refused by name", `"1"`, `{"url":"http://evil.example.com/"}`, 400,
			"invalid"},
		{"parameters as a list are 400", `"1"`, `{"parameters":["x"]}`, 400,
			"bad_request"},
		{"a number value is 400", `"1"`, `{"parameters":{"agentId":12}}`, 400,
			"bad_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.patch(annAgent, c.ifMatch, c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Errorf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
		})
	}

	// Absent stays, null returns to the default, a value is set; the secret
	// is never echoed.
	if res = ann.patch(annAgent, `"1"`, `{"parameters":{"team":"ops"}}`); res.StatusCode !=
		200 || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
	}
	res = ann.patch(annAgent, `"2"`, `{"parameters":{"team":null,"password":"n3w-one"}}`)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), `"team":"sales"`) ||
		!strings.Contains(string(res.Body), `"agentId":"4711"`) ||
		strings.Contains(string(res.Body), "n3w-one") {
		t.Fatalf("null patch: %d %s", res.StatusCode, res.Body)
	}
	got := ann.get(annAgent)
	if got.Header.Get("ETag") != `"3"` || strings.Contains(string(got.Body), "n3w-one") ||
		strings.Contains(string(got.Body), agentSecret) {
		t.Errorf("read back: %s %s", got.Header.Get("ETag"), got.Body)
	}
	stored, err := s.svc.SubscribedService(s.ctx, nil, "SEPANN", "agent")
	if err == nil {
		t.Errorf("read without a principal: %+v", stored)
	}

	if res = ann.del(annAgent, "-"); res.StatusCode != 428 {
		t.Errorf("delete without If-Match: %d", res.StatusCode)
	}
	if res = ann.del(annAgent, `"2"`); res.StatusCode != 409 {
		t.Errorf("stale delete: %d", res.StatusCode)
	}
	if res = ann.del(annAgent, `"3"`); res.StatusCode != 204 {
		t.Errorf("delete: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.get(annAgent); res.StatusCode != 404 {
		t.Errorf("after delete: %d", res.StatusCode)
	}

	es, err := s.svc.Audit(s.ctx, selfcare.AuditFilter{Actor: "ann", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.Contains(e.Detail, agentSecret) || strings.Contains(e.Detail, "n3w-one") {
			t.Errorf("audit shows a secret: %+v", e)
		}
	}
}

func TestPhoneServicesAPIRefusesBadSubscriptions(t *testing.T) {
	s := newServicesSite(t)
	ann := s.signIn("ann")
	for _, c := range []struct {
		name, body string
		status     int
		code       string
		fields     []string
	}{
		{"a url member is refused by name",
			`{"serviceId":"agent","url":"http://evil.example.com/"}`, 400, "invalid",
			[]string{"url: The service URL is set by your administrator; it cannot be sent."}},
		{"a serviceUrl member is refused by name",
			`{"serviceId":"agent","serviceUrl":"http://evil.example.com/"}`, 400, "invalid",
			[]string{"serviceUrl: The service URL is set by your administrator; it " +
				"cannot be sent."}},
		{"an unknown member is 400", `{"serviceId":"agent","phone":"x"}`, 400,
			"bad_request", nil},
		{"a parameter outside the template is named",
			`{"serviceId":"agent","parameters":{"agentId":"1","password":"p",` +
				`"url":"http://evil.example.com/"}}`, 400, "invalid",
			[]string{"parameters.url: This service has no such parameter."}},
		{"letters in a digits parameter are named",
			`{"serviceId":"agent","parameters":{"agentId":"12a","password":"p"}}`, 400,
			"invalid", []string{"parameters.agentId: Use digits 0 to 9 only."}},
		{"a long value and a missing secret are named",
			`{"serviceId":"agent","parameters":{"agentId":"1234567"}}`, 400, "invalid",
			[]string{"parameters.agentId: Use at most 6 characters.",
				"parameters.password: Enter Agent password; it is required."}},
		{"a missing serviceId is 400", `{"parameters":{}}`, 400, "bad_request", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.post(annServices, c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Fatalf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
			if c.fields != nil {
				if got := fieldErrors(t, res); strings.Join(got, "|") !=
					strings.Join(c.fields, "|") {
					t.Errorf("fields %q, want %q", got, c.fields)
				}
			}
		})
	}

	// A service whose kind is not offered answers as one that does not
	// exist; so does one that was removed.
	notOffered := ann.post(annServices, `{"serviceId":"weather"}`)
	missing := ann.post(annServices, `{"serviceId":"nothing"}`)
	if notOffered.StatusCode != 404 || string(notOffered.Body) != string(missing.Body) {
		t.Errorf("not offered %d %s; missing %d %s", notOffered.StatusCode,
			notOffered.Body, missing.StatusCode, missing.Body)
	}
	if res := ann.get(annServices); !strings.Contains(string(res.Body), `"services":[]`) {
		t.Errorf("a refused subscription was stored: %s", res.Body)
	}

	s.setParam(params.KeyPhoneServiceDisplay, params.DisplayExternal)
	if res := ann.post(annServices, `{"serviceId":"weather"}`); res.StatusCode != 201 {
		t.Errorf("weather offered: %d %s", res.StatusCode, res.Body)
	}
	if res := ann.post(annServices, agentBody); res.StatusCode != 404 ||
		string(res.Body) != string(missing.Body) {
		t.Errorf("agent no longer offered: %d %s", res.StatusCode, res.Body)
	}
}

func TestPhoneServicesAnotherUsersPhoneIsNotFound(t *testing.T) {
	s := newServicesSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	const benServices = "/ucmuser/api/v1/phones/SEPBEN/services"
	const nobody = "/ucmuser/api/v1/phones/SEPNOBODY/services"
	if res := ben.post(benServices, agentBody); res.StatusCode != 201 {
		t.Fatalf("ben's own subscription: %d %s", res.StatusCode, res.Body)
	}
	before := ben.get(benServices + "/agent")

	for _, c := range []struct {
		name string
		res  func(base string) response
	}{
		{"GET list", func(b string) response { return ann.get(b) }},
		{"GET item", func(b string) response { return ann.get(b + "/agent") }},
		{"POST", func(b string) response {
			return ann.post(b, `{"serviceId":"agent","parameters":{"agentId":"1",`+
				`"password":"x"}}`)
		}},
		{"PATCH at the right version", func(b string) response {
			return ann.patch(b+"/agent", `"1"`, `{"parameters":{"agentId":"666"}}`)
		}},
		{"DELETE at the right version", func(b string) response {
			return ann.del(b+"/agent", `"1"`)
		}},
	} {
		t.Run(c.name+" answers as for a phone that does not exist", func(t *testing.T) {
			theirs, none := c.res(benServices), c.res(nobody)
			if theirs.StatusCode != 404 || none.StatusCode != 404 ||
				string(theirs.Body) != string(none.Body) {
				t.Errorf("ben's phone %d %s; no phone %d %s", theirs.StatusCode,
					theirs.Body, none.StatusCode, none.Body)
			}
		})
	}
	for _, action := range []string{"subscribe", "update", "unsubscribe"} {
		t.Run("page "+action+" answers as for a phone that does not exist",
			func(t *testing.T) {
				form := func(dev string) url.Values {
					return url.Values{"action": {action}, "device": {dev},
						"service": {"agent"}, "version": {"1"}, "p.agentId": {"666"},
						"p.password": {"x"}}
				}
				theirs := ann.form("/ucmuser/services", form("SEPBEN"))
				none := ann.form("/ucmuser/services", form("SEPNOBODY"))
				if theirs.StatusCode != 404 || none.StatusCode != 404 ||
					string(theirs.Body) != string(none.Body) {
					t.Errorf("ben's phone %d; no phone %d", theirs.StatusCode,
						none.StatusCode)
				}
			})
	}
	if res := ann.get("/ucmuser/services?device=SEPBEN"); res.StatusCode != 404 {
		t.Errorf("ben's phone on the page: %d", res.StatusCode)
	}
	if after := ben.get(benServices + "/agent"); string(after.Body) !=
		string(before.Body) || after.Header.Get("ETag") != `"1"` {
		t.Errorf("ben's subscription changed: %s -> %s", before.Body, after.Body)
	}
}

func TestPhoneServicesConcurrentPatchesOneWins(t *testing.T) {
	s := newServicesSite(t)
	ann := s.signIn("ann")
	if res := ann.post(annServices, agentBody); res.StatusCode != 201 {
		t.Fatalf("subscribe: %d %s", res.StatusCode, res.Body)
	}
	teams := []string{"red", "blue"}
	statuses := make([]int, len(teams))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, team := range teams {
		wg.Go(func() {
			req, err := http.NewRequest("PATCH", ann.base+annAgent,
				strings.NewReader(`{"parameters":{"team":"`+team+`"}}`))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", `"1"`)
			<-start
			res, err := ann.c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, st := range statuses {
		if st == 200 {
			winner = i
		}
	}
	if winner < 0 || statuses[1-winner] != 409 {
		t.Fatalf("statuses %v, want one 200 and one 409", statuses)
	}
	var v struct{ Parameters map[string]string }
	got := ann.get(annAgent)
	if err := json.Unmarshal(got.Body, &v); err != nil {
		t.Fatal(err)
	}
	if v.Parameters["team"] != teams[winner] || got.Header.Get("ETag") != `"2"` {
		t.Errorf("stored %s at %s, want the winner's %s", got.Body,
			got.Header.Get("ETag"), teams[winner])
	}
}

func TestPhoneServicesPage(t *testing.T) {
	s := newServicesSite(t)
	ann := s.signIn("ann")
	page := ann.get("/ucmuser/services")
	body := string(page.Body)
	if page.StatusCode != 200 || !strings.Contains(body, `name="service" value="agent"`) ||
		strings.Contains(body, "weather") || strings.Contains(body, "example.com") ||
		!strings.Contains(body, "For the &lt;b&gt;contact&lt;/b&gt; centre") ||
		!strings.Contains(body, `<label for="new-agent-agentId">`) ||
		!strings.Contains(body, `href="/ucmuser/services"`) {
		t.Fatalf("page: %d %s", page.StatusCode, body)
	}

	// A refusal is shown beside its field, with what was typed, and
	// nothing is stored.
	sub := url.Values{"action": {"subscribe"}, "device": {"SEPANN"}, "service": {"agent"},
		"p.agentId": {"12ab"}, "p.team": {"ops"}, "p.password": {agentSecret}}
	res := ann.form("/ucmuser/services", sub)
	body = string(res.Body)
	if res.StatusCode != 400 || !strings.Contains(body, "Use digits 0 to 9 only.") ||
		!strings.Contains(body, `aria-invalid="true" aria-describedby="new-agent-agentId-hint `+
			`new-agent-agentId-err"`) || !strings.Contains(body, `value="12ab"`) ||
		strings.Contains(body, agentSecret) || !strings.Contains(body, `class="error-summary"`) {
		t.Fatalf("refused form: %d %s", res.StatusCode, body)
	}
	if got := ann.get(annServices); !strings.Contains(string(got.Body), `"services":[]`) {
		t.Fatalf("refused form stored %s", got.Body)
	}

	sub.Set("p.agentId", "12")
	res = ann.followSaved(ann.form("/ucmuser/services", sub))
	body = string(res.Body)
	if res.StatusCode != 200 || !strings.Contains(body, "Subscribed.") ||
		!strings.Contains(body, `name="action" value="update"`) ||
		strings.Contains(body, agentSecret) || !strings.Contains(body, "A value is saved") {
		t.Fatalf("subscribe: %d %s", res.StatusCode, body)
	}

	// An empty secret keeps the saved one; the version moves.
	upd := url.Values{"action": {"update"}, "device": {"SEPANN"}, "service": {"agent"},
		"version": {"1"}, "p.agentId": {"34"}, "p.team": {"ops"}, "p.password": {""}}
	if res = ann.followSaved(ann.form("/ucmuser/services", upd)); res.StatusCode != 200 ||
		!strings.Contains(string(res.Body), "Saved.") {
		t.Fatalf("update: %d %s", res.StatusCode, res.Body)
	}
	stored, err := s.svc.SubscribedServices(s.ctx, mustPrincipal(t, s, "ann"), "SEPANN")
	if err != nil || len(stored) != 1 || stored[0].Values["agentId"] != "34" ||
		len(stored[0].SecretsSet) != 1 || stored[0].Version != 2 {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	// The same form again is stale.
	if res = ann.form("/ucmuser/services", upd); res.StatusCode != 409 ||
		!strings.Contains(string(res.Body), "changed elsewhere") {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}
	unsub := url.Values{"action": {"unsubscribe"}, "device": {"SEPANN"},
		"service": {"agent"}, "version": {"2"}}
	if res = ann.followSaved(ann.form("/ucmuser/services", unsub)); res.StatusCode != 200 ||
		!strings.Contains(string(res.Body), "Unsubscribed.") {
		t.Errorf("unsubscribe: %d %s", res.StatusCode, res.Body)
	}
}

// mustPrincipal signs user in through the service, for reading behind the
// API.
func mustPrincipal(tb testing.TB, s *activationSite, user string) *selfcare.Principal {
	tb.Helper()
	_, p, err := s.svc.Login(s.ctx, user, sitePassword, "192.0.2.9")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestPhoneServicesGate(t *testing.T) {
	s := newServicesSite(t)
	ann := s.signIn("ann")
	if res := ann.post(annServices, agentBody); res.StatusCode != 201 {
		t.Fatalf("subscribe: %d", res.StatusCode)
	}
	s.setParam(params.KeyShowPhoneServices, "false")
	for _, res := range []response{ann.get(svcCatalogue), ann.get(annServices),
		ann.get(annAgent), ann.post(annServices, `{"serviceId":"agent"}`),
		ann.patch(annAgent, `"1"`, `{"parameters":{"team":"x"}}`),
		ann.del(annAgent, `"1"`)} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
			!strings.Contains(string(res.Body), params.KeyShowPhoneServices) {
			t.Errorf("hidden: %d %s", res.StatusCode, res.Body)
		}
	}
	if res := ann.get("/ucmuser/services"); res.StatusCode != 403 {
		t.Errorf("hidden page: %d", res.StatusCode)
	}
	if res := ann.form("/ucmuser/services", url.Values{"action": {"unsubscribe"},
		"device": {"SEPANN"}, "service": {"agent"}, "version": {"1"}}); res.StatusCode != 403 {
		t.Errorf("hidden page POST: %d", res.StatusCode)
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="/ucmuser/services"`) {
		t.Error("navigation still offers the hidden page")
	}
	s.setParam(params.KeyShowPhoneServices, "true")
	if res := ann.get(annAgent); res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` {
		t.Errorf("after the gate: %d %s", res.StatusCode, res.Body)
	}
}

// BenchmarkPhoneServicesHTTP reads a phone's subscriptions and changes one
// value under If-Match through the handler on SQLite. Requests go to
// ServeHTTP directly, without a network.
func BenchmarkPhoneServicesHTTP(b *testing.B) {
	ctx := b.Context()
	store, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"),
		sqlstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	secrets, err := onboarding.NewSecretSealer(bytes.Repeat([]byte{9}, onboarding.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	svc := selfcare.New(store, selfcare.Config{ServiceSecrets: secrets,
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}})
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(svc.Directory().EnsureStandard(ctx))
	must(svc.CreateUser(ctx, "", selfcare.User{ID: "ann"}, sitePassword, sitePIN))
	must(svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, "ann"))
	must(svc.PutDevice(ctx, "", selfcare.Device{Name: "SEPANN", Owner: "ann"}))
	must(svc.AddPhoneService(ctx, selfcare.LocalCaller(""), selfcare.PhoneService{
		ID: "agent", Name: "Agent", URL: "https://agents.example.com/",
		Params: []selfcare.ServiceParam{{Name: "agentId", DisplayName: "Agent ID",
			MaxLength: 6, Kind: selfcare.ServiceParamDigits},
			{Name: "password", DisplayName: "Password", MaxLength: 32, Secret: true}}}))
	tok, p, err := svc.Login(ctx, "ann", sitePassword, "192.0.2.1")
	must(err)
	_, err = svc.SubscribeService(ctx, p, "SEPANN", "agent",
		map[string]string{"agentId": "1", "password": "x"}, "192.0.2.1")
	must(err)
	h, err := web.New(svc, web.Config{})
	must(err)
	serve := func(req *http.Request) *httptest.ResponseRecorder {
		req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: tok})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if rec := serve(httptest.NewRequest("GET", annServices, nil)); rec.Code != 200 {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
	b.Run("patch", func(b *testing.B) {
		// The version the last run left behind.
		cur := serve(httptest.NewRequest("GET", annAgent, nil))
		version, err := strconv.ParseInt(strings.Trim(cur.Header().Get("ETag"), `"`), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			req := httptest.NewRequest("PATCH", annAgent, strings.NewReader(
				`{"parameters":{"agentId":"`+strconv.Itoa(i%2)+`"}}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", `"`+strconv.FormatInt(version, 10)+`"`)
			rec := serve(req)
			if rec.Code != 200 {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
			version, _ = strconv.ParseInt(strings.Trim(rec.Header().Get("ETag"), `"`), 10, 64)
		}
	})
}

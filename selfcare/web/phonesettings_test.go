package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/web"
)

const (
	phonePath = "/ucmuser/api/v1/phones/SEPANN"
	langPath  = "/ucmuser/api/v1/language"
	formType  = "application/x-www-form-urlencoded"
)

// newPhoneSettingsSite is the forwarding site with administrators'
// descriptions on ann's and ben's phones.
func newPhoneSettingsSite(tb testing.TB) *activationSite {
	tb.Helper()
	s := newForwardingSite(tb)
	for _, d := range []selfcare.Device{
		{Name: "SEPANN", Owner: "ann", Model: "Cisco 8845", AdminDescription: "Front desk",
			Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}},
		{Name: "SEPBEN", Owner: "ben", Model: "Cisco 8845", AdminDescription: "Lab",
			Lines: []selfcare.Line{{Index: 1, Extension: "4031"}}},
	} {
		if err := s.svc.PutDevice(s.ctx, "", d); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// phoneJSON decodes a phone answer.
func phoneJSON(tb testing.TB, res response) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.Body, &m); err != nil {
		tb.Fatalf("body %q: %v", res.Body, err)
	}
	return m
}

func TestPhoneAPIVersionsAndValidation(t *testing.T) {
	s := newPhoneSettingsSite(t)
	ann := s.signIn("ann")

	res := ann.get(phonePath)
	m := phoneJSON(t, res)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"0"` || m["description"] != "" ||
		m["shownDescription"] != "Front desk" || m["descriptionSource"] != "admin" ||
		m["phoneLocale"] != "" || m["shownPhoneLocale"] != "en_US" ||
		m["phoneLocaleSource"] != "user" {
		t.Fatalf("fresh GET: %d ETag %q %s", res.StatusCode, res.Header.Get("ETag"),
			res.Body)
	}

	set := `{"description":"My desk"}`
	for _, c := range []struct {
		name, ifMatch, body string
		status              int
		code, field         string
	}{
		{"no If-Match is 428", "-", set, 428, "precondition_required", ""},
		{"a version from the future is 409", `"2"`, set, 409, "version_conflict", ""},
		{"the administrator's description is refused by name", `"0"`,
			`{"adminDescription":"Mine now"}`, 400, "invalid", "adminDescription"},
		{"the owner is refused by name", `"0"`, `{"owner":"ben"}`, 400, "invalid",
			"owner"},
		{"the model is refused by name", `"0"`, `{"model":"Cisco 9971"}`, 400, "invalid",
			"model"},
		{"the lines are refused by name", `"0"`, `{"lines":[]}`, 400, "invalid", "lines"},
		{"the version is refused by name", `"0"`, `{"version":5}`, 400, "invalid",
			"version"},
		{"an unknown member is 400", `"0"`, `{"label":"x"}`, 400, "bad_request", ""},
		{"a description over 50 characters is 400", `"0"`,
			`{"description":"` + strings.Repeat("é", 51) + `"}`, 400, "invalid",
			"description"},
		{"a description with a line break is 400", `"0"`, `{"description":"a\nb"}`, 400,
			"invalid", "description"},
		{"a language not installed is 400", `"0"`, `{"phoneLocale":"tlh_KL"}`, 400,
			"invalid", "phoneLocale"},
		{"a number as description is 400", `"0"`, `{"description":5}`, 400,
			"bad_request", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.patch(phonePath, c.ifMatch, c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Fatalf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
			if c.field != "" {
				f := fieldErrors(t, res)
				if len(f) != 1 || !strings.HasPrefix(f[0], c.field+": ") {
					t.Errorf("fields %q, want one for %s", f, c.field)
				}
			}
		})
	}
	if res := ann.do("PATCH", phonePath, "application/json", set, "If-Match", `"0"`); res.
		StatusCode != 415 {
		t.Errorf("plain JSON: %d", res.StatusCode)
	}
	if got := ann.get(phonePath); got.Header.Get("ETag") != `"0"` ||
		phoneJSON(t, got)["description"] != "" {
		t.Fatalf("a refused PATCH changed the phone: %s", got.Body)
	}

	res = ann.patch(phonePath, `"0"`, `{"description":"My desk","phoneLocale":"fr_FR"}`)
	m = phoneJSON(t, res)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` ||
		m["shownDescription"] != "My desk" || m["descriptionSource"] != "user" ||
		m["shownPhoneLocale"] != "fr_FR" || m["phoneLocaleSource"] != "phone" {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	// Clearing one member leaves the other; "" gives the administrator's
	// description back, as null does.
	res = ann.patch(phonePath, `"1"`, `{"description":""}`)
	m = phoneJSON(t, res)
	if res.StatusCode != 200 || m["shownDescription"] != "Front desk" ||
		m["descriptionSource"] != "admin" || m["phoneLocale"] != "fr_FR" {
		t.Errorf("clearing the description: %d %s", res.StatusCode, res.Body)
	}
	res = ann.patch(phonePath, `"2"`, `{"phoneLocale":null}`)
	if m = phoneJSON(t, res); res.StatusCode != 200 || m["phoneLocaleSource"] != "user" ||
		res.Header.Get("ETag") != `"3"` {
		t.Errorf("null display language: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.patch(phonePath, `"2"`, set); res.StatusCode != 409 {
		t.Errorf("stale PATCH: %d %s", res.StatusCode, res.Body)
	}
}

func TestPhoneSettingsAnotherUsersPhoneIsNotFound(t *testing.T) {
	s := newPhoneSettingsSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	benPath := "/ucmuser/api/v1/phones/SEPBEN"
	if res := ben.patch(benPath, `"0"`, `{"description":"Ben's lab"}`); res.StatusCode != 200 {
		t.Fatalf("ben's own PATCH: %d %s", res.StatusCode, res.Body)
	}
	before := ben.get(benPath)
	form := url.Values{"version": {"1"}, "description": {"Ann was here"},
		"section": {"description", "locale"}, "phoneLocale": {"fr_FR"}}.Encode()
	for _, c := range []struct {
		name string
		res  func(device string) response
	}{
		{"API GET", func(d string) response { return ann.get("/ucmuser/api/v1/phones/" + d) }},
		{"API PATCH at the right version", func(d string) response {
			return ann.patch("/ucmuser/api/v1/phones/"+d, `"1"`,
				`{"description":"Ann was here"}`)
		}},
		{"API PATCH of the display language", func(d string) response {
			return ann.patch("/ucmuser/api/v1/phones/"+d, `"1"`, `{"phoneLocale":"fr_FR"}`)
		}},
		{"page GET", func(d string) response {
			return ann.get("/ucmuser/phones/" + d + "/settings")
		}},
		{"page POST", func(d string) response {
			return ann.do("POST", "/ucmuser/phones/"+d+"/settings", formType, form)
		}},
	} {
		t.Run(c.name+" answers as for a phone that does not exist", func(t *testing.T) {
			theirs, missing := c.res("SEPBEN"), c.res("SEPNOBODY")
			if theirs.StatusCode != 404 || missing.StatusCode != 404 ||
				string(theirs.Body) != string(missing.Body) {
				t.Errorf("ben's phone %d %s; no phone %d %s", theirs.StatusCode,
					theirs.Body, missing.StatusCode, missing.Body)
			}
		})
	}
	if after := ben.get(benPath); string(after.Body) != string(before.Body) {
		t.Errorf("ben's phone changed: %s -> %s", before.Body, after.Body)
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body), "SEPBEN") {
		t.Error("ann's phone list shows ben's phone")
	}
}

// rawPatch sends a merge patch from any goroutine: it reports failures
// instead of stopping the test.
func rawPatch(b *browser, path, ifMatch, body string) (int, error) {
	req, err := http.NewRequest("PATCH", b.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/merge-patch+json")
	req.Header.Set("If-Match", ifMatch)
	res, err := b.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, err
}

func TestPhoneSettingsConcurrentUpdatesOneWins(t *testing.T) {
	s := newPhoneSettingsSite(t)
	ann := s.signIn("ann")
	for _, c := range []struct {
		name, path, member string
		values             [2]string
	}{
		{"phone", phonePath, "description", [2]string{"First", "Second"}},
		{"language", langPath, "locale", [2]string{"fr_FR", "de_DE"}},
	} {
		t.Run(c.name+": one 200, one 409, the winner's value kept", func(t *testing.T) {
			start := make(chan struct{})
			var wg sync.WaitGroup
			status := make([]int, 2)
			errs := make([]error, 2)
			for i, v := range c.values {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					status[i], errs[i] = rawPatch(ann, c.path, `"0"`,
						`{"`+c.member+`":"`+v+`"}`)
				}()
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			winner := -1
			switch {
			case status[0] == 200 && status[1] == 409:
				winner = 0
			case status[0] == 409 && status[1] == 200:
				winner = 1
			default:
				t.Fatalf("statuses %v, want one 200 and one 409", status)
			}
			got := phoneJSON(t, ann.get(c.path))
			if got[c.member] != c.values[winner] || got["version"] != float64(1) {
				t.Errorf("stored %v, want %s at version 1", got, c.values[winner])
			}
		})
	}
}

func TestLanguageAPI(t *testing.T) {
	s := newPhoneSettingsSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")

	res := ann.get(langPath)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"0"` || string(res.Body) !=
		`{"locale":"en_US","name":"English (United States)","version":0}`+"\n" {
		t.Fatalf("fresh GET: %d %q %s", res.StatusCode, res.Header.Get("ETag"), res.Body)
	}
	locs := ann.get("/ucmuser/api/v1/locales")
	if locs.StatusCode != 200 || !strings.Contains(string(locs.Body),
		`{"code":"fr_FR","name":"French (France)"}`) ||
		!strings.Contains(string(locs.Body), `"default":"en_US"`) {
		t.Errorf("locales: %d %s", locs.StatusCode, locs.Body)
	}
	for _, c := range []struct {
		name, ifMatch, body string
		status              int
		code                string
	}{
		{"no If-Match is 428", "-", `{"locale":"fr_FR"}`, 428, "precondition_required"},
		{"a stale version is 409", `"1"`, `{"locale":"fr_FR"}`, 409, "version_conflict"},
		{"a locale not installed is 400", `"0"`, `{"locale":"de_CH"}`, 400, "invalid"},
		{"a made-up locale is 400", `"0"`, `{"locale":"<script>"}`, 400, "invalid"},
		{"the name is refused", `"0"`, `{"name":"French"}`, 400, "invalid"},
		{"an unknown member is 400", `"0"`, `{"userLocale":"fr_FR"}`, 400, "bad_request"},
		{"a number is 400", `"0"`, `{"locale":1}`, 400, "bad_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ann.patch(langPath, c.ifMatch, c.body)
			if res.StatusCode != c.status || errCode(t, res) != c.code {
				t.Errorf("%d %s, want %d %s", res.StatusCode, res.Body, c.status, c.code)
			}
		})
	}
	if got := ann.get(langPath); got.Header.Get("ETag") != `"0"` {
		t.Fatalf("a refused PATCH changed the language: %s", got.Body)
	}
	res = ann.patch(langPath, `"0"`, `{"locale":"fr_FR"}`)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` ||
		!strings.Contains(string(res.Body), `"locale":"fr_FR"`) {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	// The phone follows the user's language while it has none of its own.
	if m := phoneJSON(t, ann.get(phonePath)); m["shownPhoneLocale"] != "fr_FR" {
		t.Errorf("phone shows %v", m["shownPhoneLocale"])
	}
	if me := ann.get("/ucmuser/api/v1/me"); !strings.Contains(string(me.Body),
		`"locale":"fr_FR"`) {
		t.Errorf("me: %s", me.Body)
	}
	res = ann.patch(langPath, `"1"`, `{"locale":null}`)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), `"locale":"en_US"`) {
		t.Errorf("null: %d %s", res.StatusCode, res.Body)
	}
	if got := ben.get(langPath); got.Header.Get("ETag") != `"0"` {
		t.Errorf("ben's language changed: %s", got.Body)
	}
	es, err := s.svc.Audit(s.ctx, selfcare.AuditFilter{Action: selfcare.ActionLanguage})
	if err != nil || len(es) < 2 || es[0].Detail != "fr_FR -> en_US (version 2)" ||
		es[0].Actor != "ann" {
		t.Errorf("audit %+v %v", es, err)
	}
}

func TestPhoneSettingsPage(t *testing.T) {
	s := newPhoneSettingsSite(t)
	ann := s.signIn("ann")
	settings := "/ucmuser/phones/SEPANN/settings"
	if !strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="`+settings+`"`) {
		t.Fatal("My Phones does not link the phone's settings")
	}
	page := ann.get(settings)
	body := string(page.Body)
	if page.StatusCode != 200 || !strings.Contains(body, `name="version" value="0"`) ||
		!strings.Contains(body, `<label for="description">`) ||
		!strings.Contains(body, `<select id="phoneLocale" name="phoneLocale"`) ||
		!strings.Contains(body, "Front desk") {
		t.Fatalf("page: %d %s", page.StatusCode, body)
	}

	post := func(f url.Values) response {
		return ann.do("POST", settings, formType, f.Encode())
	}
	form := url.Values{"version": {"0"}, "description": {"<b>Ann's</b> desk"},
		"section": {"description", "locale"}, "phoneLocale": {"de_DE"}}
	res := ann.followSaved(post(form))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "have been saved") ||
		!strings.Contains(string(res.Body), `value="de_DE" selected`) ||
		!strings.Contains(string(res.Body), "&lt;b&gt;Ann&#39;s&lt;/b&gt; desk") {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	phones := string(ann.get("/ucmuser/phones").Body)
	if strings.Contains(phones, "<b>Ann") || !strings.Contains(phones, "&lt;b&gt;Ann") {
		t.Error("My Phones does not show the user's description escaped")
	}

	if res = post(form); res.StatusCode != 409 ||
		!strings.Contains(string(res.Body), "changed elsewhere") ||
		!strings.Contains(string(res.Body), `name="version" value="1"`) {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}

	form.Set("version", "1")
	form.Set("description", strings.Repeat("x", 51))
	res = post(form)
	body = string(res.Body)
	if res.StatusCode != 400 || !strings.Contains(body, `aria-invalid="true"`) ||
		!strings.Contains(body, `id="description-error"`) ||
		!strings.Contains(body, "at most 50 characters") ||
		!strings.Contains(body, `role="alert"`) {
		t.Errorf("refused form: %d %s", res.StatusCode, body)
	}
	if got := ann.get(phonePath); got.Header.Get("ETag") != `"1"` {
		t.Errorf("refused form saved: %s", got.Body)
	}
}

func TestLanguagePage(t *testing.T) {
	s := newPhoneSettingsSite(t)
	ann := s.signIn("ann")
	page := ann.get("/ucmuser/language")
	if page.StatusCode != 200 || !strings.Contains(string(page.Body),
		`<label for="locale">`) || !strings.Contains(string(
		ann.get("/ucmuser/phones").Body), `href="/ucmuser/language"`) {
		t.Fatalf("page: %d %s", page.StatusCode, page.Body)
	}
	form := url.Values{"version": {"0"}, "locale": {"es_ES"}}
	post := func() response {
		return ann.do("POST", "/ucmuser/language", formType, form.Encode())
	}
	res := ann.followSaved(post())
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "Spanish (Spain)") ||
		!strings.Contains(string(res.Body), `value="es_ES" selected`) {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	if res = post(); res.StatusCode != 409 ||
		!strings.Contains(string(res.Body), "changed elsewhere") {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}
	form.Set("version", "1")
	form.Set("locale", "xx_XX")
	if res = post(); res.StatusCode != 400 || !strings.Contains(string(res.Body),
		`aria-describedby="locale-error"`) {
		t.Errorf("unknown locale by form: %d %s", res.StatusCode, res.Body)
	}
	if got := ann.get(langPath); !strings.Contains(string(got.Body), `"locale":"es_ES"`) {
		t.Errorf("refused form saved: %s", got.Body)
	}
}

func TestPhoneLocaleGate(t *testing.T) {
	s := newPhoneSettingsSite(t)
	ann := s.signIn("ann")
	if res := ann.patch(phonePath, `"0"`, `{"phoneLocale":"fr_FR"}`); res.StatusCode != 200 {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	s.setParam(params.KeyShowPhoneLocale, "false")

	got := ann.get(phonePath)
	if strings.Contains(string(got.Body), "honeLocale") || got.StatusCode != 200 {
		t.Errorf("hidden language still in GET: %s", got.Body)
	}
	form := url.Values{"version": {"1"}, "description": {"Desk"}, "phoneLocale": {"de_DE"},
		"section": {"description", "locale"}}
	for name, res := range map[string]response{
		"API":  ann.patch(phonePath, `"1"`, `{"phoneLocale":"de_DE"}`),
		"page": ann.do("POST", "/ucmuser/phones/SEPANN/settings", formType, form.Encode()),
	} {
		if res.StatusCode != 403 || !strings.Contains(string(res.Body),
			params.KeyShowPhoneLocale) {
			t.Errorf("%s: hidden language: %d %s", name, res.StatusCode, res.Body)
		}
	}
	if page := string(ann.get("/ucmuser/phones/SEPANN/settings").Body); strings.Contains(
		page, `name="phoneLocale"`) {
		t.Error("the page still offers the hidden language")
	}
	// The description is not gated, and the stored language stays.
	if res := ann.patch(phonePath, `"1"`, `{"description":"Desk"}`); res.StatusCode != 200 {
		t.Errorf("description while hidden: %d %s", res.StatusCode, res.Body)
	}
	s.setParam(params.KeyShowPhoneLocale, "true")
	if m := phoneJSON(t, ann.get(phonePath)); m["phoneLocale"] != "fr_FR" ||
		m["description"] != "Desk" {
		t.Errorf("after the gate opens again: %v", m)
	}
}

// BenchmarkPhoneSettingsHTTP reads a phone with its settings, reads the
// phone list (which lays the users' descriptions over the devices) and
// changes the description, through the handler on SQLite, beside the
// plain handler of BenchmarkForwardingHTTP measured in the same run.
func BenchmarkPhoneSettingsHTTP(b *testing.B) {
	p := newBenchPortal(b)
	serve := func(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
		req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: p.token})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			if rec := serve(plainForwarding, httptest.NewRequest("GET", phonePath,
				nil)); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
	for _, path := range []string{phonePath, "/ucmuser/api/v1/phones"} {
		b.Run("read "+strings.TrimPrefix(path, "/ucmuser/api/v1/"), func(b *testing.B) {
			for b.Loop() {
				if rec := serve(p.h, httptest.NewRequest("GET", path, nil)); rec.Code != 200 {
					b.Fatal(rec.Code, rec.Body)
				}
			}
		})
	}
	b.Run("change-description", func(b *testing.B) {
		etag := serve(p.h, httptest.NewRequest("GET", phonePath, nil)).Header().Get("ETag")
		names := []string{"Desk", "Kitchen"}
		i := 0
		for b.Loop() {
			req := httptest.NewRequest("PATCH", phonePath, strings.NewReader(
				`{"description":"`+names[i%2]+`"}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", etag)
			rec := serve(p.h, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body)
			}
			etag = rec.Header().Get("ETag")
			i++
		}
	})
}

package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare/web"
)

const (
	lsPath     = "/ucmuser/api/v1/phones/SEPANN/lines/2"
	lsBenPath  = "/ucmuser/api/v1/phones/SEPBEN/lines/1"
	lsPagePath = "/ucmuser/line-settings"
)

// newLineSettingsSite is the forwarding site with every part of the line
// settings shown; ring settings and labels are hidden by default.
func newLineSettingsSite(tb testing.TB) *activationSite {
	tb.Helper()
	s := newForwardingSite(tb)
	s.setParam(params.KeyShowRingSettings, "true")
	s.setParam(params.KeyShowLineLabels, "true")
	return s
}

// lineMembers decodes a line's settings into its members.
func lineMembers(tb testing.TB, res response) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.Body, &m); err != nil {
		tb.Fatalf("body %q: %v", res.Body, err)
	}
	return m
}

// postLineForm posts a line's form as the page would.
func postLineForm(b *browser, form url.Values) response {
	b.tb.Helper()
	return b.do("POST", lsPagePath, "application/x-www-form-urlencoded", form.Encode())
}

func TestLineSettingsAPIVersionsAndValidation(t *testing.T) {
	s := newLineSettingsSite(t)
	ann := s.signIn("ann")

	res := ann.get(lsPath)
	want := `{"device":"SEPANN","index":2,"extension":"4022","version":0,` +
		`"notOnACallRingPreference":"useSystemDefault",` +
		`"onACallRingPreference":"useSystemDefault","label":"","adminLabel":"",` +
		`"messageWaitingVisualAlertPreference":"useSystemPolicy",` +
		`"messageWaitingAudibleAlertPreference":"default","logMissedCalls":true}` + "\n"
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"0"` || string(res.Body) != want {
		t.Fatalf("fresh GET: %d ETag %q\n%s\nwant\n%s", res.StatusCode,
			res.Header.Get("ETag"), res.Body, want)
	}

	good := `{"label":"Sales"}`
	refusals := []struct {
		name, ifMatch, body string
		status              int
		code, field         string
	}{
		{"no If-Match is 428", "-", good, 428, "precondition_required", ""},
		{"a version from the future is 409", `"5"`, good, 409, "version_conflict", ""},
		{"a weak ETag is 409", `W/"0"`, good, 409, "version_conflict", ""},
		{"an unknown member is 400", `"0"`, `{"ringtone":"ring"}`, 400, "bad_request", ""},
		{"a member twice is 400", `"0"`, `{"label":"a","label":"b"}`, 400,
			"bad_request", ""},
		{"the extension is the administrator's", `"0"`, `{"extension":"4031"}`, 400,
			"invalid", "extension"},
		{"the administrator's label is refused with the rest", `"0"`,
			`{"adminLabel":"Boss","label":"Sales"}`, 400, "invalid", "adminLabel"},
		{"the owner is the administrator's", `"0"`, `{"owner":"ben"}`, 400, "invalid",
			"owner"},
		{"an unknown ring setting names the field", `"0"`,
			`{"onACallRingPreference":"loud"}`, 400, "invalid", "onACallRingPreference"},
		{"the reference's number for a ring setting is 400", `"0"`,
			`{"notOnACallRingPreference":4}`, 400, "bad_request", ""},
		{"an unknown prompt names the field", `"0"`,
			`{"messageWaitingVisualAlertPreference":"blink"}`, 400, "invalid",
			"messageWaitingVisualAlertPreference"},
		{"an unknown stutter tone names the field", `"0"`,
			`{"messageWaitingAudibleAlertPreference":"loud"}`, 400, "invalid",
			"messageWaitingAudibleAlertPreference"},
		{"logMissedCalls as text is 400", `"0"`, `{"logMissedCalls":"no"}`, 400,
			"bad_request", ""},
		{"a label over 30 characters is 400", `"0"`,
			`{"label":"` + strings.Repeat("x", 31) + `"}`, 400, "invalid", "label"},
		{"a label with a line break is 400", `"0"`, `{"label":"a\nb"}`, 400, "invalid",
			"label"},
		{"a label with a zero-width space is 400", `"0"`, `{"label":"a\u200bb"}`, 400,
			"invalid", "label"},
		{"a merge patch must be an object", `"0"`, `["label"]`, 400, "bad_request", ""},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			res := ann.patch(lsPath, c.ifMatch, c.body)
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
	if got := ann.get(lsPath); string(got.Body) != want {
		t.Fatalf("a refused PATCH changed the line: %s", got.Body)
	}
	if res := ann.do("PATCH", lsPath, "application/json", good, "If-Match", `"0"`); res.
		StatusCode != 415 {
		t.Errorf("plain JSON: %d", res.StatusCode)
	}

	res = ann.patch(lsPath, `"0"`, `{"label":"Sales","onACallRingPreference":"beepOnly",`+
		`"logMissedCalls":false}`)
	m := lineMembers(t, res)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"1"` || m["label"] != "Sales" ||
		m["onACallRingPreference"] != "beepOnly" || m["logMissedCalls"] != false ||
		m["notOnACallRingPreference"] != "useSystemDefault" {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	// Absent members stay; null returns a member to its default.
	res = ann.patch(lsPath, `"1"`, `{"logMissedCalls":null,"label":null}`)
	m = lineMembers(t, res)
	if res.StatusCode != 200 || m["version"] != 2.0 || m["label"] != "" ||
		m["logMissedCalls"] != true || m["onACallRingPreference"] != "beepOnly" {
		t.Errorf("null: %d %s", res.StatusCode, res.Body)
	}
	if res = ann.patch(lsPath, `"1"`, good); res.StatusCode != 409 {
		t.Errorf("stale PATCH: %d %s", res.StatusCode, res.Body)
	}
	// Line 1 of the same phone is untouched, and the list shows both.
	if res = ann.get("/ucmuser/api/v1/phones/SEPANN/lines/1"); res.Header.Get("ETag") !=
		`"0"` {
		t.Errorf("line 1 changed: %s", res.Body)
	}
	var list struct {
		Device string
		Lines  []struct {
			Index   int
			Version int64
			Label   string
		}
	}
	res = ann.get("/ucmuser/api/v1/phones/SEPANN/lines")
	if err := json.Unmarshal(res.Body, &list); err != nil || res.StatusCode != 200 ||
		list.Device != "SEPANN" || len(list.Lines) != 2 || list.Lines[0].Index != 1 ||
		list.Lines[1].Version != 2 {
		t.Errorf("list: %d %s %v", res.StatusCode, res.Body, err)
	}
}

func TestLineSettingsAnotherUsersLineIsNotFound(t *testing.T) {
	s := newLineSettingsSite(t)
	ann, ben := s.signIn("ann"), s.signIn("ben")
	if res := ben.patch(lsBenPath, `"0"`, `{"label":"Ben's"}`); res.StatusCode != 200 {
		t.Fatalf("ben's own PATCH: %d %s", res.StatusCode, res.Body)
	}
	before := ben.get("/ucmuser/api/v1/phones/SEPBEN/lines")

	missing := ann.get("/ucmuser/api/v1/phones/SEPNOBODY/lines/1")
	if missing.StatusCode != 404 {
		t.Fatalf("missing phone: %d %s", missing.StatusCode, missing.Body)
	}
	for _, c := range []struct {
		name string
		res  response
	}{
		{"GET of ben's line", ann.get(lsBenPath)},
		{"GET of ben's list", ann.get("/ucmuser/api/v1/phones/SEPBEN/lines")},
		{"PATCH of ben's line at its version", ann.patch(lsBenPath, `"1"`,
			`{"label":"Ann's"}`)},
		{"PATCH of ben's line at version 0", ann.patch(lsBenPath, `"0"`,
			`{"logMissedCalls":false}`)},
		{"GET of a line ann's phone lacks", ann.get("/ucmuser/api/v1/phones/SEPANN/lines/3")},
		{"PATCH of a line ann's phone lacks", ann.patch(
			"/ucmuser/api/v1/phones/SEPANN/lines/3", `"0"`, `{"label":"x"}`)},
		{"GET of line 01", ann.get("/ucmuser/api/v1/phones/SEPANN/lines/01")},
		{"GET of line -1", ann.get("/ucmuser/api/v1/phones/SEPANN/lines/-1")},
		{"PATCH of a missing phone", ann.patch("/ucmuser/api/v1/phones/SEPNOBODY/lines/1",
			`"0"`, `{"label":"x"}`)},
	} {
		t.Run(c.name+" answers as for a phone that does not exist", func(t *testing.T) {
			if c.res.StatusCode != 404 || string(c.res.Body) != string(missing.Body) {
				t.Errorf("%d %s, want %d %s", c.res.StatusCode, c.res.Body,
					missing.StatusCode, missing.Body)
			}
		})
	}
	form := url.Values{"device": {"SEPBEN"}, "index": {"1"}, "version": {"1"},
		"section":  {"ring", "label", "mwi"},
		"ringIdle": {"ring"}, "ringOnCall": {"ring"}, "label": {"Ann's"},
		"mwiVisual": {"none"}, "mwiAudible": {"off"}}
	theirs := postLineForm(ann, form)
	form.Set("device", "SEPNOBODY")
	nobody := postLineForm(ann, form)
	if theirs.StatusCode != 404 || string(theirs.Body) != string(nobody.Body) {
		t.Errorf("ben's line by form: %d, a missing phone's: %d", theirs.StatusCode,
			nobody.StatusCode)
	}
	if page := ann.get(lsPagePath); strings.Contains(string(page.Body), "SEPBEN") {
		t.Error("ann's page shows ben's phone")
	}
	if after := ben.get("/ucmuser/api/v1/phones/SEPBEN/lines"); string(after.Body) !=
		string(before.Body) {
		t.Errorf("ben's lines changed: %s -> %s", before.Body, after.Body)
	}
}

func TestLineSettingsConcurrentPatchesOneWins(t *testing.T) {
	s := newLineSettingsSite(t)
	ann := s.signIn("ann")
	const n = 8
	var (
		start  = make(chan struct{})
		wg     sync.WaitGroup
		status [n]int
		errs   [n]error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"label":"Writer ` + string(rune('A'+i)) + `"}`
			req, err := http.NewRequest("PATCH", ann.base+lsPath, strings.NewReader(body))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", `"0"`)
			<-start
			res, err := ann.c.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			res.Body.Close()
			status[i] = res.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range n {
		switch {
		case errs[i] != nil:
			t.Fatalf("writer %d: %v", i, errs[i])
		case status[i] == 200 && winner < 0:
			winner = i
		case status[i] != 409:
			t.Errorf("writer %d: %d, want one 200 and the rest 409", i, status[i])
		}
	}
	if winner < 0 {
		t.Fatalf("nobody won: %v", status)
	}
	m := lineMembers(t, ann.get(lsPath))
	if m["label"] != "Writer "+string(rune('A'+winner)) || m["version"] != 1.0 {
		t.Errorf("stored %v, winner %d", m, winner)
	}
}

func TestLineSettingsGates(t *testing.T) {
	s := newForwardingSite(t) // the defaults: ring settings and labels hidden
	ann := s.signIn("ann")
	m := lineMembers(t, ann.get(lsPath))
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	wantKeys := []string{"device", "extension", "index", "logMissedCalls",
		"messageWaitingAudibleAlertPreference", "messageWaitingVisualAlertPreference",
		"version"}
	if d := cmp.Diff(wantKeys, keys, lsSortedStrings); d != "" {
		t.Errorf("members with the defaults (-want +got):\n%s", d)
	}
	page := string(ann.get(lsPagePath).Body)
	if strings.Contains(page, `name="label"`) || strings.Contains(page, `name="ringIdle"`) ||
		!strings.Contains(page, `name="mwiVisual"`) {
		t.Errorf("page with the defaults shows hidden parts or lacks shown ones:\n%s",
			page)
	}

	// A patch touching a hidden part is refused whole, naming the parameter.
	for _, c := range []struct{ body, param string }{
		{`{"logMissedCalls":false,"label":"Sales"}`, params.KeyShowLineLabels},
		{`{"logMissedCalls":false,"notOnACallRingPreference":null}`,
			params.KeyShowRingSettings},
	} {
		res := ann.patch(lsPath, `"0"`, c.body)
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" ||
			!strings.Contains(string(res.Body), c.param) {
			t.Errorf("%s: %d %s", c.body, res.StatusCode, res.Body)
		}
	}
	if m := lineMembers(t, ann.get(lsPath)); m["version"] != 0.0 ||
		m["logMissedCalls"] != true {
		t.Errorf("a refused patch changed a shown part: %v", m)
	}

	// The page refuses a hidden part's field as the API does.
	form := url.Values{"device": {"SEPANN"}, "index": {"2"}, "version": {"0"},
		"section":   {"mwi", "label"},
		"mwiVisual": {"none"}, "mwiAudible": {"on"}, "label": {"Sales"}}
	if res := postLineForm(ann, form); res.StatusCode != 403 ||
		!strings.Contains(string(res.Body), params.KeyShowLineLabels) {
		t.Errorf("hidden label by form: %d %s", res.StatusCode, res.Body)
	}
	if m := lineMembers(t, ann.get(lsPath)); m["version"] != 0.0 {
		t.Errorf("a refused form changed the line: %v", m)
	}

	s.setParam(params.KeyShowMessageWaiting, "false")
	if res := ann.patch(lsPath, `"0"`, `{"messageWaitingAudibleAlertPreference":"on"}`); res.
		StatusCode != 403 || !strings.Contains(string(res.Body), params.KeyShowMessageWaiting) {
		t.Errorf("hidden voicemail notification: %d %s", res.StatusCode, res.Body)
	}
	if !strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="`+lsPagePath+`"`) {
		t.Error("navigation lacks the page while call history is shown")
	}

	// All four hidden: the API, the page and the link are gone.
	s.setParam(params.KeyShowCallHistory, "false")
	for _, res := range []response{ann.get(lsPath), ann.get(
		"/ucmuser/api/v1/phones/SEPANN/lines"), ann.patch(lsPath, `"0"`, `{}`)} {
		if res.StatusCode != 403 || errCode(t, res) != "feature_hidden" {
			t.Errorf("all hidden: %d %s", res.StatusCode, res.Body)
		}
	}
	if res := ann.get(lsPagePath); res.StatusCode != 403 {
		t.Errorf("hidden page: %d", res.StatusCode)
	}
	form = url.Values{"device": {"SEPANN"}, "index": {"2"}, "version": {"0"},
		"section": {"history"}, "logMissedCalls": {"on"}}
	if res := postLineForm(ann, form); res.StatusCode != 403 {
		t.Errorf("hidden page POST: %d", res.StatusCode)
	}
	if strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="`+lsPagePath+`"`) {
		t.Error("navigation still offers the hidden page")
	}
}

// lsSortedStrings compares string slices as sets.
var lsSortedStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestLineSettingsPage(t *testing.T) {
	s := newLineSettingsSite(t)
	ann := s.signIn("ann")
	page := ann.get(lsPagePath)
	body := string(page.Body)
	if page.StatusCode != 200 || strings.Count(body, `name="index"`) != 2 ||
		!strings.Contains(body, `for="ls-SEPANN-2-label"`) ||
		!strings.Contains(string(ann.get("/ucmuser/phones").Body), `href="`+lsPagePath+`"`) {
		t.Fatalf("page: %d %s", page.StatusCode, body)
	}

	form := url.Values{"device": {"SEPANN"}, "index": {"2"}, "version": {"0"},
		"ringIdle": {"flashOnly"}, "ringOnCall": {"useSystemDefault"},
		"label": {"<b>Sales</b>"}, "mwiVisual": {"lightOnly"}, "mwiAudible": {"default"},
		"section": {"ring", "label", "mwi", "history"}} // the box is not ticked
	res := ann.followSaved(postLineForm(ann, form))
	body = string(res.Body)
	if res.StatusCode != 200 || !strings.Contains(body, "have been saved") ||
		!strings.Contains(body, `value="&lt;b&gt;Sales&lt;/b&gt;"`) ||
		strings.Contains(body, "<b>Sales") {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	m := lineMembers(t, ann.get(lsPath))
	if m["notOnACallRingPreference"] != "flashOnly" || m["logMissedCalls"] != false ||
		m["messageWaitingVisualAlertPreference"] != "lightOnly" {
		t.Errorf("stored %v", m)
	}

	// The same form again is stale: the current values are shown.
	if res = postLineForm(ann, form); res.StatusCode != 409 ||
		!strings.Contains(string(res.Body), "changed elsewhere") {
		t.Errorf("stale form: %d %s", res.StatusCode, res.Body)
	}

	// A refusal is shown beside its field, as typed, and nothing is saved.
	form.Set("version", "1")
	form.Set("label", strings.Repeat("y", 31))
	form.Set("mwiAudible", "loud")
	res = postLineForm(ann, form)
	body = string(res.Body)
	if res.StatusCode != 400 || !strings.Contains(body, "at most 30 characters") ||
		!strings.Contains(body, `aria-invalid="true"`) ||
		!strings.Contains(body, `id="ls-SEPANN-2-mwiAudible-err"`) ||
		!strings.Contains(body, `value="`+strings.Repeat("y", 31)+`"`) ||
		!strings.Contains(body, `<a href="#ls-SEPANN-2-mwiAudible">`) {
		t.Errorf("refused form: %d %s", res.StatusCode, body)
	}
	if got := ann.get(lsPath); got.Header.Get("ETag") != `"1"` {
		t.Errorf("refused form saved: %s", got.Body)
	}
}

// BenchmarkLineSettingsHTTP reads a line's settings and toggles missed-
// call logging through the handler on SQLite, beside the plain handler in
// the same run, as BenchmarkForwardingHTTP does for forwarding.
func BenchmarkLineSettingsHTTP(b *testing.B) {
	p := newBenchPortal(b)
	const path = "/ucmuser/api/v1/phones/SEPANN/lines/1"
	serve := func(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
		req.AddCookie(&http.Cookie{Name: web.DefaultCookieName, Value: p.token})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			if rec := serve(plainForwarding, httptest.NewRequest("GET", path,
				nil)); rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if rec := serve(p.h, httptest.NewRequest("GET", path, nil)); rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body)
			}
		}
	})
	b.Run("change", func(b *testing.B) {
		etag := serve(p.h, httptest.NewRequest("GET", path, nil)).Header().Get("ETag")
		on := false
		for b.Loop() {
			req := httptest.NewRequest("PATCH", path, strings.NewReader(
				`{"logMissedCalls":`+strconv.FormatBool(on)+`}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			req.Header.Set("If-Match", etag)
			rec := serve(p.h, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body)
			}
			etag = rec.Header().Get("ETag")
			on = !on
		}
	})
}

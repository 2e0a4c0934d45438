package web_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

var (
	formRE   = regexp.MustCompile(`(?s)<form [^>]*>.*?</form>`)
	inputRE  = regexp.MustCompile(`<input [^>]*>`)
	selectRE = regexp.MustCompile(`(?s)<select [^>]*name="([^"]*)"[^>]*>.*?</select>`)
	optionRE = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	attrRE   = regexp.MustCompile(`(\w+)(?:="([^"]*)")?`)
)

// pageForm returns what a browser would post from the first form of page
// whose text contains marker: hidden and text inputs, ticked boxes and
// radio buttons, and the selected option of each select.
func pageForm(tb testing.TB, page []byte, marker string) url.Values {
	tb.Helper()
	for _, form := range formRE.FindAllString(string(page), -1) {
		if !strings.Contains(form, marker) {
			continue
		}
		v := url.Values{}
		for _, in := range inputRE.FindAllString(form, -1) {
			attrs := map[string]string{}
			for _, m := range attrRE.FindAllStringSubmatch(in, -1) {
				if _, ok := attrs[m[1]]; !ok {
					attrs[m[1]] = html.UnescapeString(m[2])
				}
			}
			if attrs["name"] == "" {
				continue
			}
			val, present := attrs["value"]
			if attrs["type"] == "checkbox" || attrs["type"] == "radio" {
				if _, checked := attrs["checked"]; !checked {
					continue
				}
				if !present {
					val = "on"
				}
			}
			v.Add(attrs["name"], val)
		}
		for _, sel := range selectRE.FindAllStringSubmatch(form, -1) {
			if m := optionRE.FindStringSubmatch(sel[0]); m != nil {
				v.Add(sel[1], html.UnescapeString(m[1]))
			}
		}
		return v
	}
	tb.Fatalf("no form with %q in %s", marker, page)
	return nil
}

// postPage posts form to the page at path, as a browser would.
func postPage(b *browser, path string, form url.Values) response {
	b.tb.Helper()
	return b.do("POST", path, "application/x-www-form-urlencoded", form.Encode())
}

func TestForwardingFormRenderedWithOnlyCFAKeepsTheHiddenRules(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	res := ann.patch(fwdPath, `"0"`, `{"busyInternal":{"destination":"2006"}}`)
	if res.StatusCode != 200 {
		t.Fatalf("setup: %d %s", res.StatusCode, res.Body)
	}

	// The form is rendered while only Call Forward All is shown, and
	// posted after the administrator shows every rule again.
	s.setParam(params.KeyShowCallForwarding, params.ShowOnlyCFA)
	form := pageForm(t, ann.get("/ucmuser/forwarding").Body, `value="4021"`)
	if form.Has("busyInternal.destination") {
		t.Fatalf("the CFA-only form shows the busy rule: %v", form)
	}
	s.setParam(params.KeyShowCallForwarding, params.ShowAllSettings)
	form.Set("callForwardAll.destination", "4022")
	if res := postPage(ann, "/ucmuser/forwarding", form); res.StatusCode != 303 {
		t.Fatalf("post: %d %s", res.StatusCode, res.Body)
	}
	m := forwarding(t, ann.get(fwdPath))
	if got := rule(m, "busyInternal"); got != "|2006" {
		t.Errorf("busyInternal = %q, want the saved |2006", got)
	}
	if got := rule(m, "callForwardAll"); got != "|4022" {
		t.Errorf("callForwardAll = %q, want the posted |4022", got)
	}
}

func TestForwardingFormWithHiddenRulesIsRefusedNamingTheParameter(t *testing.T) {
	for _, c := range []struct {
		name string
		form url.Values
	}{
		{"rules marker", url.Values{"section": {"all", "rules"},
			"callForwardAll.destination": {""}}},
	} {
		t.Run(c.name+" gets 403", func(t *testing.T) {
			s := newForwardingSite(t)
			ann := s.signIn("ann")
			s.setParam(params.KeyShowCallForwarding, params.ShowOnlyCFA)
			c.form.Set("extension", "4021")
			c.form.Set("version", "0")
			res := postPage(ann, "/ucmuser/forwarding", c.form)
			if res.StatusCode != 403 ||
				!strings.Contains(string(res.Body), "Show Call Forwarding") {
				t.Errorf("post: %d %s", res.StatusCode, res.Body)
			}
			s.setParam(params.KeyShowCallForwarding, params.ShowAllSettings)
			if v := forwarding(t, ann.get(fwdPath))["version"]; v != 0.0 {
				t.Errorf("version %v: the refused form was saved", v)
			}
		})
	}
}

func TestLineFormRenderedWithHiddenPartsKeepsThem(t *testing.T) {
	s := newLineSettingsSite(t)
	ann := s.signIn("ann")
	res := ann.patch(lsPath, `"0"`, `{"label":"Sales","logMissedCalls":true}`)
	if res.StatusCode != 200 {
		t.Fatalf("setup: %d %s", res.StatusCode, res.Body)
	}

	// Rendered with labels and call history hidden, posted after both are
	// shown again.
	s.setParam(params.KeyShowLineLabels, "false")
	s.setParam(params.KeyShowCallHistory, "false")
	form := pageForm(t, ann.get(lsPagePath).Body, `name="index" value="2"`)
	if form.Has("label") {
		t.Fatalf("the form shows the hidden label: %v", form)
	}
	s.setParam(params.KeyShowLineLabels, "true")
	s.setParam(params.KeyShowCallHistory, "true")
	form.Set("ringIdle", "flashOnly")
	if res := postLineForm(ann, form); res.StatusCode != 303 {
		t.Fatalf("post: %d %s", res.StatusCode, res.Body)
	}
	m := lineMembers(t, ann.get(lsPath))
	if m["label"] != "Sales" || m["logMissedCalls"] != true ||
		m["notOnACallRingPreference"] != "flashOnly" {
		t.Errorf("after the post: %v; want label Sales, logMissedCalls true, "+
			"ring flashOnly", m)
	}

	// A box of a part on the form that is not ticked is unticked.
	form = pageForm(t, ann.get(lsPagePath).Body, `name="index" value="2"`)
	form.Del("logMissedCalls")
	if res := postLineForm(ann, form); res.StatusCode != 303 {
		t.Fatalf("untick: %d %s", res.StatusCode, res.Body)
	}
	if m := lineMembers(t, ann.get(lsPath)); m["logMissedCalls"] != false {
		t.Errorf("logMissedCalls = %v after unticking", m["logMissedCalls"])
	}

	// A part's marker posted while the part is hidden is refused.
	s.setParam(params.KeyShowCallHistory, "false")
	if res := postLineForm(ann, form); res.StatusCode != 403 ||
		!strings.Contains(string(res.Body), params.KeyShowCallHistory) {
		t.Errorf("hidden history marker: %d %s", res.StatusCode, res.Body)
	}
}

func TestHandTypedFormValuesAreRefusedBesideTheirFields(t *testing.T) {
	dnd := url.Values{"version": {"0"}, "section": {"dnd"}, "enabled": {"on"},
		"option": {"ringerOff"}, "alert": {"beepOnly"}}
	with := func(v url.Values, k, val string) url.Values {
		out := url.Values{}
		for key, vals := range v {
			out[key] = append([]string(nil), vals...)
		}
		out.Set(k, val)
		return out
	}
	sixNumbers := url.Values{"action": {"add"}, "device": {"SEPANN"},
		"firstName": {"Ada"}, "methodType": {"work", "work", "work", "work", "work", "work"},
		"methodNumber": {"4001", "4002", "4003", "4004", "4005", "4006"}}
	eightRows := rdForm("+41791234567", "")
	for _, k := range []string{"day", "start", "end"} {
		eightRows[k] = make([]string, 8)
	}
	for i := range 8 {
		eightRows["day"][i] = "1"
		eightRows["start"][i] = "08:00"
		eightRows["end"][i] = "09:00"
	}
	for _, c := range []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"DND enabled=maybe", "/ucmuser/dnd", with(dnd, "enabled", "maybe"),
			`id="dnd-on-err">Tick the box`},
		{"DND unknown option", "/ucmuser/dnd", with(dnd, "option", "loud"),
			`id="dnd-opt-err">Choose Ringer off or Call reject.`},
		{"DND unknown alert", "/ucmuser/dnd", with(dnd, "alert", "siren"),
			`id="dnd-alert-err">Choose No alert`},
		{"a contact with six numbers", "/ucmuser/contacts", sixNumbers,
			`-methods-err">A contact has at most 5 numbers.`},
		{"eight schedule rows", "/ucmuser/additional-phones", eightRows,
			"Use at most 7 rows."},
		{"an empty new PIN", "/ucmuser/pin", url.Values{"currentPassword": {sitePassword},
			"newPin": {""}, "confirmPin": {""}}, "Enter a new PIN; it is required."},
	} {
		t.Run(c.name+" gets 400 with a field message", func(t *testing.T) {
			s := newForwardingSite(t)
			ann := s.signIn("ann")
			res := postPage(ann, c.path, c.form)
			body := string(res.Body)
			if res.StatusCode != 400 || !strings.Contains(body, c.want) ||
				strings.Contains(body, "The request is malformed.") {
				t.Errorf("post: %d, want 400 with %q:\n%s", res.StatusCode, c.want, body)
			}
		})
	}

	// Nothing of a refused DND form was saved: maybe is not off, nor on.
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	postPage(ann, "/ucmuser/dnd", with(dnd, "enabled", "maybe"))
	if got := ann.get(dndPath); got.Header.Get("ETag") != `"0"` {
		t.Errorf("after enabled=maybe: %s %s", got.Header.Get("ETag"), got.Body)
	}
}

func TestSpeedDialsOnOnePositionNameTheSecondEntry(t *testing.T) {
	s := newForwardingSite(t)
	ann := s.signIn("ann")
	form := url.Values{"device": {"SEPANN"}, "version": {"0"},
		"position": {"3", "", "3"}, "destination": {"4031", "", "4032"},
		"label": {"", "", ""}}
	res := postPage(ann, "/ucmuser/speed-dials", form)
	body := string(res.Body)
	for _, want := range []string{
		`<a href="#sd-SEPANN-3-position">Row 3: Position 3 is used twice.</a>`,
		`id="sd-SEPANN-3-position" name="position" value="3" inputmode="numeric" ` +
			`size="3" aria-invalid="true"`,
	} {
		if res.StatusCode != 409 || !strings.Contains(body, want) {
			t.Errorf("post: %d, want 409 with %s:\n%s", res.StatusCode, want, body)
		}
	}
	if strings.Contains(body, `id="sd-SEPANN-1-position" name="position" value="3" `+
		`inputmode="numeric" size="3" aria-invalid`) {
		t.Error("the first entry, which keeps its place, is marked too")
	}
}

// callIfMatch is call with an If-Match header.
func callIfMatch(tb testing.TB, h http.Handler, method, target, body, ifMatch string,
	cookies ...*http.Cookie) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", ifMatch)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestExtensionMobilityChoiceHasAVersion(t *testing.T) {
	p := newPortal(t, selfcare.Config{})
	const (
		api  = "/ucmuser/api/v1/extension-mobility"
		page = "/ucmuser/extension-mobility"
	)
	prof := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}
	if _, err := p.svc.PutProfile(t.Context(), local, prof); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.AssignProfile(t.Context(), local, probeUser, prof.Name); err != nil {
		t.Fatal(err)
	}
	if rec := call(t, p.h, "GET", api, "", p.user()); rec.Header().Get("ETag") != `"0"` ||
		!strings.Contains(rec.Body.String(), `"version":0`) {
		t.Errorf("GET: ETag %q %s", rec.Header().Get("ETag"), rec.Body)
	}
	for _, c := range []struct {
		name, ifMatch string
		status        int
	}{
		{"without If-Match is 428", "", 428},
		{"with a future version is 409", `"5"`, 409},
		{"with the version read is 200", `"0"`, 200},
		{"with the version used up is 409", `"0"`, 409},
	} {
		rec := callIfMatch(t, p.h, "PUT", api, `{"choice":"2:00"}`, c.ifMatch, p.user())
		if c.ifMatch == "" {
			rec = call(t, p.h, "PUT", api, `{"choice":"2:00"}`, p.user())
		}
		if rec.Code != c.status {
			t.Errorf("PUT %s: %d %s", c.name, rec.Code, rec.Body)
		}
	}

	// Two tabs opened at version 1: the second to save is told, and the
	// first one's choice stays.
	tab := url.Values{"version": {"1"}, "section": {"login-time"}, "choice": {"none"}}
	if rec := call(t, p.h, "POST", page, tab.Encode(), p.user()); rec.Code != 303 {
		t.Fatalf("first tab: %d %s", rec.Code, rec.Body)
	}
	tab.Set("choice", "default")
	rec := call(t, p.h, "POST", page, tab.Encode(), p.user())
	if body := rec.Body.String(); rec.Code != 409 ||
		!strings.Contains(body, "changed elsewhere") ||
		!strings.Contains(body, `name="version" value="2"`) {
		t.Errorf("second tab: %d %s", rec.Code, body)
	}
	if rec := call(t, p.h, "GET", api, "", p.user()); !strings.Contains(rec.Body.String(),
		`"choice":"none"`) {
		t.Errorf("after the second tab: %s", rec.Body)
	}

	// The page words a time out of range for people, not for the API.
	tab = url.Values{"version": {"2"}, "choice": {"custom"}, "hours": {"169"},
		"minutes": {"0"}}
	rec = call(t, p.h, "POST", page, tab.Encode(), p.user())
	if body := rec.Body.String(); rec.Code != 400 ||
		!strings.Contains(body, "Enter at most 168 hours") ||
		strings.Contains(body, "HHH:MM") || strings.Contains(body, "(choice)") {
		t.Errorf("169 hours: %d %s", rec.Code, body)
	}
}

package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// followSaved follows the answer to a form post that should have saved:
// it must be 303 See Other to a page of the portal with a saved marker,
// and that page, read with a GET, is returned. Any other answer is
// returned as it is, for the caller's checks to report.
func (b *browser) followSaved(res response) response {
	b.tb.Helper()
	if res.StatusCode != http.StatusSeeOther {
		return res
	}
	loc := res.Header.Get("Location")
	if err := checkSavedLocation(loc); err != "" {
		b.tb.Errorf("Location %q: %s", loc, err)
	}
	return b.get(loc)
}

// followSavedRec is followSaved for a handler served in process.
func followSavedRec(tb testing.TB, h http.Handler, rec *httptest.ResponseRecorder,
	cookies ...*http.Cookie) *httptest.ResponseRecorder {
	tb.Helper()
	if rec.Code != http.StatusSeeOther {
		return rec
	}
	loc := rec.Header().Get("Location")
	if err := checkSavedLocation(loc); err != "" {
		tb.Errorf("Location %q: %s", loc, err)
	}
	return call(tb, h, "GET", loc, "", cookies...)
}

// checkSavedLocation says what is wrong with the target of a save's
// redirect, "" when nothing is.
func checkSavedLocation(loc string) string {
	u, err := url.Parse(loc)
	switch {
	case err != nil:
		return err.Error()
	case u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/ucmuser/"):
		return "not a page of the portal"
	case u.Query().Get("saved") == "":
		return "no saved marker"
	}
	return ""
}

// TestSavedFormsRedirect saves every page's form once: the answer is 303
// See Other to the page with a marker, the page read from there shows the
// notice, reading it again (what a browser's reload does) shows the
// saved value and no conflict, and a marker nobody made shows nothing.
func TestSavedFormsRedirect(t *testing.T) {
	_, ann := newA11ySite(t)
	cases := []struct {
		name, path string
		form       url.Values
		location   string // the redirect's target, query decoded
		notice     string
		stored     string // in the page read again
	}{
		{"forwarding", "/ucmuser/forwarding", url.Values{"extension": {"4021"},
			"version": {"0"}, "section": {"all"},
			"callForwardAll.destination": {"914085550100"}},
			"/ucmuser/forwarding?saved=4021",
			"Call forwarding of line 4021 has been saved.", `value="914085550100"`},
		{"speed dials", "/ucmuser/speed-dials", url.Values{"device": {"SEPANN"},
			"version": {"0"}, "position": {"3"}, "destination": {"2002"},
			"label": {"Team"}}, "/ucmuser/speed-dials?saved=SEPANN",
			"The speed dials of SEPANN have been saved.", `value="Team"`},
		{"Do Not Disturb", "/ucmuser/dnd", url.Values{"version": {"0"},
			"enabled": {"on"}, "option": {"callReject"}, "alert": {"beepOnly"}},
			"/ucmuser/dnd?saved=dnd", "Do Not Disturb has been saved.",
			`value="beepOnly" selected`},
		{"conferencing", "/ucmuser/conferencing", url.Values{"version": {"0"},
			"enabled": {"on"}, "accessCode": {"52719"}},
			"/ucmuser/conferencing?saved=conferencing", "Conference Now has been saved.",
			`value="52719"`},
		{"phone settings", "/ucmuser/phones/SEPANN/settings", url.Values{"version": {"0"},
			"section": {"description"}, "description": {"Desk"}}, "/ucmuser/phones/SEPANN/settings?saved=settings",
			"The settings of SEPANN have been saved.", `value="Desk"`},
		{"language", "/ucmuser/language", url.Values{"version": {"0"},
			"locale": {"es_ES"}}, "/ucmuser/language?saved=language",
			"Your display language is now Spanish (Spain).", `value="es_ES" selected`},
		{"line settings", "/ucmuser/line-settings", url.Values{"device": {"SEPANN"},
			"index": {"2"}, "version": {"0"}, "section": {"ring", "label", "mwi"},
			"ringIdle": {"flashOnly"}, "ringOnCall": {"ring"}, "label": {"Sales"},
			"mwiVisual": {"lightOnly"}, "mwiAudible": {"default"}},
			"/ucmuser/line-settings?saved=SEPANN-2",
			"The settings of line 2 of SEPANN have been saved.", `value="Sales"`},
		{"services", "/ucmuser/services", url.Values{"action": {"update"},
			"device": {"SEPANN"}, "service": {"agent"}, "version": {"1"},
			"p.agentId": {"815"}},
			"/ucmuser/services?device=SEPANN&saved=update:agent",
			"Saved. Agent sign-in", `value="815"`},
		{"additional phones", "/ucmuser/additional-phones", rdForm("+14085550177", ""),
			"/ucmuser/additional-phones?saved=added:", "has been added.",
			`value="&#43;14085550177"`},
		{"contacts", "/ucmuser/contacts", url.Values{"action": {"add"},
			"device": {"SEPANN"}, "firstName": {"Grace"}, "methodType": {"work"},
			"methodNumber": {"4022"}}, "/ucmuser/contacts?device=SEPANN&saved=saved:",
			"The contact Grace has been saved.", "Work: 4022"},
		{"Extension Mobility", "/ucmuser/extension-mobility", url.Values{
			"choice": {"custom"}, "hours": {"10"}, "minutes": {"30"}, "version": {"0"}},
			"/ucmuser/extension-mobility?saved=em",
			"Your maximum login time has been saved.", "<td>10:30</td>"},
		{"PIN", "/ucmuser/pin", url.Values{"currentPassword": {sitePassword},
			"newPin": {"52719384"}, "confirmPin": {"52719384"}},
			"/ucmuser/pin?saved=pin", "Your PIN has been changed.", ""},
		{"password", "/ucmuser/password", url.Values{"currentPassword": {sitePassword},
			"newPassword": {"Lamp-Orbit-Quince-7"}, "confirmPassword": {"Lamp-Orbit-Quince-7"}},
			"/ucmuser/password?saved=password", "Your password has been changed.", ""},
	}
	for _, c := range cases {
		t.Run(c.name+" redirects to its page with the notice", func(t *testing.T) {
			res := ann.form(c.path, c.form)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303: %s", res.StatusCode, res.Body)
			}
			loc, err := url.QueryUnescape(res.Header.Get("Location"))
			if err != nil || !strings.HasPrefix(loc, c.location) {
				t.Fatalf("Location %q (%v), want %q", loc, err, c.location)
			}
			page := ann.followSaved(res)
			if page.StatusCode != http.StatusOK ||
				!strings.Contains(string(page.Body), c.notice) {
				t.Fatalf("page after the save: %d, lacks %q:\n%s", page.StatusCode,
					c.notice, page.Body)
			}
			for _, p := range a11yProblems(parsePage(t, page.Body)) {
				t.Errorf("page after the save: %s", p)
			}

			// Reloading reads again: no second save, so no conflict.
			again := ann.get(res.Header.Get("Location"))
			body := string(again.Body)
			if again.StatusCode != http.StatusOK || strings.Contains(body, "elsewhere") ||
				!strings.Contains(body, c.stored) {
				t.Errorf("reloaded: %d, want %q and no conflict:\n%s", again.StatusCode,
					c.stored, body)
			}

			// A marker nobody saved, or made up, shows no notice.
			bare, _, _ := strings.Cut(res.Header.Get("Location"), "?")
			for _, q := range []string{"", "?saved=nothing", "?saved=%3Cb%3Ex"} {
				if b := string(ann.get(bare + q).Body); strings.Contains(b, c.notice) ||
					strings.Contains(b, `role="status"`) {
					t.Errorf("GET %s shows a notice", bare+q)
				}
			}
		})
	}
}

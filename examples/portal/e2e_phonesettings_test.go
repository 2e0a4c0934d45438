package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndPhoneSettings names a phone and picks languages through the
// API and the pages of a real portal on SQLite, then hides the phone
// display language from the command line: the API and the page follow at
// once, while the description stays the user's to change.
func TestEndToEndPhoneSettings(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const (
		desk = "/ucmuser/api/v1/phones/SEP00A1B2C3D401"
		home = "/ucmuser/api/v1/phones/SEP00A1B2C3D402"
		lang = "/ucmuser/api/v1/language"
	)
	patch := func(path, ifMatch string, body any) (int, string) {
		t.Helper()
		return dana.do("PATCH", path, body, map[string]string{
			"Content-Type": "application/merge-patch+json", "If-Match": ifMatch})
	}

	// The demo data named the home phone for Dana; the desk phone shows
	// the administrator's description.
	st, body := dana.do("GET", home, nil, nil)
	expect(t, "home phone", st, http.StatusOK, body)
	if !strings.Contains(body, `"shownDescription":"Kitchen table","descriptionSource":"user"`) ||
		!strings.Contains(body, `"phoneLocale":"fr_FR"`) {
		t.Errorf("demo settings: %s", body)
	}
	st, body = dana.do("GET", desk, nil, nil)
	expect(t, "desk phone", st, http.StatusOK, body)
	if !strings.Contains(body, `"descriptionSource":"admin"`) ||
		!strings.Contains(body, `"version":0`) {
		t.Fatalf("fresh desk phone: %s", body)
	}
	st, body = patch(desk, `"0"`, map[string]any{"description": "Dana's desk",
		"phoneLocale": "de_DE"})
	expect(t, "name the desk phone", st, http.StatusOK, body)
	st, body = patch(desk, `"0"`, map[string]any{"description": "Lost"})
	expect(t, "stale version", st, http.StatusConflict, body)
	st, body = patch(desk, `"1"`, map[string]any{"adminDescription": "Mine"})
	expect(t, "administrator's field", st, http.StatusBadRequest, body)
	if _, page := dana.do("GET", "/ucmuser/phones", nil, nil); !strings.Contains(page,
		"Dana&#39;s desk") || !strings.Contains(page,
		`href="/ucmuser/phones/SEP00A1B2C3D401/settings"`) {
		t.Errorf("My Phones lacks the new name or the settings link")
	}

	st, body = patch(lang, `"0"`, map[string]any{"locale": "es_ES"})
	expect(t, "display language", st, http.StatusOK, body)
	st, body = dana.do("GET", lang, nil, nil)
	expect(t, "read back", st, http.StatusOK, body)
	if !strings.Contains(body, `"locale":"es_ES"`) || !strings.Contains(body, `"version":1`) {
		t.Errorf("stored %s", body)
	}

	out := runCLI(t, s.dir, "param", "set", params.KeyShowPhoneLocale, "false")
	if !strings.Contains(out, params.KeyShowPhoneLocale) {
		t.Errorf("CLI printed %q", out)
	}
	st, body = patch(desk, `"1"`, map[string]any{"phoneLocale": "fr_FR"})
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden PATCH: %d %s", st, body)
	}
	if _, body = dana.do("GET", desk, nil, nil); strings.Contains(body, "phoneLocale") {
		t.Errorf("hidden language still read: %s", body)
	}
	_, page := dana.do("GET", "/ucmuser/phones/SEP00A1B2C3D401/settings", nil, nil)
	if strings.Contains(page, `name="phoneLocale"`) || !strings.Contains(page,
		`name="description"`) {
		t.Error("the page does not follow the parameter")
	}
	st, body = patch(desk, `"1"`, map[string]any{"description": nil})
	expect(t, "description while the language is hidden", st, http.StatusOK, body)
	if !strings.Contains(body, `"descriptionSource":"admin"`) {
		t.Errorf("null did not give the administrator's back: %s", body)
	}

	out = runCLI(t, s.dir, "audit", "-action", "phone.settings.change", "-n", "10")
	for _, want := range []string{s.user.id, "phone SEP00A1B2C3D401",
		`description="Dana's desk" phoneLocale="de_DE"`, "stale version 0, stored 1",
		params.KeyShowPhoneLocale} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
	out = runCLI(t, s.dir, "audit", "-action", "language.change", "-n", "10")
	if !strings.Contains(out, "en_US -> es_ES (version 1)") {
		t.Errorf("audit trail lacks the language change:\n%s", out)
	}
}

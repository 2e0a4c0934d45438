package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestEndToEndPhoneServices adds a service from the command line of a real
// portal on SQLite, subscribes a phone to it through the API with a
// secret that never comes back, meets the removal rule and Phone Service
// Display, and then hides phone services from the command line: the API
// and the navigation follow at once.
func TestEndToEndPhoneServices(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const (
		phone  = "/ucmuser/api/v1/phones/SEP00A1B2C3D401/services"
		item   = phone + "/pager"
		secret = "quartz-Lantern-81"
	)

	svcFile := filepath.Join(t.TempDir(), "pager.json")
	if err := os.WriteFile(svcFile, []byte(`{"id":"pager","name":"Pager",
		"kind":"internal","url":"https://pager.example.com/xml","parameters":[
		{"name":"pin","displayName":"Pager PIN","required":true,"maxLength":8,
		 "kind":"digits"},
		{"name":"token","displayName":"Token","required":true,"maxLength":32,
		 "kind":"text","secret":true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runCLI(t, s.dir, "service", "add", "-file", svcFile)
	if !strings.Contains(out, "pager added") {
		t.Errorf("CLI printed %q", out)
	}
	if out := runCLI(t, s.dir, "service", "list"); !strings.Contains(out,
		"https://pager.example.com/xml") || !strings.Contains(out, "token (secret)") {
		t.Errorf("service list: %q", out)
	}
	if _, errOut, err := runCLIErr(s.dir, "service", "add", "-file", svcFile); err == nil {
		t.Errorf("the same service added twice: %s", errOut)
	}

	st, body := dana.do("GET", "/ucmuser/api/v1/phone-services", nil, nil)
	expect(t, "catalogue", st, http.StatusOK, body)
	if !strings.Contains(body, `"id":"pager"`) || strings.Contains(body, "example.com") {
		t.Errorf("catalogue: %s", body)
	}
	st, body = dana.do("POST", phone, map[string]any{"serviceId": "pager",
		"url": "http://evil.example.com/"}, nil)
	expect(t, "a URL", st, http.StatusBadRequest, body)
	st, body = dana.do("POST", phone, map[string]any{"serviceId": "pager",
		"parameters": map[string]string{"pin": "1234", "token": secret}}, nil)
	expect(t, "subscribe", st, http.StatusCreated, body)
	if strings.Contains(body, secret) || !strings.Contains(body, `"secretsSet":["token"]`) {
		t.Errorf("subscription shows %s", body)
	}
	st, body = dana.do("PATCH", item, map[string]any{"parameters": map[string]string{
		"pin": "5678"}}, map[string]string{"Content-Type": "application/merge-patch+json",
		"If-Match": `"1"`})
	expect(t, "patch", st, http.StatusOK, body)
	st, body = dana.do("GET", item, nil, nil)
	expect(t, "read back", st, http.StatusOK, body)
	if !strings.Contains(body, `"pin":"5678"`) || !strings.Contains(body, `"version":2`) ||
		strings.Contains(body, secret) {
		t.Errorf("stored %s", body)
	}

	// A subscribed service is not removed without -force.
	if _, errOut, err := runCLIErr(s.dir, "service", "remove", "pager"); err == nil ||
		!strings.Contains(err.Error(), "-force") {
		t.Errorf("removal while subscribed: %v %s", err, errOut)
	}
	if st, _ = dana.do("GET", item, nil, nil); st != http.StatusOK {
		t.Errorf("a refused removal ended the subscription: %d", st)
	}

	// Offering only external services hides the internal pager.
	runCLI(t, s.dir, "param", "set", params.KeyPhoneServiceDisplay, "External URL")
	st, body = dana.do("GET", "/ucmuser/api/v1/phone-services", nil, nil)
	expect(t, "external catalogue", st, http.StatusOK, body)
	if strings.Contains(body, `"pager"`) || !strings.Contains(body, `"weather"`) {
		t.Errorf("external catalogue: %s", body)
	}
	st, body = dana.do("PATCH", item, map[string]any{"parameters": map[string]string{
		"pin": "1"}}, map[string]string{"Content-Type": "application/merge-patch+json",
		"If-Match": `"2"`})
	expect(t, "patch of a service no longer offered", st, http.StatusNotFound, body)
	runCLI(t, s.dir, "param", "reset", params.KeyPhoneServiceDisplay)

	_, page := dana.do("GET", "/ucmuser/phones", nil, nil)
	if !strings.Contains(page, `href="/ucmuser/services"`) {
		t.Error("navigation lacks Phone Services")
	}
	runCLI(t, s.dir, "param", "set", params.KeyShowPhoneServices, "false")
	st, body = dana.do("GET", phone, nil, nil)
	if st != http.StatusForbidden || errorCode(body) != "feature_hidden" {
		t.Errorf("hidden GET: %d %s", st, body)
	}
	if st, _ = dana.do("GET", "/ucmuser/services", nil, nil); st != http.StatusForbidden {
		t.Errorf("hidden page: %d", st)
	}
	_, page = dana.do("GET", "/ucmuser/phones", nil, nil)
	if strings.Contains(page, `href="/ucmuser/services"`) {
		t.Error("navigation still offers Phone Services")
	}

	out = runCLI(t, s.dir, "service", "remove", "pager", "-force")
	if !strings.Contains(out, "removed with 1 subscriptions") {
		t.Errorf("forced removal: %q", out)
	}
	out = runCLI(t, s.dir, "audit", "-n", "50")
	for _, want := range []string{"phoneservice.subscribe", "phoneservice.change",
		`token="****"`, "phoneservice.remove"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("audit trail shows the secret:\n%s", out)
	}
}

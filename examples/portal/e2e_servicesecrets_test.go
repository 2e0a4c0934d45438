package main

import (
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
)

// TestEndToEndServiceSecretsSealed subscribes a phone of a real portal to
// a service with a secret, then reads the database file as another
// program would: the row holds a seal, not the secret, and only the data
// folder's activation key opens it.
func TestEndToEndServiceSecretsSealed(t *testing.T) {
	s := startParamsSite(t)
	dana := s.signIn(s.user.id, s.user.password)
	const secret = "quartz-Lantern-81"

	svcFile := filepath.Join(t.TempDir(), "pager.json")
	if err := os.WriteFile(svcFile, []byte(`{"id":"pager","name":"Pager",
		"kind":"internal","url":"https://pager.example.com/xml","parameters":[
		{"name":"token","displayName":"Token","required":true,"maxLength":32,
		 "kind":"text","secret":true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, s.dir, "service", "add", "-file", svcFile)
	st, body := dana.do("POST", "/ucmuser/api/v1/phones/SEP00A1B2C3D401/services",
		map[string]any{"serviceId": "pager",
			"parameters": map[string]string{"token": secret}}, nil)
	expect(t, "subscribe", st, http.StatusCreated, body)

	db, err := sql.Open("sqlite", filepath.Join(s.dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var device, vals string
	if err := db.QueryRowContext(t.Context(), `SELECT device, vals
		FROM service_subscriptions WHERE service_id = 'pager'`).Scan(&device,
		&vals); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(vals, secret) || !strings.Contains(vals, `"token":"v1:`) {
		t.Fatalf("service_subscriptions.vals = %q, want the token sealed", vals)
	}

	key, err := onboarding.LoadKeyFile(filepath.Join(s.dir, activationKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := onboarding.NewSecretSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := strings.TrimSuffix(strings.SplitN(vals, `"token":"`, 2)[1], `"}`)
	at := onboarding.SecretPlace{Device: device, Service: "pager", Param: "token"}
	if got, err := sealer.Open(sealed, at); err != nil || got != secret {
		t.Errorf("the activation key opens %q, %v; want the secret", got, err)
	}
	out := runCLI(t, s.dir, "audit", "-action", selfcare.ActionServiceSubscribe)
	if strings.Contains(out, secret) || !strings.Contains(out, `token="****"`) {
		t.Errorf("the audit trail shows %q; want the token masked", out)
	}
}

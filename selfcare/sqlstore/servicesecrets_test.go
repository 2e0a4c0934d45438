package sqlstore_test

import (
	"bytes"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

const (
	secretAgentPW = "Tr0ub4dor-sentinel"
	secretUserPW  = "plum-Kettle-4417"
	secretUserPIN = "73190482"
)

// secretsSite is a service on a SQLite file that seals phone service
// secrets, with ann signed in and her phone SEPANN, and a catalogue
// holding the service "agent" with a secret "password".
type secretsSite struct {
	path   string
	store  *sqlstore.Store
	svc    *selfcare.Service
	sealer *onboarding.SecretSealer
	ann    *selfcare.Principal
}

func newSecretsSite(t *testing.T) *secretsSite {
	t.Helper()
	ctx := t.Context()
	s := &secretsSite{path: filepath.Join(t.TempDir(), "portal.db")}
	s.store = open(t, s.path)
	var err error
	s.sealer, err = onboarding.NewSecretSealer(bytes.Repeat([]byte{7}, onboarding.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s.svc = selfcare.New(s.store, selfcare.Config{ServiceSecrets: s.sealer,
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.svc.Directory().EnsureStandard(ctx))
	must(s.svc.CreateUser(ctx, "", selfcare.User{ID: "ann"}, secretUserPW, secretUserPIN))
	must(s.svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, "ann"))
	must(s.svc.PutDevice(ctx, "", selfcare.Device{Name: "SEPANN", Owner: "ann"}))
	must(s.svc.AddPhoneService(ctx, selfcare.LocalCaller(""), agentService()))
	_, s.ann, err = s.svc.Login(ctx, "ann", secretUserPW, "192.0.2.1")
	must(err)
	return s
}

func agentService() selfcare.PhoneService {
	return selfcare.PhoneService{ID: "agent", Name: "Agent sign-in",
		URL: "https://agents.example.com/xml", Params: []selfcare.ServiceParam{
			{Name: "agentId", DisplayName: "Agent ID", Required: true, MaxLength: 6,
				Kind: selfcare.ServiceParamDigits},
			{Name: "password", DisplayName: "Agent password", Required: true,
				MaxLength: 32, Secret: true}}}
}

// column returns every value of one column, read from the file at path
// through a connection of its own, as another program reading the
// database would.
func column(t *testing.T, path, query string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestServiceSecretIsNotInTheDatabaseFile(t *testing.T) {
	s := newSecretsSite(t)
	ctx := t.Context()
	if _, err := s.svc.SubscribeService(ctx, s.ann, "SEPANN", "agent",
		map[string]string{"agentId": "4711", "password": secretAgentPW},
		"192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.UpdateSubscribedService(ctx, s.ann, "SEPANN", "agent",
		selfcare.ServicePatch{"password": selfcare.Set("2nd-" + secretAgentPW)}, 1,
		"192.0.2.1"); err != nil {
		t.Fatal(err)
	}

	vals := column(t, s.path, `SELECT vals FROM service_subscriptions`)
	if len(vals) != 1 || !strings.Contains(vals[0], `"password":"v1:`) {
		t.Fatalf("service_subscriptions.vals = %q, want one row with a seal", vals)
	}
	audit := column(t, s.path, `SELECT detail FROM audit WHERE action LIKE 'phoneservice.%'`)
	if len(audit) < 2 {
		t.Fatalf("audit rows %q, want the subscription and the change", audit)
	}
	for what, rows := range map[string][]string{"vals": vals, "audit": audit} {
		for _, r := range rows {
			if strings.Contains(r, secretAgentPW) {
				t.Errorf("%s holds the secret in clear: %q", what, r)
			}
		}
	}

	// What the store reads back opens to the last value, for this row only.
	sub, err := s.store.Subscription(ctx, "SEPANN", "agent")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := selfcare.OpenServiceSecrets(s.sealer, agentService(), sub); err != nil ||
		got["password"] != "2nd-"+secretAgentPW {
		t.Errorf("OpenServiceSecrets = %v, %v", got, err)
	}
}

func TestClearServiceSecretOfAnOldDatabaseIsSealedOnSave(t *testing.T) {
	s := newSecretsSite(t)
	ctx := t.Context()

	// A row as a portal from before sealing wrote it.
	db, err := sql.Open("sqlite", s.path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO service_subscriptions
		(device, service_id, version, vals) VALUES ('SEPANN', 'agent', 1, ?)`,
		`{"agentId":"1","password":"`+secretAgentPW+`"}`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	got, err := s.svc.SubscribedService(ctx, s.ann, "SEPANN", "agent")
	if err != nil || len(got.SecretsSet) != 1 || got.Values["password"] != "" {
		t.Fatalf("the clear secret reads as %+v, %v; want set and hidden", got, err)
	}
	if _, err := s.svc.UpdateSubscribedService(ctx, s.ann, "SEPANN", "agent",
		selfcare.ServicePatch{"agentId": selfcare.Set("2")}, 1, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	vals := column(t, s.path, `SELECT vals FROM service_subscriptions`)
	if len(vals) != 1 || strings.Contains(vals[0], secretAgentPW) ||
		!strings.Contains(vals[0], `"password":"v1:`) {
		t.Errorf("after a save vals = %q, want the password sealed", vals)
	}
}

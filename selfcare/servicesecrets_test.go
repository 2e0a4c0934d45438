package selfcare_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
)

// secretsKey is the activation key of the keyed sites.
var secretsKey = bytes.Repeat([]byte{0x5e}, onboarding.KeySize)

// testSecrets returns the sealer of secretsKey.
func testSecrets(tb testing.TB) *onboarding.SecretSealer {
	tb.Helper()
	s, err := onboarding.NewSecretSealer(secretsKey)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// newKeyedSite is a forward site that seals service secrets under
// secretsKey.
func newKeyedSite(tb testing.TB) *forwardSite {
	tb.Helper()
	return newForwardSiteWith(tb, selfcare.Config{ServiceSecrets: testSecrets(tb)})
}

// storedValues returns the values of a subscription as the store keeps
// them.
func storedValues(tb testing.TB, s *forwardSite, device, id string) map[string]string {
	tb.Helper()
	sub, err := s.store.Subscription(s.ctx, device, id)
	if err != nil {
		tb.Fatal(err)
	}
	return sub.Values
}

// auditHolds reports whether any audit event shows text.
func auditHolds(tb testing.TB, s *forwardSite, text string) bool {
	tb.Helper()
	es, err := s.svc.Audit(s.ctx, selfcare.AuditFilter{Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range es {
		if strings.Contains(e.Detail+e.Target, text) {
			return true
		}
	}
	return false
}

const agentPassword = "Tr0ub4dor-sentinel"

func TestServiceSecretsAreStoredSealed(t *testing.T) {
	s := newServiceSite(t)
	got, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
		map[string]string{"agentId": "4711", "password": agentPassword}, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	// The store holds a seal; the user learns only that the secret is set.
	stored := storedValues(t, s, "SEPALICE", "agent")
	first := stored["password"]
	if !onboarding.IsSealedSecret(first) || strings.Contains(first, agentPassword) {
		t.Fatalf("stored password %q, want a seal", first)
	}
	if d := cmp.Diff(map[string]string{"agentId": "4711", "team": "sales"},
		got.Values); d != "" || len(got.SecretsSet) != 1 {
		t.Errorf("user sees %v %v (-want +got):\n%s", got.Values, got.SecretsSet, d)
	}
	open := func() string {
		t.Helper()
		sub, err := s.store.Subscription(s.ctx, "SEPALICE", "agent")
		if err != nil {
			t.Fatal(err)
		}
		vals, err := selfcare.OpenServiceSecrets(testSecrets(t), agentService(), sub)
		if err != nil {
			t.Fatal(err)
		}
		return vals["password"]
	}
	if open() != agentPassword {
		t.Fatalf("the seal opens to %q", open())
	}

	// A change of another value keeps the seal as it is.
	if _, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"team": selfcare.Set("ops")}, 1, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if again := storedValues(t, s, "SEPALICE", "agent")["password"]; again != first {
		t.Errorf("a change of the team resealed the password: %q -> %q", first, again)
	}

	// A new secret is sealed anew.
	if _, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"password": selfcare.Set("n3w-" + agentPassword)}, 2,
		"192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if next := storedValues(t, s, "SEPALICE", "agent")["password"]; next == first ||
		!onboarding.IsSealedSecret(next) || open() != "n3w-"+agentPassword {
		t.Errorf("after a new password the store holds %q, opening to %q", next, open())
	}
	if auditHolds(t, s, agentPassword) || auditHolds(t, s, first) {
		t.Error("the audit trail shows the secret or its seal")
	}
	if e := s.lastAudit(selfcare.ActionServiceChange); !strings.Contains(e.Detail,
		`password="****"`) || !strings.Contains(e.Detail, "secret changed: password") {
		t.Errorf("audit detail %q", e.Detail)
	}
}

func TestSealedServiceSecretsOpenOnlyInPlace(t *testing.T) {
	s := newServiceSite(t)
	if _, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
		map[string]string{"agentId": "1", "password": agentPassword},
		"192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	sub, err := s.store.Subscription(s.ctx, "SEPALICE", "agent")
	if err != nil {
		t.Fatal(err)
	}
	other, err := onboarding.NewSecretSealer(bytes.Repeat([]byte{1}, onboarding.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	// The same template under another parameter name, to move the seal
	// to another column.
	renamed := agentService()
	renamed.Params[2].Name = "pin"
	moved := func(device, id, param string) selfcare.ServiceSubscription {
		m := selfcare.ServiceSubscription{Device: device, ServiceID: id,
			Values: map[string]string{"agentId": "1", param: sub.Values["password"]}}
		return m
	}
	tests := []struct {
		name   string
		sealer *onboarding.SecretSealer
		ps     selfcare.PhoneService
		sub    selfcare.ServiceSubscription
	}{
		{"another phone's row fails", testSecrets(t), agentService(),
			moved("SEPBOB", "agent", "password")},
		{"another service's row fails", testSecrets(t), agentService(),
			moved("SEPALICE", "agent2", "password")},
		{"another parameter fails", testSecrets(t), renamed,
			moved("SEPALICE", "agent", "pin")},
		{"another activation key fails", other, agentService(), sub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := selfcare.OpenServiceSecrets(tt.sealer, tt.ps, tt.sub)
			if !errors.Is(err, onboarding.ErrSecretSeal) || vals != nil {
				t.Errorf("OpenServiceSecrets = %v, %v; want ErrSecretSeal", vals, err)
			}
		})
	}
	if vals, err := selfcare.OpenServiceSecrets(testSecrets(t), agentService(),
		sub); err != nil || vals["password"] != agentPassword {
		t.Errorf("in place: %v, %v", vals, err)
	}
}

// legacySubscription stores alice's subscription to agent with its
// password in clear, as a database from before sealing holds it.
func legacySubscription(tb testing.TB, s *forwardSite) {
	tb.Helper()
	if _, err := s.store.Subscribe(s.ctx, selfcare.ServiceSubscription{
		Device: "SEPALICE", ServiceID: "agent", Values: map[string]string{
			"agentId": "1", "team": "sales", "password": "legacy-pw"}}); err != nil {
		tb.Fatal(err)
	}
}

func TestClearServiceSecretsFromBeforeSealing(t *testing.T) {
	s := newServiceSite(t)
	legacySubscription(t, s)

	got, err := s.svc.SubscribedService(s.ctx, s.alice, "SEPALICE", "agent")
	if err != nil || !cmp.Equal(got.SecretsSet, []string{"password"}) ||
		got.Values["password"] != "" {
		t.Fatalf("a clear secret reads as %+v, %v; want set and hidden", got, err)
	}
	sub, err := s.store.Subscription(s.ctx, "SEPALICE", "agent")
	if err != nil {
		t.Fatal(err)
	}
	if vals, err := selfcare.OpenServiceSecrets(testSecrets(t), agentService(),
		sub); err != nil || vals["password"] != "legacy-pw" {
		t.Errorf("OpenServiceSecrets of a clear secret: %v, %v", vals, err)
	}

	// The next save seals it, without calling it a change of the secret.
	if _, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"team": selfcare.Set("ops")}, 1, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	sub, err = s.store.Subscription(s.ctx, "SEPALICE", "agent")
	if err != nil {
		t.Fatal(err)
	}
	if !onboarding.IsSealedSecret(sub.Values["password"]) {
		t.Fatalf("after a save the store holds %q, want a seal", sub.Values["password"])
	}
	if vals, err := selfcare.OpenServiceSecrets(testSecrets(t), agentService(),
		sub); err != nil || vals["password"] != "legacy-pw" {
		t.Errorf("the new seal opens to %v, %v", vals, err)
	}
	e := s.lastAudit(selfcare.ActionServiceChange)
	if strings.Contains(e.Detail, "legacy-pw") || strings.Contains(e.Detail,
		"secret changed") {
		t.Errorf("audit detail %q", e.Detail)
	}
}

func TestServiceSecretsWithoutAKey(t *testing.T) {
	cli := selfcare.LocalCaller("ops")

	t.Run("a service with a secret is refused", func(t *testing.T) {
		s := newForwardSite(t)
		if s.svc.ServiceSecretsEnabled() {
			t.Fatal("secrets enabled without a key")
		}
		err := s.svc.AddPhoneService(s.ctx, cli, agentService())
		if !errors.Is(err, selfcare.ErrServiceSecretsOff) {
			t.Fatalf("add: %v, want ErrServiceSecretsOff", err)
		}
		if _, err := s.store.PhoneService(s.ctx, "agent"); !errors.Is(err,
			selfcare.ErrNotFound) {
			t.Errorf("the refused service was stored: %v", err)
		}
		if e := s.lastAudit(selfcare.ActionPhoneServiceAdd); e.Outcome !=
			selfcare.OutcomeDenied {
			t.Errorf("audited %+v", e)
		}
	})

	t.Run("a service without secrets is added", func(t *testing.T) {
		s := newForwardSite(t)
		ps := agentService()
		ps.Params = ps.Params[:2]
		if err := s.svc.AddPhoneService(s.ctx, cli, ps); err != nil {
			t.Fatal(err)
		}
	})

	// A catalogue from before sealing may hold a secret parameter.
	oldCatalogue := func(tb testing.TB) *forwardSite {
		tb.Helper()
		s := newForwardSite(tb)
		if err := s.store.AddPhoneService(s.ctx, agentService()); err != nil {
			tb.Fatal(err)
		}
		return s
	}

	t.Run("a new secret value is refused", func(t *testing.T) {
		s := oldCatalogue(t)
		_, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
			map[string]string{"agentId": "1", "password": agentPassword}, "192.0.2.1")
		if !errors.Is(err, selfcare.ErrServiceSecretsOff) {
			t.Fatalf("subscribe: %v, want ErrServiceSecretsOff", err)
		}
		if _, err := s.store.Subscription(s.ctx, "SEPALICE", "agent"); !errors.Is(err,
			selfcare.ErrNotFound) {
			t.Errorf("the refused subscription was stored: %v", err)
		}
		if e := s.lastAudit(selfcare.ActionServiceSubscribe); e.Outcome !=
			selfcare.OutcomeDenied || strings.Contains(e.Detail, agentPassword) {
			t.Errorf("audited %+v", e)
		}
	})

	t.Run("a clear secret is kept but not replaced", func(t *testing.T) {
		s := oldCatalogue(t)
		legacySubscription(t, s)
		if _, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
			selfcare.ServicePatch{"team": selfcare.Set("ops")}, 1, "192.0.2.1"); err != nil {
			t.Fatalf("a change beside a clear secret: %v", err)
		}
		if got := storedValues(t, s, "SEPALICE", "agent")["password"]; got != "legacy-pw" {
			t.Errorf("the clear secret became %q", got)
		}
		_, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
			selfcare.ServicePatch{"password": selfcare.Set(agentPassword)}, 2, "192.0.2.1")
		if !errors.Is(err, selfcare.ErrServiceSecretsOff) {
			t.Fatalf("a new secret: %v, want ErrServiceSecretsOff", err)
		}
		if got := storedValues(t, s, "SEPALICE", "agent")["password"]; got != "legacy-pw" {
			t.Errorf("the refused secret was stored: %q", got)
		}
	})

	t.Run("the activation key's sealer is used", func(t *testing.T) {
		sealer, err := onboarding.NewSealer(secretsKey)
		if err != nil {
			t.Fatal(err)
		}
		s := newForwardSiteWith(t, selfcare.Config{
			Onboarding: selfcare.OnboardingConfig{Sealer: sealer}})
		if err := s.svc.AddPhoneService(s.ctx, cli, agentService()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
			map[string]string{"agentId": "1", "password": agentPassword},
			"192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		sub, err := s.store.Subscription(s.ctx, "SEPALICE", "agent")
		if err != nil {
			t.Fatal(err)
		}
		vals, err := selfcare.OpenServiceSecrets(testSecrets(t), agentService(), sub)
		if err != nil || vals["password"] != agentPassword {
			t.Errorf("sealed under the activation key: %v, %v", vals, err)
		}
		if _, err := selfcare.OpenServiceSecrets(nil, agentService(), sub); !errors.Is(err,
			selfcare.ErrServiceSecretsOff) {
			t.Errorf("opened without a sealer: %v", err)
		}
	})
}

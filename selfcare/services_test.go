package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// agentService has a digits parameter with a default and a secret.
func agentService() selfcare.PhoneService {
	return selfcare.PhoneService{ID: "agent", Name: "Agent sign-in",
		Kind: selfcare.PhoneServiceInternal, URL: "https://agents.example.com/phone",
		Params: []selfcare.ServiceParam{
			{Name: "agentId", DisplayName: "Agent ID", Required: true, MaxLength: 6,
				Kind: selfcare.ServiceParamDigits},
			{Name: "team", DisplayName: "Team", MaxLength: 8, Default: "sales"},
			{Name: "password", DisplayName: "Password", Required: true, MaxLength: 32,
				Secret: true},
		}}
}

// newServiceSite is a forward site whose catalogue holds agentService and
// an external service "weather" without parameters; its secrets are sealed
// with testSecrets.
func newServiceSite(tb testing.TB) *forwardSite {
	tb.Helper()
	s := newKeyedSite(tb)
	for _, ps := range []selfcare.PhoneService{agentService(), {ID: "weather",
		Name: "Weather", Kind: selfcare.PhoneServiceExternal,
		URL: "http://weather.example.com/"}} {
		if err := s.svc.AddPhoneService(s.ctx, selfcare.LocalCaller(""), ps); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// fieldsOf returns the fields a validation error names.
func fieldsOf(err error) []string {
	var ve *selfcare.ValidationError
	var out []string
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestAddPhoneServiceChecksTheTemplate(t *testing.T) {
	good := agentService()
	cases := []struct {
		name   string
		change func(*selfcare.PhoneService)
		is     error
		fields []string
	}{
		{"a good service is added", func(*selfcare.PhoneService) {}, nil, nil},
		{"every bad field is named", func(ps *selfcare.PhoneService) {
			ps.ID = "Agent!"
			ps.Name = "a\u202eb"
			ps.Description = strings.Repeat("d", selfcare.MaxServiceDescription+1)
			ps.Kind = 7
			ps.URL = "javascript:alert(1)"
			ps.Params[0].Name = "1st"
			ps.Params[1].MaxLength = 0
			ps.Params[2].Default = "hunter2"
		}, selfcare.ErrInvalid, []string{"id", "name", "description", "kind", "url",
			"parameters[0].name", "parameters[1].maxLength", "parameters[2].default"}},
		{"credentials in the URL are refused", func(ps *selfcare.PhoneService) {
			ps.URL = "https://user:pw@agents.example.com/"
		}, selfcare.ErrInvalid, []string{"url"}},
		{"a default that breaks its own rule is refused", func(ps *selfcare.PhoneService) {
			ps.Params[0].Default = "12ab"
		}, selfcare.ErrInvalid, []string{"parameters[0].default"}},
		{"two parameters of one name are refused", func(ps *selfcare.PhoneService) {
			ps.Params[1].Name = "agentId"
		}, selfcare.ErrInvalid, []string{"parameters[1].name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newKeyedSite(t)
			ps := good
			ps.Params = append([]selfcare.ServiceParam(nil), good.Params...)
			c.change(&ps)
			err := s.svc.AddPhoneService(s.ctx, selfcare.LocalCaller("ops"), ps)
			if !errors.Is(err, c.is) {
				t.Fatalf("err %v, want %v", err, c.is)
			}
			if d := cmp.Diff(c.fields, fieldsOf(err)); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			all, lerr := s.svc.PhoneServiceCatalogue(s.ctx, selfcare.LocalCaller(""))
			if lerr != nil {
				t.Fatal(lerr)
			}
			want := 1
			outcome := selfcare.OutcomeOK
			if c.is != nil {
				want, outcome = 0, selfcare.OutcomeDenied
			}
			if len(all) != want {
				t.Errorf("catalogue %+v", all)
			}
			if e := s.lastAudit(selfcare.ActionPhoneServiceAdd); e.Outcome != outcome ||
				e.Actor != "ops" {
				t.Errorf("audited %+v", e)
			}
		})
	}
}

func TestPhoneServiceAdministrationNeedsTheDevicesPrivilege(t *testing.T) {
	s := newServiceSite(t)
	end := selfcare.AdminCaller(s.alice, "192.0.2.1")
	if _, err := s.svc.PhoneServiceCatalogue(s.ctx, end); !errors.Is(err,
		selfcare.ErrForbidden) {
		t.Errorf("list by an end user: %v", err)
	}
	if err := s.svc.AddPhoneService(s.ctx, end, selfcare.PhoneService{ID: "x",
		Name: "X", URL: "http://x.example.com/"}); !errors.Is(err, selfcare.ErrForbidden) {
		t.Errorf("add by an end user: %v", err)
	}
	if _, err := s.svc.RemovePhoneService(s.ctx, end, "agent", true); !errors.Is(err,
		selfcare.ErrForbidden) {
		t.Errorf("remove by an end user: %v", err)
	}
	if _, err := s.svc.PhoneServiceCatalogue(s.ctx, selfcare.Caller{}); !errors.Is(err,
		selfcare.ErrUnauthenticated) {
		t.Errorf("list by nobody: %v", err)
	}
	all, err := s.svc.PhoneServiceCatalogue(s.ctx, selfcare.LocalCaller(""))
	if err != nil || len(all) != 2 || all[0].URL == "" {
		t.Errorf("catalogue %+v, %v", all, err)
	}
}

func TestSubscribeServiceValidatesAgainstTheTemplate(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]string
		is     error
		fields []string
	}{
		{"good values are stored", map[string]string{"agentId": "4711",
			"password": "pw"}, nil, nil},
		{"a missing required value is named", map[string]string{"password": "pw"},
			selfcare.ErrInvalid, []string{"parameters.agentId"}},
		{"letters in digits, a long value and an unknown name are named",
			map[string]string{"agentId": "12a", "team": "ninechars", "password": "pw",
				"url": "http://evil.example.com/"}, selfcare.ErrInvalid,
			[]string{"parameters.url", "parameters.agentId", "parameters.team"}},
		{"a control character is refused", map[string]string{"agentId": "1",
			"password": "a\nb"}, selfcare.ErrInvalid, []string{"parameters.password"}},
		{"a missing secret is named", map[string]string{"agentId": "1"},
			selfcare.ErrInvalid, []string{"parameters.password"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServiceSite(t)
			got, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
				c.values, "192.0.2.1")
			if !errors.Is(err, c.is) {
				t.Fatalf("err %v, want %v", err, c.is)
			}
			if d := cmp.Diff(c.fields, fieldsOf(err)); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			subs, lerr := s.svc.SubscribedServices(s.ctx, s.alice, "SEPALICE")
			if lerr != nil {
				t.Fatal(lerr)
			}
			e := s.lastAudit(selfcare.ActionServiceSubscribe)
			if strings.Contains(e.Detail, "pw") || strings.Contains(e.Detail, "a\nb") {
				t.Errorf("audit shows a secret: %q", e.Detail)
			}
			if c.is != nil {
				if len(subs) != 0 || e.Outcome != selfcare.OutcomeDenied {
					t.Errorf("refused subscription stored %+v, audited %+v", subs, e)
				}
				return
			}
			want := selfcare.SubscribedService{Device: "SEPALICE", Service: got.Service,
				Values:     map[string]string{"agentId": "4711", "team": "sales"},
				SecretsSet: []string{"password"}, Offered: true, Version: 1}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("returned (-want +got):\n%s", d)
			}
			if got.Service.URL != "" || len(subs) != 1 {
				t.Errorf("user sees URL %q; stored %+v", got.Service.URL, subs)
			}
			if !strings.Contains(e.Detail, `password="****"`) {
				t.Errorf("audit detail %q", e.Detail)
			}
		})
	}
}

func TestUpdateSubscribedServicePatchesAndKeepsSecrets(t *testing.T) {
	s := newServiceSite(t)
	sub := func() selfcare.SubscribedService {
		got, err := s.svc.SubscribedService(s.ctx, s.alice, "SEPALICE", "agent")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if _, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
		map[string]string{"agentId": "1", "team": "ops", "password": "old"},
		"192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	secretOf := func() string {
		t.Helper()
		st, err := s.store.Subscription(s.ctx, "SEPALICE", "agent")
		if err != nil {
			t.Fatal(err)
		}
		vals, err := selfcare.OpenServiceSecrets(testSecrets(t), agentService(), st)
		if err != nil {
			t.Fatal(err)
		}
		return vals["password"]
	}

	// The team returns to its default; the secret, absent, stays.
	got, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"team": selfcare.Null[string](),
			"agentId": selfcare.Set("22")}, 1, "192.0.2.1")
	if err != nil || got.Version != 2 || got.Values["team"] != "sales" ||
		got.Values["agentId"] != "22" || secretOf() != "old" {
		t.Fatalf("patch: %+v, %v", got, err)
	}
	if _, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"password": selfcare.Set("new")}, 1,
		"192.0.2.1"); !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Fatalf("stale: %v", err)
	}
	if secretOf() != "old" || sub().Version != 2 {
		t.Fatal("a stale patch changed the subscription")
	}
	if _, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"password": selfcare.Set("new")}, 2, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	e := s.lastAudit(selfcare.ActionServiceChange)
	if secretOf() != "new" || strings.Contains(e.Detail, "new") ||
		strings.Contains(e.Detail, "old") ||
		!strings.Contains(e.Detail, "secret changed: password") {
		t.Errorf("secret %q; audit %q", secretOf(), e.Detail)
	}
	// A null secret would return it to "", which a required one refuses.
	if _, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"password": selfcare.Null[string]()}, 3,
		"192.0.2.1"); !errors.Is(err, selfcare.ErrInvalid) {
		t.Errorf("cleared required secret: %v", err)
	}
	// An unchanged patch keeps the version.
	if got, err := s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPALICE", "agent",
		selfcare.ServicePatch{"agentId": selfcare.Set("22")}, 3, "192.0.2.1"); err != nil ||
		got.Version != 3 {
		t.Errorf("no-op patch: %+v, %v", got, err)
	}

	if err := s.svc.UnsubscribeService(s.ctx, s.alice, "SEPALICE", "agent", 2,
		"192.0.2.1"); !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Errorf("stale unsubscribe: %v", err)
	}
	if err := s.svc.UnsubscribeService(s.ctx, s.alice, "SEPALICE", "agent", 3,
		"192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.SubscribedService(s.ctx, s.alice, "SEPALICE",
		"agent"); !errors.Is(err, selfcare.ErrNotFound) {
		t.Errorf("after unsubscribe: %v", err)
	}
}

func TestPhoneServicesOfferFollowsPhoneServiceDisplay(t *testing.T) {
	cases := []struct {
		display string
		offered []string
	}{
		{params.DisplayInternal, []string{"agent"}},
		{params.DisplayExternal, []string{"weather"}},
		{params.DisplayBoth, []string{"agent", "weather"}},
	}
	for _, c := range cases {
		t.Run(c.display+" offers "+strings.Join(c.offered, " and "), func(t *testing.T) {
			s := newServiceSite(t)
			s.setParam(params.KeyPhoneServiceDisplay, c.display)
			all, err := s.svc.PhoneServices(s.ctx, s.alice)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, ps := range all {
				ids = append(ids, ps.ID)
				if ps.URL != "" {
					t.Errorf("%s shows its URL", ps.ID)
				}
			}
			if d := cmp.Diff(c.offered, ids); d != "" {
				t.Errorf("offered (-want +got):\n%s", d)
			}
			for _, id := range []string{"agent", "weather"} {
				vals := map[string]string{"agentId": "1", "password": "pw"}
				if id == "weather" {
					vals = nil
				}
				_, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", id, vals,
					"192.0.2.1")
				want := error(nil)
				if !strings.Contains(strings.Join(c.offered, ","), id) {
					want = selfcare.ErrNotFound
				}
				if !errors.Is(err, want) || want == nil && err != nil {
					t.Errorf("subscribe %s: %v, want %v", id, err, want)
				}
			}
		})
	}
}

func TestPhoneServicesOfAnotherUsersPhoneAreNotFound(t *testing.T) {
	s := newServiceSite(t)
	if _, err := s.svc.SubscribeService(s.ctx, s.bob, "SEPBOB", "agent",
		map[string]string{"agentId": "9", "password": "bobs"}, "192.0.2.2"); err != nil {
		t.Fatal(err)
	}
	missing := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, selfcare.ErrNotFound) {
			t.Errorf("%s: %v, want not found", what, err)
		}
	}
	_, err := s.svc.SubscribedServices(s.ctx, s.alice, "SEPBOB")
	missing("list", err)
	_, err = s.svc.SubscribedService(s.ctx, s.alice, "SEPBOB", "agent")
	missing("read", err)
	_, err = s.svc.SubscribeService(s.ctx, s.alice, "SEPBOB", "weather", nil, "192.0.2.1")
	missing("subscribe", err)
	_, err = s.svc.UpdateSubscribedService(s.ctx, s.alice, "SEPBOB", "agent",
		selfcare.ServicePatch{"agentId": selfcare.Set("1")}, 1, "192.0.2.1")
	missing("update", err)
	missing("unsubscribe", s.svc.UnsubscribeService(s.ctx, s.alice, "SEPBOB", "agent", 1,
		"192.0.2.1"))
	got, err := s.store.Subscription(s.ctx, "SEPBOB", "agent")
	if err != nil || got.Version != 1 || got.Values["agentId"] != "9" {
		t.Errorf("bob's subscription: %+v, %v", got, err)
	}
	if e := s.lastAudit(selfcare.ActionServiceUnsubscribe); e.Outcome !=
		selfcare.OutcomeDenied || e.Actor != "alice" {
		t.Errorf("refusal audited as %+v", e)
	}
}

func TestRemovePhoneServiceRefusesWhileSubscribed(t *testing.T) {
	s := newServiceSite(t)
	if _, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
		map[string]string{"agentId": "1", "password": "pw"}, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	cli := selfcare.LocalCaller("")
	if _, err := s.svc.RemovePhoneService(s.ctx, cli, "agent", false); !errors.Is(err,
		selfcare.ErrServiceInUse) {
		t.Fatalf("remove while subscribed: %v", err)
	}
	if _, err := s.svc.SubscribedService(s.ctx, s.alice, "SEPALICE", "agent"); err != nil {
		t.Fatalf("refused removal lost the subscription: %v", err)
	}
	if n, err := s.svc.RemovePhoneService(s.ctx, cli, "agent", true); err != nil || n != 1 {
		t.Fatalf("cascade: %d, %v", n, err)
	}
	subs, err := s.svc.SubscribedServices(s.ctx, s.alice, "SEPALICE")
	if err != nil || len(subs) != 0 {
		t.Errorf("after cascade: %+v, %v", subs, err)
	}
	if _, err := s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "agent",
		map[string]string{"agentId": "1", "password": "pw"}, "192.0.2.1"); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Errorf("removed service subscribed: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionPhoneServiceRemove); e.Outcome !=
		selfcare.OutcomeOK || !strings.Contains(e.Detail, "1 subscriptions") {
		t.Errorf("audited %+v", e)
	}
}

func TestPhoneServicesGate(t *testing.T) {
	s := newServiceSite(t)
	s.setParam(params.KeyShowPhoneServices, "false")
	var ge *params.GateError
	_, err := s.svc.PhoneServices(s.ctx, s.alice)
	if !errors.As(err, &ge) || ge.ParamKey != params.KeyShowPhoneServices {
		t.Errorf("catalogue: %v", err)
	}
	_, err = s.svc.SubscribeService(s.ctx, s.alice, "SEPALICE", "weather", nil, "")
	if !errors.As(err, &ge) {
		t.Errorf("subscribe: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionServiceSubscribe); e.Outcome !=
		selfcare.OutcomeDenied {
		t.Errorf("gate refusal audited as %+v", e)
	}
}

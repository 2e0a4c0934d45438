package params_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
)

func TestZeroValuesIsDefaults(t *testing.T) {
	var zero params.Values
	def := params.Defaults()
	for _, d := range params.Definitions() {
		if z, v := zero.Value(d.Key), def.Value(d.Key); z != d.Default || v != d.Default {
			t.Errorf("%s: zero %q, Defaults %q, want %q", d.Key, z, v, d.Default)
		}
		if zero.IsSet(d.Key) {
			t.Errorf("%s set in the zero Values", d.Key)
		}
	}
	if diff := cmp.Diff(params.FeaturesOf(def), params.FeaturesOf(zero)); diff != "" {
		t.Errorf("features differ (-Defaults +zero):\n%s", diff)
	}
}

func TestValidateNormalises(t *testing.T) {
	cl := testCluster(t)
	tests := []struct{ key, in, want string }{
		{params.KeyShowRingSettings, "True", "true"},
		{params.KeyShowRingSettings, "FALSE", "false"},
		{params.KeyShowCallForwarding, "Hide All Settings", "hide-all"},
		{params.KeyShowCallForwarding, "show only call forward all", "cfa-only"},
		{params.KeyShowCallForwarding, "CFA-ONLY", "cfa-only"},
		{params.KeyPhoneServiceDisplay, "External URL", "external"},
		{params.KeyOverlapPolicy, "Minimum", "minimum"},
		{params.KeyIntraClusterLoginTime, "08:00", "8:00"},
		{params.KeyIntraClusterLoginTime, ":30", "0:30"},
		{params.KeyActivationTTL, "072", "72"},
		{params.KeyDefaultServer, "none", "None"},
		{params.KeyDefaultServer, "CUCM-SUB1.example.com", "cucm-sub1.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.in, func(t *testing.T) {
			got, err := params.Validate(tt.key, tt.in, cl)
			if err != nil || got != tt.want {
				t.Fatalf("Validate(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			// Canonical forms are fixed points.
			if again, err := params.Validate(tt.key, got, cl); err != nil || again != got {
				t.Errorf("Validate(%q) = %q, %v; not a fixed point", got, again, err)
			}
		})
	}
}

func TestServerValidationUsesTheCluster(t *testing.T) {
	cl := testCluster(t)
	_, err := params.Validate(params.KeyDefaultServer, "cucm-sub9.example.com", cl)
	var ve *params.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("unknown server: %v, want a ValidationError", err)
	}
	for _, s := range cl.Servers() {
		if !strings.Contains(ve.Allowed, s.Name) {
			t.Errorf("Allowed %q does not list %s", ve.Allowed, s.Name)
		}
	}
	if _, err := params.Validate(params.KeyDefaultServer, "cucm-sub1.example.com",
		params.Cluster{}); err == nil {
		t.Error("a server accepted against an empty cluster")
	}
}

func TestNewValuesKeepsNotSetApartFromInvalid(t *testing.T) {
	cl := testCluster(t)
	v, err := params.NewValues(map[string]string{
		params.KeyShowRingSettings:          "True",         // valid, not canonical
		params.KeyActivationTTL:             "500",          // out of range
		params.KeyDefaultServer:             "gone.example", // not in the cluster
		"RetiredParameter":                  "whatever",     // unknown
		params.KeyIntraClusterLoginTime:     "4:30",         // valid
		params.KeyShowCallForwarding:        "sometimes",    // not an option
		params.KeyInterClusterLoginTime:     "0:00",         // valid, zero
		params.KeyShowChangePIN:             "false",        // valid
		params.KeyPhoneServiceDisplay:       "Both",         // valid label
		params.KeyMinPINLength:              "",             // empty
		params.KeyShowDownloads:             "true\n",       // trailing newline
		params.KeyForwardMaxHop:             "15",           // valid bound
		params.KeyCredentialHistory:         "0",            // valid zero
		params.KeyLockoutDuration:           "1441",         // out of range
		params.KeyShowLineLabels:            "false",        // valid, equal to default
		params.KeyOverlapPolicy:             "minimum",      // valid
		params.KeyShowDoNotDisturb:          "FALSE",        // valid
		params.KeyTrivialCheck:              "off",          // not a bool
		params.KeyFailedLogonThreshold:      "0",            // valid: no limit
		params.KeyResetFailedLogon:          "0",            // out of range
		params.KeyCredentialExpiry:          "365",          // valid bound
		params.KeyMinPasswordLength:         "64",           // valid bound
		params.KeyShowPhoneLocale:           "true",         // valid
		params.KeyShowConferencing:          "t",            // not a bool
		params.KeyShowVideoConferencing:     "false",        // valid
		params.KeyShowAdditionalPhones:      "false",        // valid
		params.KeyShowCalendarPresence:      "true",         // valid
		params.KeyShowChangePassword:        "false",        // valid
		params.KeyShowDirectorySearch:       "true",         // valid
		params.KeyShowSpeedDials:            "false",        // valid
		params.KeyShowPhoneServices:         "false",        // valid
		params.KeyShowVoicemailIVR:          "false",        // valid
		params.KeyShowMessageWaiting:        "false",        // valid
		params.KeyShowCallHistory:           "false",        // valid
		params.KeyShowPhoneContacts:         "false",        // valid
		params.KeyShowPhonesReadyToActivate: "false",        // valid
	}, cl)

	// Every refusal is in the joined error, and the unknown key too.
	for _, key := range []string{params.KeyActivationTTL, params.KeyDefaultServer,
		params.KeyShowCallForwarding, params.KeyMinPINLength, params.KeyShowDownloads,
		params.KeyLockoutDuration, params.KeyTrivialCheck, params.KeyResetFailedLogon,
		params.KeyShowConferencing} {
		s, _ := v.Setting(key)
		if s.Set || s.Err == nil || s.Value != s.Default || v.IsSet(key) {
			t.Errorf("%s: %+v, want refused with the default in force", key, s)
		}
		if !strings.Contains(err.Error(), s.DisplayName) {
			t.Errorf("joined error does not name %s", s.DisplayName)
		}
	}
	if !errors.Is(err, params.ErrUnknown) || !errors.Is(err, params.ErrInvalid) {
		t.Errorf("joined error %v should match ErrUnknown and ErrInvalid", err)
	}
	if _, ok := v.Stored()["RetiredParameter"]; ok {
		t.Error("an unknown key was kept")
	}

	// Valid values are set and canonical.
	want := map[string]string{
		params.KeyShowRingSettings:      "true",
		params.KeyIntraClusterLoginTime: "4:30",
		params.KeyInterClusterLoginTime: "0:00",
		params.KeyPhoneServiceDisplay:   "both",
		params.KeyShowLineLabels:        "false",
		params.KeyFailedLogonThreshold:  "0",
	}
	for key, w := range want {
		if !v.IsSet(key) || v.Value(key) != w {
			t.Errorf("%s: set %v value %q, want set to %q", key, v.IsSet(key), v.Value(key), w)
		}
	}

	// Not set at all: the default, and not set.
	if v.IsSet(params.KeyEnforceIntraClusterLoginTime) ||
		v.Bool(params.KeyEnforceIntraClusterLoginTime) {
		t.Error("Enforce Intra-cluster Maximum Login Time should be the unset default")
	}
}

func TestGettersPanicOnMisuse(t *testing.T) {
	v := params.Defaults()
	tests := []struct {
		name string
		call func()
	}{
		{"Bool_of_an_enum", func() { v.Bool(params.KeyShowCallForwarding) }},
		{"Int_of_a_bool", func() { v.Int(params.KeyShowRingSettings) }},
		{"Duration_of_an_int", func() { v.Duration(params.KeyActivationTTL) }},
		{"Enum_of_a_duration", func() { v.Enum(params.KeyIntraClusterLoginTime) }},
		{"Server_of_a_bool", func() { v.Server(params.KeyShowRingSettings) }},
		{"Value_of_an_unknown_key", func() { v.Value("NoSuchKey") }},
		{"zero_Values_unknown_key", func() { params.Values{}.Bool("NoSuchKey") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if s, _ := r.(string); !strings.HasPrefix(s, "params: Values.") {
					t.Errorf("panic %v does not say where", r)
				}
			}()
			tt.call()
		})
	}
}

func TestPlanSet(t *testing.T) {
	cl := testCluster(t)
	def := params.Defaults()
	enforced := withSet(t, def, cl, params.KeyEnforceIntraClusterLoginTime, "true")
	tests := []struct {
		name    string
		v       params.Values
		key, in string
		want    []params.Change
	}{
		{"plain_change", def, params.KeyShowRingSettings, "True", []params.Change{
			{Key: params.KeyShowRingSettings, Old: "false", New: "true"},
		}},
		{"same_value_still_a_change", def, params.KeyShowChangePIN, "true", []params.Change{
			{Key: params.KeyShowChangePIN, Old: "true", New: "true"},
		}},
		{"intra_limit_turns_enforcement_on", def, params.KeyIntraClusterLoginTime, "4:00",
			[]params.Change{
				{Key: params.KeyIntraClusterLoginTime, Old: "8:00", New: "4:00"},
				{Key: params.KeyEnforceIntraClusterLoginTime, Old: "false", New: "true",
					Implied: true},
			}},
		{"intra_zero_leaves_enforcement_off", def, params.KeyIntraClusterLoginTime, "0:00",
			[]params.Change{
				{Key: params.KeyIntraClusterLoginTime, Old: "8:00", New: "0:00"},
			}},
		{"intra_limit_when_already_enforced", enforced, params.KeyIntraClusterLoginTime,
			"2:15", []params.Change{
				{Key: params.KeyIntraClusterLoginTime, Old: "8:00", New: "2:15"},
			}},
		{"inter_limit_implies_nothing", def, params.KeyInterClusterLoginTime, "4:00",
			[]params.Change{
				{Key: params.KeyInterClusterLoginTime, Old: "8:00", New: "4:00"},
			}},
		{"server_takes_cluster_spelling", def, params.KeyDefaultServer,
			"CUCM-SUB2.EXAMPLE.COM", []params.Change{
				{Key: params.KeyDefaultServer, Old: "None", New: "cucm-sub2.example.com"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.PlanSet(tt.key, tt.in, cl)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			next, err := tt.v.Apply(got, cl)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range got {
				if !next.IsSet(c.Key) || next.Value(c.Key) != c.New {
					t.Errorf("after Apply %s = %q, set %v; want %q",
						c.Key, next.Value(c.Key), next.IsSet(c.Key), c.New)
				}
			}
		})
	}

	t.Run("refused_value_plans_nothing", func(t *testing.T) {
		plan, err := def.PlanSet(params.KeyIntraClusterLoginTime, "168:01", cl)
		if plan != nil || !errors.Is(err, params.ErrInvalid) {
			t.Errorf("got %v, %v; want no plan and ErrInvalid", plan, err)
		}
	})
	t.Run("unknown_key_plans_nothing", func(t *testing.T) {
		plan, err := def.PlanSet("NoSuchKey", "true", cl)
		if plan != nil || !errors.Is(err, params.ErrUnknown) {
			t.Errorf("got %v, %v; want no plan and ErrUnknown", plan, err)
		}
	})
}

func TestPlanResetAndApply(t *testing.T) {
	cl := testCluster(t)
	v := withSet(t, params.Defaults(), cl, params.KeyShowCallForwarding, "cfa-only")

	plan, err := v.PlanReset(params.KeyShowCallForwarding)
	if err != nil {
		t.Fatal(err)
	}
	want := []params.Change{{Key: params.KeyShowCallForwarding, Old: "cfa-only",
		New: "show-all", Reset: true}}
	if diff := cmp.Diff(want, plan); diff != "" {
		t.Errorf("reset plan (-want +got):\n%s", diff)
	}
	next, err := v.Apply(plan, cl)
	if err != nil {
		t.Fatal(err)
	}
	if next.IsSet(params.KeyShowCallForwarding) ||
		next.ShowCallForwarding() != params.CallForwardAll {
		t.Error("reset did not restore the default")
	}
	if v.ShowCallForwarding() != params.CallForwardCFAOnly {
		t.Error("Apply changed the snapshot it was called on")
	}

	t.Run("nothing_stored_plans_nothing", func(t *testing.T) {
		plan, err := next.PlanReset(params.KeyShowCallForwarding)
		if err != nil || plan != nil {
			t.Errorf("got %v, %v; want nothing", plan, err)
		}
		if plan, err := (params.Values{}).PlanReset(params.KeyShowRingSettings); err != nil ||
			plan != nil {
			t.Errorf("zero Values: got %v, %v; want nothing", plan, err)
		}
	})
	t.Run("refused_stored_value_can_be_reset", func(t *testing.T) {
		bad, _ := params.NewValues(map[string]string{params.KeyActivationTTL: "9999"}, cl)
		plan, err := bad.PlanReset(params.KeyActivationTTL)
		if err != nil || len(plan) != 1 || !plan[0].Reset {
			t.Fatalf("got %v, %v; want one reset", plan, err)
		}
		next, err := bad.Apply(plan, cl)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := next.Setting(params.KeyActivationTTL); s.Err != nil || s.Stored != "" {
			t.Errorf("after reset: %+v", s)
		}
	})
	t.Run("unknown_key", func(t *testing.T) {
		if _, err := v.PlanReset("NoSuchKey"); !errors.Is(err, params.ErrUnknown) {
			t.Errorf("got %v, want ErrUnknown", err)
		}
	})
	t.Run("a_bad_change_refuses_the_whole_plan", func(t *testing.T) {
		plan := []params.Change{
			{Key: params.KeyShowRingSettings, New: "true"},
			{Key: params.KeyActivationTTL, New: "0"},
		}
		got, err := v.Apply(plan, cl)
		if !errors.Is(err, params.ErrInvalid) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
		if got.Bool(params.KeyShowRingSettings) {
			t.Error("the first change of a refused plan was applied")
		}
		_, err = v.Apply([]params.Change{{Key: "NoSuchKey", New: "1"}}, cl)
		if !errors.Is(err, params.ErrUnknown) {
			t.Errorf("unknown key: got %v, want ErrUnknown", err)
		}
	})
}

func TestNamedGetters(t *testing.T) {
	cl := testCluster(t)
	def := params.Defaults()

	t.Run("defaults", func(t *testing.T) {
		if got := def.OverlapPolicy(); got != acl.Maximum {
			t.Errorf("OverlapPolicy = %v", got)
		}
		if got := def.ActivationTTL(); got != 168*time.Hour {
			t.Errorf("ActivationTTL = %v", got)
		}
		if got := def.ForwardMaxHops(); got != 12 {
			t.Errorf("ForwardMaxHops = %d", got)
		}
		if !def.ShowPhonesReadyToActivate() || def.ShowCallForwarding() != params.CallForwardAll {
			t.Error("Show Phones Ready to Activate or Show Call Forwarding not default")
		}
		if got := def.PhoneServiceDisplay(); got != params.PhoneServiceInternal {
			t.Errorf("PhoneServiceDisplay = %v", got)
		}
		if got := def.DefaultServerName(); got != params.ServerNone {
			t.Errorf("DefaultServerName = %q", got)
		}
		wantEM := params.EMServiceParams{IntraMax: 8 * time.Hour, InterMax: 8 * time.Hour}
		if diff := cmp.Diff(wantEM, def.ExtensionMobility()); diff != "" {
			t.Errorf("ExtensionMobility (-want +got):\n%s", diff)
		}
		wantCP := params.CredentialPolicy{
			FailedLogonThreshold: 3,
			ResetFailedAfter:     30 * time.Minute,
			LockoutDuration:      30 * time.Minute,
			ExpiresAfter:         180 * 24 * time.Hour,
			MinPasswordLength:    8,
			MinPINLength:         8,
			History:              12,
			TrivialCheck:         true,
		}
		if diff := cmp.Diff(wantCP, def.CredentialPolicy()); diff != "" {
			t.Errorf("CredentialPolicy (-want +got):\n%s", diff)
		}
	})

	t.Run("set", func(t *testing.T) {
		v := mustValues(t, map[string]string{
			params.KeyOverlapPolicy:                "minimum",
			params.KeyActivationTTL:                "24",
			params.KeyForwardMaxHop:                "3",
			params.KeyShowPhonesReadyToActivate:    "false",
			params.KeyShowCallForwarding:           "hide-all",
			params.KeyPhoneServiceDisplay:          "both",
			params.KeyDefaultServer:                "cucm-sub1.example.com",
			params.KeyEnforceIntraClusterLoginTime: "true",
			params.KeyIntraClusterLoginTime:        "0:00",
			params.KeyInterClusterLoginTime:        "168:00",
			params.KeyFailedLogonThreshold:         "0",
			params.KeyResetFailedLogon:             "120",
			params.KeyLockoutDuration:              "0",
			params.KeyCredentialExpiry:             "0",
			params.KeyMinPasswordLength:            "12",
			params.KeyMinPINLength:                 "4",
			params.KeyCredentialHistory:            "25",
			params.KeyTrivialCheck:                 "false",
		}, cl)
		if v.OverlapPolicy() != acl.Minimum || v.ActivationTTL() != 24*time.Hour ||
			v.ForwardMaxHops() != 3 || v.ShowPhonesReadyToActivate() ||
			v.ShowCallForwarding() != params.CallForwardHidden ||
			v.PhoneServiceDisplay() != params.PhoneServiceBoth ||
			v.DefaultServerName() != "cucm-sub1.example.com" {
			t.Error("a named getter ignores its set value")
		}
		wantEM := params.EMServiceParams{EnforceIntra: true, IntraMax: 0,
			InterMax: params.MaxLoginTime}
		if diff := cmp.Diff(wantEM, v.ExtensionMobility()); diff != "" {
			t.Errorf("ExtensionMobility (-want +got):\n%s", diff)
		}
		wantCP := params.CredentialPolicy{
			FailedLogonThreshold: 0,
			ResetFailedAfter:     2 * time.Hour,
			LockoutDuration:      0,
			ExpiresAfter:         0,
			MinPasswordLength:    12,
			MinPINLength:         4,
			History:              25,
			TrivialCheck:         false,
		}
		if diff := cmp.Diff(wantCP, v.CredentialPolicy()); diff != "" {
			t.Errorf("CredentialPolicy (-want +got):\n%s", diff)
		}
	})

	t.Run("overlap_options_are_acl_policy_names", func(t *testing.T) {
		d, _ := params.Lookup(params.KeyOverlapPolicy)
		for _, o := range d.Options {
			for _, s := range []string{o.Value, o.Label} {
				if _, err := acl.ParseOverlapPolicy(s); err != nil {
					t.Errorf("acl does not parse %q: %v", s, err)
				}
			}
		}
	})
}

func TestSettingsListEveryParameter(t *testing.T) {
	cl := testCluster(t)
	v := withSet(t, params.Defaults(), cl, params.KeyShowRingSettings, "true")
	list := v.Settings()
	defs := params.Definitions()
	if len(list) != len(defs) {
		t.Fatalf("%d settings for %d definitions", len(list), len(defs))
	}
	for i, s := range list {
		if s.Key != defs[i].Key {
			t.Errorf("setting %d is %s, want table order (%s)", i, s.Key, defs[i].Key)
		}
		wantSet := s.Key == params.KeyShowRingSettings
		if s.Set != wantSet || (wantSet && s.Value != "true") {
			t.Errorf("%s: %+v", s.Key, s)
		}
	}
	if _, err := v.Setting("NoSuchKey"); !errors.Is(err, params.ErrUnknown) {
		t.Errorf("Setting of an unknown key: %v", err)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	_, err := params.Validate(params.KeyIntraClusterLoginTime, "1:60", params.Cluster{})
	want := `params: Intra-cluster Maximum Login Time (EMIntraClusterMaxLoginTime) ` +
		`cannot be "1:60": the minutes are above 59. Allowed: HHH:MM from 0:00 to ` +
		`168:00 (0:00: no limit).`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}

	_, err = params.Validate(params.KeyShowCallForwarding, "x", params.Cluster{})
	want = `params: Show Call Forwarding (CCMUserShowCallForward) cannot be "x". ` +
		`Allowed: show-all (Show All Settings), hide-all (Hide All Settings), ` +
		`cfa-only (Show Only Call Forward All).`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}

	long := strings.Repeat("x", 1000)
	_, err = params.Validate(params.KeyActivationTTL, long, params.Cluster{})
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(),
		"(1000 characters)") {
		t.Errorf("a long value floods the message or hides its length: %v", err)
	}
}

package params_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ucselfcare/portal/params"
)

// TestDefinitionTableShape checks what every entry of the table must
// satisfy, so that a new parameter cannot be added half-described.
func TestDefinitionTableShape(t *testing.T) {
	keys := map[string]bool{}
	names := map[string]bool{}
	for _, d := range params.Definitions() {
		t.Run(d.Key, func(t *testing.T) {
			if d.Key == "" || strings.ContainsAny(d.Key, " \t\n") {
				t.Errorf("key %q is empty or has spaces", d.Key)
			}
			if keys[d.Key] {
				t.Errorf("key %q listed twice", d.Key)
			}
			keys[d.Key] = true
			if d.DisplayName == "" || names[d.DisplayName] {
				t.Errorf("display name %q empty or listed twice", d.DisplayName)
			}
			names[d.DisplayName] = true
			if d.Group == "" {
				t.Error("no group")
			}
			if !d.Confirmed && d.Note == "" {
				t.Error("unconfirmed default without a note saying why it was chosen")
			}

			switch d.Kind {
			case params.KindBool, params.KindServer:
			case params.KindEnum:
				seen := map[string]bool{}
				for _, o := range d.Options {
					if o.Value == "" || o.Label == "" || seen[strings.ToLower(o.Value)] {
						t.Errorf("option %+v empty or repeated", o)
					}
					seen[strings.ToLower(o.Value)] = true
				}
				if len(d.Options) < 2 {
					t.Errorf("enum with %d options", len(d.Options))
				}
			case params.KindInt:
				if d.Min < 0 || d.Min > d.Max || d.Max > 999_999_999 {
					t.Errorf("range %d..%d", d.Min, d.Max)
				}
			case params.KindDuration:
				if d.MaxDuration <= 0 || d.MaxDuration%time.Minute != 0 {
					t.Errorf("MaxDuration %v", d.MaxDuration)
				}
			case params.KindString:
				if d.MaxLen <= 0 {
					t.Errorf("MaxLen %d", d.MaxLen)
				}
			default:
				t.Errorf("kind %v", d.Kind)
			}
		})
	}
}

// TestDefaultsRoundTrip walks the whole table: each default validates to
// itself, the typed getter formats back to it, and it survives a trip
// through a store and a cache.
func TestDefaultsRoundTrip(t *testing.T) {
	ctx := context.Background()
	cl := testCluster(t)
	def := params.Defaults()
	for _, d := range params.Definitions() {
		t.Run(d.Key, func(t *testing.T) {
			got, err := params.Validate(d.Key, d.Default, cl)
			if err != nil || got != d.Default {
				t.Fatalf("Validate(default %q) = %q, %v; want it unchanged", d.Default, got, err)
			}

			// The typed getter and the canonical text agree.
			var typed string
			switch d.Kind {
			case params.KindBool:
				typed = strconv.FormatBool(def.Bool(d.Key))
			case params.KindEnum:
				typed = def.Enum(d.Key)
			case params.KindInt:
				typed = strconv.Itoa(def.Int(d.Key))
			case params.KindDuration:
				typed = params.FormatDuration(def.Duration(d.Key))
			case params.KindServer:
				typed = def.Server(d.Key)
			}
			if typed != d.Default {
				t.Errorf("typed getter formats to %q, want %q", typed, d.Default)
			}
			if def.IsSet(d.Key) {
				t.Error("IsSet on defaults")
			}

			// Through a store: set explicitly to the default, reload.
			store := newMemStore()
			if err := store.SetServers(ctx, store.current(), cl.Servers()); err != nil {
				t.Fatal(err)
			}
			plan, err := def.PlanSet(d.Key, d.Default, cl)
			if err != nil {
				t.Fatalf("PlanSet: %v", err)
			}
			if err := store.UpdateParams(ctx, store.current(), plan); err != nil {
				t.Fatal(err)
			}
			cache := params.NewCache(store, params.CacheConfig{})
			syncCache(t, cache)
			s, err := cache.Values().Setting(d.Key)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Set || s.Err != nil || s.Value != d.Default || s.Stored != d.Default {
				t.Errorf("after the store: %+v, want set to %q", s, d.Default)
			}
		})
	}
}

// badValues returns values that a parameter of d's kind must refuse.
func badValues(d params.Definition) []string {
	switch d.Kind {
	case params.KindBool:
		return []string{"", "maybe", "1", "yes", " true", "true "}
	case params.KindEnum:
		return []string{"", "nope", d.Options[0].Value + " ", "0", "1"}
	case params.KindInt:
		bad := []string{"", "x", "-1", "+3", "1.5", "1e3", " 5", "１",
			strconv.Itoa(d.Max + 1), "99999999999999999999"}
		if d.Min > 0 {
			bad = append(bad, strconv.Itoa(d.Min-1))
		}
		return bad
	case params.KindDuration:
		return []string{"", "abc", "-1:00", "1:60", "1:5", "8", "8h", "1000:00",
			params.FormatDuration(d.MaxDuration + time.Minute)}
	case params.KindServer:
		return []string{"", "no-such-server", "cucm-pub"}
	}
	return []string{"\x00"}
}

// TestBadValuesRefused walks the whole table: every bad value is refused
// with a ValidationError that names the parameter and its allowed values,
// and a bad value found in a store leaves the default in force.
func TestBadValuesRefused(t *testing.T) {
	cl := testCluster(t)
	for _, d := range params.Definitions() {
		for _, bad := range badValues(d) {
			t.Run(d.Key+"/"+strconv.Quote(bad), func(t *testing.T) {
				got, err := params.Validate(d.Key, bad, cl)
				if err == nil {
					t.Fatalf("Validate accepted %q as %q", bad, got)
				}
				if !errors.Is(err, params.ErrInvalid) {
					t.Errorf("error %v does not match ErrInvalid", err)
				}
				var ve *params.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error %T is not a *ValidationError", err)
				}
				if ve.Key != d.Key || ve.DisplayName != d.DisplayName || ve.Value != bad ||
					ve.Allowed == "" {
					t.Errorf("fields %+v, want key %q, name %q, value %q, allowed set",
						ve, d.Key, d.DisplayName, bad)
				}
				msg := err.Error()
				if !strings.Contains(msg, d.DisplayName) || !strings.Contains(msg, ve.Allowed) {
					t.Errorf("message %q lacks the display name or the allowed values", msg)
				}

				v, err := params.NewValues(map[string]string{d.Key: bad}, cl)
				if !errors.As(err, &ve) {
					t.Errorf("NewValues error %v, want the ValidationError", err)
				}
				s, _ := v.Setting(d.Key)
				if s.Set || s.Value != d.Default || s.Stored != bad || s.Err == nil {
					t.Errorf("stored bad value: %+v, want the default with Err set", s)
				}
			})
		}
	}
}

// TestRequiredParameters pins the parameters and defaults that issue 3
// and the reference ask for, so that removing or changing one is a
// deliberate act.
func TestRequiredParameters(t *testing.T) {
	want := []struct {
		key, name, def string
		kind           params.Kind
	}{
		{params.KeyDefaultServer, "Self Care Portal Default Server", "None", params.KindServer},
		{params.KeyShowPhonesReadyToActivate, "Show Phones Ready to Activate", "true", params.KindBool},
		{params.KeyShowCallForwarding, "Show Call Forwarding", "show-all", params.KindEnum},
		{params.KeyShowRingSettings, "Show Ring Settings", "false", params.KindBool},
		{params.KeyShowLineLabels, "Show Line Label Settings", "false", params.KindBool},
		{params.KeyShowSpeedDials, "Show Speed Dial Settings", "true", params.KindBool},
		{params.KeyShowPhoneServices, "Show Phone Services Settings", "true", params.KindBool},
		{params.KeyPhoneServiceDisplay, "Phone Service Display", "internal", params.KindEnum},
		{params.KeyShowVoicemailIVR, "Show Voicemail IVR Option", "true", params.KindBool},
		{params.KeyShowMessageWaiting, "Show Message Waiting Settings", "true", params.KindBool},
		{params.KeyShowCallHistory, "Show Call History Settings", "true", params.KindBool},
		{params.KeyShowPhoneContacts, "Show Phone Contacts", "true", params.KindBool},
		{params.KeyShowPhoneLocale, "Show Phone Display Locale", "true", params.KindBool},
		{params.KeyShowConferencing, "Show Conferencing", "true", params.KindBool},
		{params.KeyShowVideoConferencing, "Show Video Conferencing", "true", params.KindBool},
		{params.KeyShowDownloads, "Show Downloads", "true", params.KindBool},
		{params.KeyShowAdditionalPhones, "Show Additional Phone Settings", "true", params.KindBool},
		{params.KeyShowCalendarPresence, "Show Calendar Preference", "true", params.KindBool},
		{params.KeyShowChangePassword, "Show Change Password", "true", params.KindBool},
		{params.KeyShowChangePIN, "Show Change PIN", "true", params.KindBool},
		{params.KeyShowDirectorySearch, "Show Directory Search", "true", params.KindBool},
		{params.KeyShowDoNotDisturb, "Show Do Not Disturb", "true", params.KindBool},
		{params.KeyOverlapPolicy,
			"Effective Access Privileges For Overlapping User Groups and Roles", "maximum",
			params.KindEnum},
		{params.KeyEnforceIntraClusterLoginTime, "Enforce Intra-cluster Maximum Login Time",
			"false", params.KindBool},
		{params.KeyIntraClusterLoginTime, "Intra-cluster Maximum Login Time", "8:00",
			params.KindDuration},
		{params.KeyInterClusterLoginTime, "Inter-cluster Maximum Login Time", "8:00",
			params.KindDuration},
		{params.KeyActivationTTL, "Activation Time to Live (Hours)", "168", params.KindInt},
		{params.KeyForwardMaxHop, "Forward Maximum Hop Count", "12", params.KindInt},
		{params.KeyFailedLogonThreshold, "Failed Logon Threshold", "3", params.KindInt},
		{params.KeyResetFailedLogon, "Reset Failed Logon Attempts Every", "30", params.KindInt},
		{params.KeyLockoutDuration, "Lockout Duration", "30", params.KindInt},
		{params.KeyCredentialExpiry, "Credential Expires After", "180", params.KindInt},
		{params.KeyMinPasswordLength, "Minimum Password Length", "8", params.KindInt},
		{params.KeyMinPINLength, "Minimum PIN Length", "8", params.KindInt},
		{params.KeyCredentialHistory, "Stored Number of Previous Credentials", "12",
			params.KindInt},
		{params.KeyTrivialCheck, "Check for Trivial Credentials", "true", params.KindBool},
	}
	if n := len(params.Definitions()); n != len(want) {
		t.Errorf("the table has %d parameters, this test pins %d", n, len(want))
	}
	for _, w := range want {
		d, ok := params.Lookup(w.key)
		if !ok {
			t.Errorf("%s (%s) missing", w.name, w.key)
			continue
		}
		if d.DisplayName != w.name || d.Default != w.def || d.Kind != w.kind {
			t.Errorf("%s: got %q default %q kind %v, want %q %q %v",
				w.key, d.DisplayName, d.Default, d.Kind, w.name, w.def, w.kind)
		}
	}
}

func TestRanges(t *testing.T) {
	tests := []struct {
		key      string
		min, max int
	}{
		{params.KeyActivationTTL, 1, 168},
		{params.KeyForwardMaxHop, 1, 15},
		{params.KeyFailedLogonThreshold, 0, 100},
		{params.KeyResetFailedLogon, 1, 120},
		{params.KeyLockoutDuration, 0, 1440},
		{params.KeyCredentialExpiry, 0, 365},
		{params.KeyMinPasswordLength, 1, 64},
		{params.KeyMinPINLength, 1, 64},
		{params.KeyCredentialHistory, 0, 25},
	}
	for _, tt := range tests {
		t.Run(tt.key+"_accepts_its_bounds", func(t *testing.T) {
			for _, n := range []int{tt.min, tt.max} {
				if _, err := params.Validate(tt.key, strconv.Itoa(n), params.Cluster{}); err != nil {
					t.Errorf("%d refused: %v", n, err)
				}
			}
			for _, n := range []int{tt.min - 1, tt.max + 1} {
				if _, err := params.Validate(tt.key, strconv.Itoa(n), params.Cluster{}); err == nil {
					t.Errorf("%d accepted", n)
				}
			}
		})
	}
	for _, key := range []string{params.KeyIntraClusterLoginTime, params.KeyInterClusterLoginTime} {
		t.Run(key+"_accepts_0:00_to_168:00", func(t *testing.T) {
			for _, s := range []string{"0:00", ":30", "168:00"} {
				if _, err := params.Validate(key, s, params.Cluster{}); err != nil {
					t.Errorf("%s refused: %v", s, err)
				}
			}
			if _, err := params.Validate(key, "168:01", params.Cluster{}); err == nil {
				t.Error("168:01 accepted")
			}
		})
	}
}

func TestDefinitionsAreCopies(t *testing.T) {
	ds := params.Definitions()
	for i := range ds {
		ds[i].Default = "tampered"
		for j := range ds[i].Options {
			ds[i].Options[j].Value = "tampered"
		}
	}
	d, _ := params.Lookup(params.KeyShowCallForwarding)
	d.Options[0].Value = "tampered"
	d2, _ := params.Lookup(params.KeyShowCallForwarding)
	if d2.Default != "show-all" || d2.Options[0].Value != "show-all" {
		t.Errorf("the table changed through a copy: %+v", d2)
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, ok := params.Lookup("NoSuchParameter"); ok {
		t.Error("Lookup found an unknown key")
	}
	_, err := params.Validate("NoSuchParameter", "true", params.Cluster{})
	if !errors.Is(err, params.ErrUnknown) || errors.Is(err, params.ErrInvalid) {
		t.Errorf("Validate of an unknown key: %v, want ErrUnknown only", err)
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{params.KeyShowCallForwarding, "cfa-only", "Show Only Call Forward All"},
		{params.KeyPhoneServiceDisplay, "external", "External URL"},
		{params.KeyShowRingSettings, "true", "True"},
		{params.KeyShowRingSettings, "false", "False"},
		{params.KeyIntraClusterLoginTime, "8:00", "8:00"},
		{params.KeyDefaultServer, "None", "None"},
	}
	for _, tt := range tests {
		d, _ := params.Lookup(tt.key)
		if got := d.Display(tt.value); got != tt.want {
			t.Errorf("%s.Display(%q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
}

package params_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/params"
)

func TestFeaturesOfDefaults(t *testing.T) {
	want := params.Features{
		CallForwarding:        params.CallForwardAll,
		PhonesReadyToActivate: true,
		RingSettings:          false,
		LineLabels:            false,
		SpeedDials:            true,
		PhoneServices:         true,
		PhoneServiceDisplay:   params.PhoneServiceInternal,
		VoicemailIVR:          true,
		MessageWaiting:        true,
		CallHistory:           true,
		PhoneContacts:         true,
		PhoneLocale:           true,
		Conferencing:          true,
		VideoConferencing:     true,
		Downloads:             true,
		AdditionalPhones:      true,
		CalendarPresence:      true,
		ChangePassword:        true,
		ChangePIN:             true,
		DirectorySearch:       true,
		DoNotDisturb:          true,
	}
	if diff := cmp.Diff(want, params.FeaturesOf(params.Defaults())); diff != "" {
		t.Errorf("default features (-want +got):\n%s", diff)
	}
}

// TestCallForwardingModes is the derivation table of Show Call Forwarding:
// each mode, each forward kind.
func TestCallForwardingModes(t *testing.T) {
	cl := testCluster(t)
	kinds := []params.ForwardKind{params.ForwardAllCalls, params.ForwardBusyInternal,
		params.ForwardBusyExternal, params.ForwardNoAnswerInternal,
		params.ForwardNoAnswerExternal}
	tests := []struct {
		value   string
		mode    params.CallForwardMode
		cfa     bool // Call Forward All
		rules   bool // busy and no answer, internal and external
		display string
	}{
		{"show-all", params.CallForwardAll, true, true, "Show All Settings"},
		{"hide-all", params.CallForwardHidden, false, false, "Hide All Settings"},
		{"cfa-only", params.CallForwardCFAOnly, true, false, "Show Only Call Forward All"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			f := params.FeaturesOf(withSet(t, params.Defaults(), cl,
				params.KeyShowCallForwarding, tt.value))
			if f.CallForwarding != tt.mode || f.CallForwarding.String() != tt.value {
				t.Errorf("mode %v (%q), want %v", f.CallForwarding, f.CallForwarding, tt.mode)
			}
			for _, k := range kinds {
				want := tt.rules
				if k == params.ForwardAllCalls {
					want = tt.cfa
				}
				if got := f.AllowsForward(k); got != want {
					t.Errorf("AllowsForward(%v) = %v, want %v", k, got, want)
				}
				err := f.CheckForward(k)
				if want {
					if err != nil {
						t.Errorf("CheckForward(%v) = %v", k, err)
					}
					continue
				}
				var ge *params.GateError
				if !errors.As(err, &ge) || !errors.Is(err, params.ErrFeatureHidden) {
					t.Fatalf("CheckForward(%v) = %v, want a GateError", k, err)
				}
				if ge.ParamKey != params.KeyShowCallForwarding ||
					ge.ParamDisplayName != "Show Call Forwarding" || ge.Value != tt.display {
					t.Errorf("CheckForward(%v): %+v", k, ge)
				}
			}
			if got, want := f.Shown(params.FeatureCallForwardAll), tt.cfa; got != want {
				t.Errorf("Shown(call-forward-all) = %v", got)
			}
			if got, want := f.Shown(params.FeatureCallForwardRules), tt.rules; got != want {
				t.Errorf("Shown(call-forward-rules) = %v", got)
			}
		})
	}
	if (params.Features{}).AllowsForward(params.ForwardKind(99)) {
		t.Error("an unknown forward kind is allowed")
	}
	err := params.FeaturesOf(params.Defaults()).CheckForward(params.ForwardKind(99))
	if !errors.Is(err, params.ErrUnknown) {
		t.Errorf("unknown forward kind: %v, want ErrUnknown", err)
	}
}

// TestEveryGateFollowsItsParameter flips each gate's parameter to its
// hiding value and back, as the end-to-end tests do through the portal.
func TestEveryGateFollowsItsParameter(t *testing.T) {
	cl := testCluster(t)
	// Start from everything shown.
	all := params.Defaults()
	all = withSet(t, all, cl, params.KeyShowRingSettings, "true")
	all = withSet(t, all, cl, params.KeyShowLineLabels, "true")
	for _, g := range params.Gates() {
		t.Run(string(g.Feature), func(t *testing.T) {
			if err := params.FeaturesOf(all).Check(g.Feature); err != nil {
				t.Fatalf("shown by default: %v", err)
			}
			hidden := withSet(t, all, cl, g.ParamKey, g.Hiding)
			err := params.FeaturesOf(hidden).Check(g.Feature)
			var ge *params.GateError
			if !errors.As(err, &ge) || !errors.Is(err, params.ErrFeatureHidden) {
				t.Fatalf("Check after hiding = %v, want a GateError", err)
			}
			d, _ := params.Lookup(g.ParamKey)
			want := &params.GateError{Feature: g.Feature, Title: g.Title,
				ParamKey: g.ParamKey, ParamDisplayName: d.DisplayName,
				Value: d.Display(g.Hiding)}
			if diff := cmp.Diff(want, ge); diff != "" {
				t.Errorf("GateError (-want +got):\n%s", diff)
			}
			if msg := err.Error(); !strings.Contains(msg, d.DisplayName) ||
				!strings.Contains(msg, ge.Value) {
				t.Errorf("message %q does not name the parameter and its value", msg)
			}
			if params.FeaturesOf(hidden).Shown(g.Feature) {
				t.Error("Shown after hiding")
			}
			if gg, ok := params.GateOf(g.Feature); !ok || gg != g {
				t.Errorf("GateOf = %+v, %v", gg, ok)
			}
		})
	}
}

// TestEveryFeatureHasAGate checks, field by field, that each bool of
// Features is hidden by exactly one gate, so that a new field cannot be
// added without a parameter to name in the 403.
func TestEveryFeatureHasAGate(t *testing.T) {
	cl := testCluster(t)
	all := params.Defaults()
	all = withSet(t, all, cl, params.KeyShowRingSettings, "true")
	all = withSet(t, all, cl, params.KeyShowLineLabels, "true")
	base := reflect.ValueOf(params.FeaturesOf(all))

	hiddenBy := map[string][]params.Feature{}
	for _, g := range params.Gates() {
		if g.ParamKey == params.KeyShowCallForwarding {
			continue // the mode, checked in TestCallForwardingModes
		}
		f := reflect.ValueOf(params.FeaturesOf(withSet(t, all, cl, g.ParamKey, g.Hiding)))
		for i := range base.NumField() {
			if !f.Field(i).Equal(base.Field(i)) {
				name := base.Type().Field(i).Name
				hiddenBy[name] = append(hiddenBy[name], g.Feature)
			}
		}
	}
	for i := range base.NumField() {
		fld := base.Type().Field(i)
		if fld.Type.Kind() != reflect.Bool {
			continue
		}
		if !base.Field(i).Bool() {
			t.Errorf("%s is not shown in the all-shown feature set", fld.Name)
		}
		if n := len(hiddenBy[fld.Name]); n != 1 {
			t.Errorf("%s is hidden by %d gates (%v), want 1", fld.Name, n, hiddenBy[fld.Name])
		}
	}
}

func TestZeroFeaturesOfferNothing(t *testing.T) {
	var f params.Features
	for _, g := range params.Gates() {
		if f.Shown(g.Feature) {
			t.Errorf("%s shown by the zero Features", g.Feature)
		}
	}
}

func TestCheckUnknownFeature(t *testing.T) {
	f := params.FeaturesOf(params.Defaults())
	err := f.Check("teleportation")
	if !errors.Is(err, params.ErrUnknown) || errors.Is(err, params.ErrFeatureHidden) {
		t.Errorf("Check(unknown) = %v, want ErrUnknown only", err)
	}
	if f.Shown("teleportation") {
		t.Error("an unknown feature is shown")
	}
	if _, ok := params.GateOf(params.FeatureEMLoginTime); ok {
		t.Error("the profile-gated feature has a parameter gate")
	}
}

func TestGateErrorMessage(t *testing.T) {
	cl := testCluster(t)
	v := withSet(t, params.Defaults(), cl, params.KeyShowChangePIN, "false")
	err := params.FeaturesOf(v).Check(params.FeatureChangePIN)
	want := `params: not offered: PIN changes, since the parameter "Show Change PIN" ` +
		`(ShowChangePin) is False`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestModesMarshalAsText(t *testing.T) {
	for m, want := range map[params.CallForwardMode]string{
		params.CallForwardAll: "show-all", params.CallForwardHidden: "hide-all",
		params.CallForwardCFAOnly: "cfa-only", params.CallForwardMode(9): "CallForwardMode(9)",
	} {
		if b, _ := m.MarshalText(); string(b) != want {
			t.Errorf("%d: %q, want %q", m, b, want)
		}
	}
	for p, want := range map[params.PhoneServiceDisplay]string{
		params.PhoneServiceInternal: "internal", params.PhoneServiceExternal: "external",
		params.PhoneServiceBoth: "both",
	} {
		if b, _ := p.MarshalText(); string(b) != want {
			t.Errorf("%d: %q, want %q", p, b, want)
		}
	}
}

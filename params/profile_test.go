package params_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ucselfcare/portal/params"
)

// TestEffectiveLoginTime is the truth table of the Extension Mobility rule:
// profile allows yes/no × choice default/none/custom × enforce on/off ×
// intra 0/4:00 × inter 0/6:00, one line per case.
func TestEffectiveLoginTime(t *testing.T) {
	const (
		yes, no = true, false
		on, off = true, false
		i4      = 4 * time.Hour
		e6      = 6 * time.Hour
		L4      = params.LoginLimit(4 * time.Hour)
		L6      = params.LoginLimit(6 * time.Hour)
		C       = params.LoginLimit(150 * time.Minute) // the user's custom 2:30
		N       = params.NoLoginLimit
	)
	var (
		dflt   = params.EMLoginChoice{}
		none   = params.EMLoginChoice{Mode: params.EMNoMaximum}
		custom = params.EMLoginChoice{Mode: params.EMCustom, Max: 150 * time.Minute}
	)
	tests := []struct {
		allow        bool
		choice       params.EMLoginChoice
		enforce      bool
		intra, inter time.Duration
		wantIntra    params.LoginLimit
		wantInter    params.LoginLimit
	}{
		// Profile allows, user keeps the system default: service parameters.
		{yes, dflt, on, 0, 0, N, N},
		{yes, dflt, on, 0, e6, N, L6},
		{yes, dflt, on, i4, 0, L4, N},
		{yes, dflt, on, i4, e6, L4, L6},
		{yes, dflt, off, 0, 0, N, N},
		{yes, dflt, off, 0, e6, N, L6},
		{yes, dflt, off, i4, 0, N, N},
		{yes, dflt, off, i4, e6, N, L6},

		// Profile allows, user chose no maximum: overrides both.
		{yes, none, on, 0, 0, N, N},
		{yes, none, on, 0, e6, N, N},
		{yes, none, on, i4, 0, N, N},
		{yes, none, on, i4, e6, N, N},
		{yes, none, off, 0, 0, N, N},
		{yes, none, off, 0, e6, N, N},
		{yes, none, off, i4, 0, N, N},
		{yes, none, off, i4, e6, N, N},

		// Profile allows, user chose 2:30: overrides both.
		{yes, custom, on, 0, 0, C, C},
		{yes, custom, on, 0, e6, C, C},
		{yes, custom, on, i4, 0, C, C},
		{yes, custom, on, i4, e6, C, C},
		{yes, custom, off, 0, 0, C, C},
		{yes, custom, off, 0, e6, C, C},
		{yes, custom, off, i4, 0, C, C},
		{yes, custom, off, i4, e6, C, C},

		// Profile does not allow, no choice: service parameters.
		{no, dflt, on, 0, 0, N, N},
		{no, dflt, on, 0, e6, N, L6},
		{no, dflt, on, i4, 0, L4, N},
		{no, dflt, on, i4, e6, L4, L6},
		{no, dflt, off, 0, 0, N, N},
		{no, dflt, off, 0, e6, N, L6},
		{no, dflt, off, i4, 0, N, N},
		{no, dflt, off, i4, e6, N, L6},

		// Profile stopped allowing after the user chose no maximum: the
		// stored choice is ignored, the service parameters apply.
		{no, none, on, 0, 0, N, N},
		{no, none, on, 0, e6, N, L6},
		{no, none, on, i4, 0, L4, N},
		{no, none, on, i4, e6, L4, L6},
		{no, none, off, 0, 0, N, N},
		{no, none, off, 0, e6, N, L6},
		{no, none, off, i4, 0, N, N},
		{no, none, off, i4, e6, N, L6},

		// Profile stopped allowing after the user chose 2:30: ignored too.
		{no, custom, on, 0, 0, N, N},
		{no, custom, on, 0, e6, N, L6},
		{no, custom, on, i4, 0, L4, N},
		{no, custom, on, i4, e6, L4, L6},
		{no, custom, off, 0, 0, N, N},
		{no, custom, off, 0, e6, N, L6},
		{no, custom, off, i4, 0, N, N},
		{no, custom, off, i4, e6, N, L6},
	}
	if len(tests) != 2*3*2*2*2 {
		t.Fatalf("%d cases, want every combination (48)", len(tests))
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		name := fmt.Sprintf("allow=%v/choice=%v/enforce=%v/intra=%s/inter=%s",
			tt.allow, tt.choice, tt.enforce,
			params.FormatDuration(tt.intra), params.FormatDuration(tt.inter))
		if seen[name] {
			t.Fatalf("case %s listed twice", name)
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			sp := params.EMServiceParams{EnforceIntra: tt.enforce, IntraMax: tt.intra,
				InterMax: tt.inter}
			p := params.UserProfile{Name: "p", AllowEMMaxLoginTime: tt.allow}
			intra, inter := params.EffectiveLoginTime(sp, p, tt.choice)
			if intra != tt.wantIntra || inter != tt.wantInter {
				t.Errorf("got intra %v, inter %v; want %v, %v",
					intra, inter, tt.wantIntra, tt.wantInter)
			}
		})
	}
}

// TestEffectiveLoginTimeFromValues runs the rule on the parameters as the
// portal reads them, after an administrator enters an intra-cluster limit.
func TestEffectiveLoginTimeFromValues(t *testing.T) {
	cl := testCluster(t)
	v := params.Defaults()
	allow := params.UserProfile{Name: "Jabber", AllowEMMaxLoginTime: true}

	intra, inter := params.EffectiveLoginTime(v.ExtensionMobility(), allow, params.EMLoginChoice{})
	if intra != params.NoLoginLimit || inter != params.LoginLimit(8*time.Hour) {
		t.Errorf("defaults: intra %v inter %v, want none and 8:00", intra, inter)
	}

	// Entering a limit turns enforcement on (PlanSet), so it applies at once.
	v = withSet(t, v, cl, params.KeyIntraClusterLoginTime, "4:00")
	intra, _ = params.EffectiveLoginTime(v.ExtensionMobility(), allow, params.EMLoginChoice{})
	if intra != params.LoginLimit(4*time.Hour) {
		t.Errorf("after setting 4:00: intra %v, want 4:00", intra)
	}
}

func TestEffectiveLoginTimeIgnoresABadStoredChoice(t *testing.T) {
	sp := params.EMServiceParams{EnforceIntra: true, IntraMax: time.Hour, InterMax: 2 * time.Hour}
	allow := params.UserProfile{AllowEMMaxLoginTime: true}
	for _, c := range []params.EMLoginChoice{
		{Mode: params.EMCustom, Max: 0},
		{Mode: params.EMCustom, Max: params.MaxLoginTime + time.Minute},
		{Mode: params.EMCustom, Max: time.Second},
		{Mode: params.EMLoginMode(7), Max: time.Hour},
	} {
		intra, inter := params.EffectiveLoginTime(sp, allow, c)
		if intra != params.LoginLimit(time.Hour) || inter != params.LoginLimit(2*time.Hour) {
			t.Errorf("%+v: got %v, %v; want the service parameters", c, intra, inter)
		}
	}
}

func TestEMLoginChoiceText(t *testing.T) {
	tests := []struct {
		in     string
		want   params.EMLoginChoice
		text   string // "" when refused
		reason string
	}{
		{"", params.EMLoginChoice{}, "default", ""},
		{"default", params.EMLoginChoice{}, "default", ""},
		{"DEFAULT", params.EMLoginChoice{}, "default", ""},
		{"none", params.EMLoginChoice{Mode: params.EMNoMaximum}, "none", ""},
		{"8:00", params.EMLoginChoice{Mode: params.EMCustom, Max: 8 * time.Hour}, "8:00", ""},
		{":30", params.EMLoginChoice{Mode: params.EMCustom, Max: 30 * time.Minute}, "0:30", ""},
		{"168:00", params.EMLoginChoice{Mode: params.EMCustom, Max: params.MaxLoginTime},
			"168:00", ""},
		{"0:00", params.EMLoginChoice{}, "", "at least 0:01"},
		{"168:01", params.EMLoginChoice{}, "", "above 168:00"},
		{"1:60", params.EMLoginChoice{}, "", "the minutes are above 59"},
		{"forever", params.EMLoginChoice{}, "", "not in the form HHH:MM"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := params.ParseEMLoginChoice(tt.in)
			if tt.text == "" {
				var ve *params.ValidationError
				if !errors.As(err, &ve) || !strings.Contains(ve.Reason, tt.reason) {
					t.Fatalf("ParseEMLoginChoice(%q) = %+v, %v; want refused (%s)",
						tt.in, got, err, tt.reason)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseEMLoginChoice(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if got.String() != tt.text {
				t.Errorf("String() = %q, want %q", got.String(), tt.text)
			}
			if back, err := params.ParseEMLoginChoice(got.String()); err != nil || back != got {
				t.Errorf("round trip: %+v, %v", back, err)
			}
		})
	}
}

func TestEMLoginChoiceValidate(t *testing.T) {
	tests := []struct {
		name string
		c    params.EMLoginChoice
		ok   bool
	}{
		{"default", params.EMLoginChoice{}, true},
		{"no_maximum", params.EMLoginChoice{Mode: params.EMNoMaximum}, true},
		{"custom_one_minute", params.EMLoginChoice{Mode: params.EMCustom, Max: time.Minute}, true},
		{"custom_a_week", params.EMLoginChoice{Mode: params.EMCustom, Max: params.MaxLoginTime},
			true},
		{"custom_zero_refused", params.EMLoginChoice{Mode: params.EMCustom}, false},
		{"custom_negative_refused", params.EMLoginChoice{Mode: params.EMCustom, Max: -time.Hour},
			false},
		{"custom_over_a_week_refused",
			params.EMLoginChoice{Mode: params.EMCustom, Max: params.MaxLoginTime + time.Minute},
			false},
		{"custom_seconds_refused",
			params.EMLoginChoice{Mode: params.EMCustom, Max: time.Hour + time.Second}, false},
		{"default_with_a_time_refused", params.EMLoginChoice{Max: time.Hour}, false},
		{"unknown_mode_refused", params.EMLoginChoice{Mode: 9}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, params.ErrInvalid) {
				t.Errorf("%v does not match ErrInvalid", err)
			}
		})
	}
}

func TestLoginLimit(t *testing.T) {
	if d, ok := params.NoLoginLimit.Max(); ok || d != 0 {
		t.Errorf("NoLoginLimit.Max() = %v, %v", d, ok)
	}
	if s := params.NoLoginLimit.String(); s != "none" {
		t.Errorf("NoLoginLimit.String() = %q", s)
	}
	l := params.LoginLimit(90 * time.Minute)
	if d, ok := l.Max(); !ok || d != 90*time.Minute || l.String() != "1:30" {
		t.Errorf("1:30: Max() = %v, %v; String() = %q", d, ok, l.String())
	}
}

func TestUserProfileValidate(t *testing.T) {
	tests := []struct {
		name   string
		p      params.UserProfile
		fields []string // keys of the refused fields
	}{
		{"valid", params.UserProfile{Name: "Jabber Users", Description: "EM for all"}, nil},
		{"name_of_64_characters", params.UserProfile{Name: strings.Repeat("é", 64)}, nil},
		{"empty_name", params.UserProfile{}, []string{"Name"}},
		{"name_of_65_characters", params.UserProfile{Name: strings.Repeat("a", 65)},
			[]string{"Name"}},
		{"name_with_a_newline", params.UserProfile{Name: "a\nb"}, []string{"Name"}},
		{"name_with_an_escape", params.UserProfile{Name: "a\x1b[31m"}, []string{"Name"}},
		{"name_with_a_trailing_space", params.UserProfile{Name: "Sales "}, []string{"Name"}},
		{"name_not_utf8", params.UserProfile{Name: "\xff"}, []string{"Name"}},
		{"description_too_long",
			params.UserProfile{Name: "ok", Description: strings.Repeat("d", 129)},
			[]string{"Description"}},
		{"both_bad", params.UserProfile{Name: "", Description: "tab\there"},
			[]string{"Name", "Description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			var got []string
			if err != nil {
				if !errors.Is(err, params.ErrInvalid) {
					t.Errorf("%v does not match ErrInvalid", err)
				}
				errs := []error{err}
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				}
				for _, e := range errs {
					var ve *params.ValidationError
					if !errors.As(e, &ve) {
						t.Fatalf("%T is not a ValidationError", e)
					}
					got = append(got, ve.Key)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.fields) {
				t.Errorf("refused fields %v, want %v (err %v)", got, tt.fields, err)
			}
		})
	}
}

func TestCheckEMLoginTime(t *testing.T) {
	if err := (params.UserProfile{Name: "p", AllowEMMaxLoginTime: true}).CheckEMLoginTime(); err != nil {
		t.Errorf("allowed profile: %v", err)
	}
	err := params.UserProfile{Name: "Standard"}.CheckEMLoginTime()
	var ge *params.GateError
	if !errors.As(err, &ge) || !errors.Is(err, params.ErrFeatureHidden) {
		t.Fatalf("got %v, want a GateError", err)
	}
	if ge.Feature != params.FeatureEMLoginTime || ge.ParamKey != params.ProfileOptionEMLoginTime ||
		ge.Profile != "Standard" || !strings.Contains(err.Error(), "Standard") ||
		!strings.Contains(err.Error(), "Allow End User to set") {
		t.Errorf("GateError %+v: %v", ge, err)
	}
	// A user without a profile gets the zero profile, which allows nothing.
	if err := (params.UserProfile{}).CheckEMLoginTime(); !errors.Is(err, params.ErrFeatureHidden) {
		t.Errorf("zero profile: %v", err)
	}
}

package params_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// validationError returns the one *ValidationError in err, failing when
// there is none.
func validationError(tb testing.TB, err error) *params.ValidationError {
	tb.Helper()
	var ve *params.ValidationError
	if !errors.As(err, &ve) {
		tb.Fatalf("%v is not a ValidationError", err)
	}
	return ve
}

// TestRefusalsAreSentences pins the message of each kind of refusal,
// including the ones that once read as broken sentences ("is minutes above
// 59"), and checks what every refusal message shares.
func TestRefusalsAreSentences(t *testing.T) {
	validate := func(key, raw string) error {
		_, err := params.Validate(key, raw, params.Cluster{})
		return err
	}
	profileName := func(name string) error {
		return params.UserProfile{Name: name}.Validate()
	}
	const durationAllowed = " Allowed: HHH:MM from 0:00 to 168:00 (0:00: no limit)."
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"minutes above 59", validate(params.KeyIntraClusterLoginTime, "1:60"),
			`Intra-cluster Maximum Login Time (EMIntraClusterMaxLoginTime) cannot be ` +
				`"1:60": the minutes are above 59.` + durationAllowed},
		{"negative time", validate(params.KeyIntraClusterLoginTime, "-1:00"),
			`Intra-cluster Maximum Login Time (EMIntraClusterMaxLoginTime) cannot be ` +
				`"-1:00": a time cannot be negative.` + durationAllowed},
		{"Arabic-Indic digits counted as characters",
			validate(params.KeyInterClusterLoginTime, "١٦٨:٠٠"),
			`Inter-cluster Maximum Login Time (EMInterClusterMaxLoginTime) cannot be ` +
				`"١٦٨:٠٠": the hours must be ASCII digits 0-9.` + durationAllowed},
		{"hour digits", validate(params.KeyInterClusterLoginTime, "1000:00"),
			`Inter-cluster Maximum Login Time (EMInterClusterMaxLoginTime) cannot be ` +
				`"1000:00": the hours have more than three digits.` + durationAllowed},
		{"integer above its range", validate(params.KeyActivationTTL, "169"),
			`Activation Time to Live (Hours) (ActivationTimeToLiveHours) cannot be ` +
				`"169": it is above 168. Allowed: a whole number from 1 to 168 hours.`},
		{"integer below its range", validate(params.KeyActivationTTL, "0"),
			`Activation Time to Live (Hours) (ActivationTimeToLiveHours) cannot be ` +
				`"0": it is below 1. Allowed: a whole number from 1 to 168 hours.`},
		{"bool without a reason", validate(params.KeyShowChangePIN, "yes"),
			`Show Change PIN (ShowChangePin) cannot be "yes". Allowed: true or false.`},
		{"no publisher", func() error {
			_, err := params.NewCluster(params.Server{Name: "sub.example.com"})
			return err
		}(),
			`Number of publishers (Publisher) cannot be "0": a cluster with servers ` +
				`has exactly one publisher. Allowed: 1 (the first server added is the ` +
				`publisher; to move the role, make another server the publisher).`},
		{"control character escaped", profileName("ctl\x01x"),
			`Profile name (Name) cannot be "ctl\x01x": it contains a control ` +
				`character. Allowed: 1 to 64 characters, without surrounding spaces, ` +
				`control characters or invisible formatting characters, and unlike any ` +
				`other profile's name in letter case only.`},
		{"login time choice names the request field",
			func() error { _, err := params.ParseEMLoginChoiceInput(""); return err }(),
			`Extension Mobility maximum login time (choice) cannot be "": no choice ` +
				`was sent; send "default" for the system default. Allowed: "default", ` +
				`"none", or HHH:MM from 0:01 to 168:00.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ve := validationError(t, tt.err)
			if got := ve.Message(); got != tt.want {
				t.Errorf("Message\n got  %s\n want %s", got, tt.want)
			}
			if got := tt.err.Error(); strings.Count(got, "params:") != 1 {
				t.Errorf("Error() wraps the package more than once: %s", got)
			}
		})
	}
}

func TestRefusedValuesAreQuotedAndCut(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"short_value_whole", "cucm", `"cucm"`},
		{"control_characters_escaped", "a\x1b[2Jb\n", `"a\x1b[2Jb\n"`},
		{"bidi_override_escaped", "abc\u202edef", `"abc\u202edef"`},
		{"zero_width_escaped", "hot\u200bdesk", `"hot\u200bdesk"`},
		{"other_scripts_shown", "Büro ١٦٨", `"Büro ١٦٨"`},
		{"long_value_cut_by_characters", strings.Repeat("é", 5000),
			`"` + strings.Repeat("é", params.MaxQuotedLen) + `"… (5000 characters)`},
		{"invalid_byte_escaped", "a\xffb", `"a\xffb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := params.QuoteValue(tt.in); got != tt.want {
				t.Errorf("QuoteValue = %s, want %s", got, tt.want)
			}
		})
	}

	// A refused 5,000-character name is not echoed back in full.
	err := params.UserProfile{Name: strings.Repeat("n", 5000)}.Validate()
	if msg := validationError(t, err).Message(); len(msg) > 400 ||
		!strings.Contains(msg, "(5000 characters)") {
		t.Errorf("message of a huge name: %d bytes: %.120s", len(msg), msg)
	}
}

func TestServerNames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"host_name", "cucm-pub", true},
		{"fully_qualified", "cucm-pub.example.com", true},
		{"mixed_case", "CUCM-Pub.Example.COM", true},
		{"underscore_inside_a_label", "cucm_pub.example.com", true},
		{"punycode", "xn--bcher-kva.example", true},
		{"ipv4", "10.0.0.3", true},
		{"ipv6", "2001:db8::10", true},
		{"ipv6_link_local", "fe80::1", true},
		{"empty_refused", "", false},
		{"double_dot_refused", "a..b", false},
		{"leading_dot_refused", ".a", false},
		{"trailing_dot_refused", "a.", false},
		{"leading_hyphen_refused", "-a.example.com", false},
		{"trailing_hyphen_refused", "a-.example.com", false},
		{"long_label_refused", strings.Repeat("a", 64) + ".example.com", false},
		{"too_long_refused", strings.Repeat("a.", 127) + "a", false},
		{"digits_only_not_an_address_refused", "10.0.0", false},
		{"bad_ipv4_refused", "10.0.0.300", false},
		{"ipv6_zone_refused", "fe80::1%eth0", false},
		{"colon_not_ipv6_refused", "cucm:8443", false},
		{"non_ascii_refused", "bücher.example", false},
		{"bidi_control_refused", "cucm\u202e.example.com", false},
		{"zero_width_refused", "cucm\u200b.example.com", false},
		{"space_refused", "a b", false},
		{"slash_refused", "a/b", false},
		{"none_reserved", "NONE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := params.ValidateServerName(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateServerName(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil {
				if ve := validationError(t, err); ve.Key != "Name" || ve.Reason == "" {
					t.Errorf("refusal %+v lacks the field or the reason", ve)
				}
			}
		})
	}
}

func TestProfileNamesRefuseInvisibleCharacters(t *testing.T) {
	invisible := []rune{
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E, // embeddings and overrides
		0x2066, 0x2067, 0x2068, 0x2069, // isolates
		0x200B, 0x200C, 0x200D, 0xFEFF, // zero-width characters
		0x00AD, 0x2060, // soft hyphen, word joiner: other format characters
		0x2028, 0x2029, // line and paragraph separators
	}
	for _, r := range invisible {
		name := "Hot" + string(r) + "Desk"
		err := params.UserProfile{Name: name}.Validate()
		if ve := validationError(t, err); !strings.Contains(ve.Reason, "invisible") {
			t.Errorf("U+%04X: %v, want refused as invisible", r, err)
		}
		if err := (params.UserProfile{Name: "Desk", Description: name}).Validate(); err == nil {
			t.Errorf("U+%04X accepted in a description", r)
		}
	}
	for _, name := range []string{"Hot Desk", "Büro Zürich", "مكتب"} {
		if err := (params.UserProfile{Name: name}).Validate(); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
}

func TestProfileNameTaken(t *testing.T) {
	err := params.NameTaken("hot desk", "Hot Desk")
	ve := validationError(t, err)
	if ve.Key != "Name" || !strings.Contains(ve.Message(), `"Hot Desk"`) ||
		!strings.Contains(ve.Message(), `"hot desk"`) {
		t.Errorf("NameTaken: %v", ve.Message())
	}
}

func TestClusterWithKeepsTheFirstSpelling(t *testing.T) {
	c, err := params.NewCluster(params.Server{Name: "Mixed.example.com", Publisher: true},
		params.Server{Name: "sub.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("case_only_is_no_change", func(t *testing.T) {
		got, err := c.With(params.Server{Name: "MIXED.EXAMPLE.COM", Publisher: true})
		if err != nil || !got.Equal(c) {
			t.Errorf("With in other case = %v, %v; want the cluster unchanged",
				got.Servers(), err)
		}
	})
	t.Run("promotion_in_other_case_keeps_the_name", func(t *testing.T) {
		got, err := c.With(params.Server{Name: "SUB.example.com", Publisher: true})
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := got.Publisher(); s.Name != "sub.example.com" {
			t.Errorf("publisher %q, want the stored spelling", s.Name)
		}
	})
	t.Run("parameter_value_takes_the_stored_spelling", func(t *testing.T) {
		got, err := params.Validate(params.KeyDefaultServer, "mixed.EXAMPLE.com", c)
		if err != nil || got != "Mixed.example.com" {
			t.Errorf("Validate = %q, %v; want the cluster's spelling", got, err)
		}
	})
}

func TestPlanRemoveServer(t *testing.T) {
	c := testCluster(t)
	named := withSet(t, params.Defaults(), c, params.KeyDefaultServer,
		"cucm-sub1.example.com")

	t.Run("subscriber_removed", func(t *testing.T) {
		next, srv, err := params.PlanRemoveServer(named, c, "CUCM-SUB2.example.com")
		if err != nil || next.Len() != 2 || srv.Name != "cucm-sub2.example.com" {
			t.Errorf("got %d servers, %+v, %v", next.Len(), srv, err)
		}
	})
	t.Run("default_server_refused_naming_the_parameter", func(t *testing.T) {
		_, _, err := params.PlanRemoveServer(named, c, "cucm-sub1.EXAMPLE.com")
		var iu *params.InUseError
		if !errors.As(err, &iu) || !errors.Is(err, params.ErrInUse) ||
			iu.ParamKey != params.KeyDefaultServer {
			t.Fatalf("got %v, want an InUseError naming the parameter", err)
		}
		want := `The server "cucm-sub1.example.com" cannot be removed: the parameter ` +
			`"Self Care Portal Default Server" (CCMUserOptionsPortalDefaultServer) ` +
			`names it. Set that parameter to another server or None first.`
		if iu.Message() != want {
			t.Errorf("Message\n got  %s\n want %s", iu.Message(), want)
		}
	})
	t.Run("publisher_of_others_refused", func(t *testing.T) {
		_, _, err := params.PlanRemoveServer(named, c, "cucm-pub.example.com")
		var iu *params.InUseError
		if !errors.As(err, &iu) || iu.ParamKey != "" ||
			!strings.Contains(iu.Message(), "publisher") {
			t.Errorf("got %v, want an InUseError about the publisher", err)
		}
	})
	t.Run("unknown_server_said_once", func(t *testing.T) {
		_, _, err := params.PlanRemoveServer(named, c, "nope")
		if !errors.Is(err, params.ErrNotFound) ||
			err.Error() != `params: There is no server "nope".` {
			t.Errorf("got %v", err)
		}
	})
}

func TestFind(t *testing.T) {
	tests := []struct {
		in, want string // want "" when not found
	}{
		{params.KeyShowChangePIN, params.KeyShowChangePIN},
		{"showchangepin", params.KeyShowChangePIN},
		{"SHOW CHANGE PIN", params.KeyShowChangePIN},
		{"Self Care Portal Default Server", params.KeyDefaultServer},
		{"ShowChangePin ", ""},
		{"NoSuchThing", ""},
	}
	for _, tt := range tests {
		d, ok := params.Find(tt.in)
		if ok != (tt.want != "") || d.Key != tt.want {
			t.Errorf("Find(%q) = %q, %t; want %q", tt.in, d.Key, ok, tt.want)
		}
	}

	// Every key and display name names one parameter, in any case.
	seen := map[string]string{}
	for _, d := range params.Definitions() {
		for _, name := range []string{d.Key, d.DisplayName} {
			k := strings.ToLower(name)
			if other, ok := seen[k]; ok && other != d.Key {
				t.Errorf("%q names both %s and %s", name, other, d.Key)
			}
			seen[k] = d.Key
		}
	}
}

func TestUnknownKeyIsNamed(t *testing.T) {
	_, err := params.Validate("NoSuchThing", "1", params.Cluster{})
	var ue *params.UnknownError
	if !errors.As(err, &ue) || !errors.Is(err, params.ErrUnknown) || ue.Key != "NoSuchThing" ||
		ue.Message() != `No parameter has the key or display name "NoSuchThing".` {
		t.Errorf("got %v", err)
	}
}

func TestGateErrorOfAUserWithoutAProfile(t *testing.T) {
	err := params.UserProfile{}.CheckEMLoginTime()
	want := `params: not offered: the Extension Mobility login time, since the user ` +
		`has no user profile and only a profile with "Allow End User to set their ` +
		`Extension Mobility maximum login time" (AllowEMMaxLoginTime) turned on offers it`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

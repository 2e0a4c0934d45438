package selfcare_test

import (
	"encoding"
	"errors"
	"fmt"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// enumText is what every named enumeration of the package provides.
type enumText interface {
	fmt.Stringer
	encoding.TextMarshaler
}

// TestEnumNamesUnknown pins what each enumeration says of a value or a
// name it does not know, now that they share one set of helpers: the
// wording of each stays its own, and both errors are ErrInvalid.
func TestEnumNamesUnknown(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bad       enumText
		into      encoding.TextUnmarshaler
		str, m, u string
	}{
		{"ring setting", selfcare.RingSetting(9), new(selfcare.RingSetting),
			"RingSetting(9)", "selfcare: unknown line setting value 9",
			`selfcare: unknown line setting value "loud"`},
		{"visual notification", selfcare.MWIVisual(9), new(selfcare.MWIVisual),
			"MWIVisual(9)", "selfcare: unknown line setting value 9",
			`selfcare: unknown line setting value "loud"`},
		{"audible notification", selfcare.MWIAudible(9), new(selfcare.MWIAudible),
			"MWIAudible(9)", "selfcare: unknown line setting value 9",
			`selfcare: unknown line setting value "loud"`},
		{"phone service kind", selfcare.PhoneServiceKind(9),
			new(selfcare.PhoneServiceKind), "PhoneServiceKind(9)",
			"selfcare: unknown phone service kind 9",
			`selfcare: unknown phone service kind "loud"`},
		{"parameter kind", selfcare.ServiceParamKind(9), new(selfcare.ServiceParamKind),
			"ServiceParamKind(9)", "selfcare: unknown parameter kind 9",
			`selfcare: unknown parameter kind "loud"`},
		{"contact method type", selfcare.ContactMethodType(9),
			new(selfcare.ContactMethodType), "ContactMethodType(9)",
			"selfcare: unknown contact method type 9",
			`selfcare: unknown contact method type "loud"`},
		{"voicemail avoidance", selfcare.VoicemailAvoidance(9),
			new(selfcare.VoicemailAvoidance), "VoicemailAvoidance(9)",
			"selfcare: unknown voicemail avoidance 9",
			`selfcare: unknown voicemail avoidance "loud"`},
		{"Do Not Disturb option", selfcare.DNDOption(9), new(selfcare.DNDOption),
			"DNDOption(9)", "selfcare: unknown Do Not Disturb option 9",
			`selfcare: unknown Do Not Disturb option "loud"`},
		{"Do Not Disturb alert", selfcare.DNDAlert(9), new(selfcare.DNDAlert),
			"DNDAlert(9)", "selfcare: unknown Do Not Disturb alert 9",
			`selfcare: unknown Do Not Disturb alert "loud"`},
	} {
		t.Run(tc.name+" refuses an unknown value and name", func(t *testing.T) {
			if got := tc.bad.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			_, err := tc.bad.MarshalText()
			checkInvalid(t, "MarshalText", err, tc.m)
			checkInvalid(t, "UnmarshalText", tc.into.UnmarshalText([]byte("loud")), tc.u)
		})
	}
}

// checkInvalid fails t unless err is ErrInvalid worded as want.
func checkInvalid(t testing.TB, op string, err error, want string) {
	t.Helper()
	if !errors.Is(err, selfcare.ErrInvalid) {
		t.Errorf("%s: %v, want ErrInvalid", op, err)
		return
	}
	if want += ": " + selfcare.ErrInvalid.Error(); err.Error() != want {
		t.Errorf("%s: %q, want %q", op, err, want)
	}
}

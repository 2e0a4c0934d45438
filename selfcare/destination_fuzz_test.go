package selfcare_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// destErrCodes are the codes ParseDestination may return.
var destErrCodes = map[string]bool{
	"empty": true, "characters": true, "separators": true, "format": true,
	"too_long": true, "comma_rules": true, "uri": true,
}

// FuzzParseDestination checks, for any input and kind, that the parser
// does not panic; that a refusal is a *DestinationError with a known code,
// a clean message and a suggestion that parses; and that an accepted
// destination is the input unchanged, made of the kind's characters only,
// survives a second parse, and can be checked against the default policy.
func FuzzParseDestination(f *testing.F) {
	for _, ex := range destCaseRows {
		for _, in := range ex {
			f.Add(in, uint8(0))
		}
	}
	for _, in := range []string{"95551234,1234,5678#", "*4021", "alice@example.com",
		"sip:bob@example.com", "+14155550123", ",,", "+", "#", "٤٠٢١", "a@b@c",
		"40\u200b21", "4021@cucm", "95551234,,,*#", "\xff"} {
		f.Add(in, uint8(1))
	}
	checker, err := selfcare.DefaultDestinationPolicy().Compile()
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, in string, k uint8) {
		kind := selfcare.DestinationKind(k%3 + 1)
		d, err := selfcare.ParseDestination(in, kind)
		if err != nil {
			var de *selfcare.DestinationError
			if !errors.As(err, &de) || !errors.Is(err, selfcare.ErrInvalid) {
				t.Fatalf("%q: error %v (%T)", in, err, err)
			}
			if !destErrCodes[de.Code] {
				t.Fatalf("%q: unknown code %q", in, de.Code)
			}
			destCheckMessage(t, de.Message)
			if de.Suggestion != "" {
				if _, err := selfcare.ParseDestination(de.Suggestion, kind); err != nil {
					t.Fatalf("%q: suggestion %q is refused: %v", in, de.Suggestion, err)
				}
			}
			return
		}

		// Accepted: exactly the input, in the kind's alphabet.
		out := d.String()
		if out != in || d.Kind != kind {
			t.Fatalf("%q accepted as %+v, String %q", in, d, out)
		}
		allowed := "0123456789+"
		switch {
		case d.IsURI():
			allowed = "0123456789+._-@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			if kind == selfcare.DestinationRemote || strings.Count(out, "@") != 1 ||
				len(out) > selfcare.MaxURILength {
				t.Fatalf("%v accepted URI %q", kind, out)
			}
		case kind == selfcare.DestinationSpeedDial:
			allowed += "*#,"
		case kind == selfcare.DestinationForward:
			allowed += "*"
		}
		if strings.Trim(out, allowed) != "" {
			t.Fatalf("%v %q holds characters outside %q", kind, out, allowed)
		}
		if !d.IsURI() && len(d.Number) > selfcare.MaxNumberLength {
			t.Fatalf("%q: number longer than the maximum", out)
		}

		// Round trip.
		again, err := selfcare.ParseDestination(out, kind)
		if err != nil || again != d {
			t.Fatalf("%q: second parse %+v, %v", out, again, err)
		}

		// The policy answers without panicking, with a class refusal at most.
		if err := checker.Check(d); err != nil {
			var de *selfcare.DestinationError
			if !errors.As(err, &de) || de.Code != "class" {
				t.Fatalf("%q: Check = %v", out, err)
			}
			destCheckMessage(t, de.Message)
		}
	})
}

package selfcare

import (
	"errors"
	"testing"
)

// TestTypedTextThatLooksBlankOrPaddedIsRefused runs every kind of typed
// text through its own check with the same inputs: each field must draw
// the line of text.go.
func TestTypedTextThatLooksBlankOrPaddedIsRefused(t *testing.T) {
	kinds := []struct {
		name  string
		check func(string) string
	}{
		{"phone description", phoneDescriptionProblem},
		{"line label", lineLabelProblem},
		{"required speed dial label", func(s string) string { return labelProblem(s, true) }},
		{"contact's only name", func(s string) string {
			err := checkContact(Contact{FirstName: s,
				Methods: []ContactMethod{{Type: ContactWork, Number: "4021"}}})
			var ve *ValidationError
			if errors.As(err, &ve) && len(ve.Fields) > 0 {
				return ve.Fields[0].Message
			}
			return ""
		}},
		{"service name", func(s string) string { return textProblem(s, MaxServiceName, true) }},
		{"additional phone's description", descriptionProblem},
	}
	inputs := []struct {
		name, text string
		ok         bool
	}{
		{"a plain name", "Kitchen", true},
		{"inner spaces", "Front desk 2", true},
		{"letters of another script", "Küche 厨房", true},
		{"Hangul filler U+3164", "\u3164", false},
		{"braille blank U+2800", "\u2800", false},
		{"Hangul choseong filler U+115F", "\u115f", false},
		{"Hangul jungseong filler U+1160", "\u1160", false},
		{"halfwidth Hangul filler U+FFA0", "\uffa0", false},
		{"ideographic space", "\u3000", false},
		{"no-break spaces", "\u00a0\u00a0", false},
		{"variation selector alone", "\ufe0f", false},
		{"zero-width space", "\u200b", false},
		{"a filler inside a name", "Kit\u3164chen", false},
		{"leading and trailing spaces", "  Kitchen  ", false},
		{"a trailing no-break space", "Kitchen\u00a0", false},
		{"a leading braille blank", "\u2800Kitchen", false},
	}
	for _, k := range kinds {
		for _, in := range inputs {
			want := "refused"
			if in.ok {
				want = "accepted"
			}
			t.Run(k.name+" with "+in.name+" is "+want, func(t *testing.T) {
				msg := k.check(in.text)
				if (msg == "") != in.ok {
					t.Errorf("check(%+q) = %q, want %s", in.text, msg, want)
				}
			})
		}
	}
}

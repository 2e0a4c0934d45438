package params

import (
	"errors"
	"strings"
	"testing"
)

// No parameter of the table is free text today; this exercises the
// KindString rules on a definition of our own, so that the first such
// parameter starts from tested code.
func TestStringKind(t *testing.T) {
	d := &Definition{Key: "Motd", DisplayName: "Message of the Day", Kind: KindString,
		MaxLen: 10}
	tests := []struct {
		in string
		ok bool
	}{
		{"", true},
		{"hello", true},
		{"éééééééééé", true}, // ten characters, twenty bytes
		{"ééééééééééé", false},
		{"line\nbreak", false},
		{"\x1b[2J", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		v, err := d.validate(tt.in, Cluster{})
		if (err == nil) != tt.ok {
			t.Errorf("validate(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(ve.Allowed, "at most 10") {
				t.Errorf("validate(%q): %v", tt.in, err)
			}
			continue
		}
		if v.text != tt.in {
			t.Errorf("validate(%q) changed it to %q", tt.in, v.text)
		}
	}
}

func TestKindWithoutRulesRefusesEverything(t *testing.T) {
	d := &Definition{Key: "Broken", DisplayName: "Broken"}
	if _, err := d.validate("true", Cluster{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a definition without a kind accepted a value: %v", err)
	}
	if got := d.defaultValue(); got.text != "" {
		t.Errorf("defaultValue of a broken definition = %+v", got)
	}
	if Kind(0).String() != "invalid" {
		t.Error("the zero Kind has a name")
	}
}

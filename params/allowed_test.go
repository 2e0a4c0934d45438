package params_test

import (
	"errors"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// TestAllowedMatchesTheRefusal checks that Definition.Allowed says what a
// refusal of the same parameter says, so that a page listing the allowed
// values and the error for a bad one agree.
func TestAllowedMatchesTheRefusal(t *testing.T) {
	c := testCluster(t)
	for _, d := range params.Definitions() {
		_, err := params.Validate(d.Key, "\x00 not a value \x00", c)
		var ve *params.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: %v, want a ValidationError", d.Key, err)
			continue
		}
		if got := d.Allowed(c); got != ve.Allowed || got == "" {
			t.Errorf("%s: Allowed = %q, refusal says %q", d.Key, got, ve.Allowed)
		}
	}
	d, _ := params.Lookup(params.KeyDefaultServer)
	if got, want := d.Allowed(c),
		"None, cucm-pub.example.com, cucm-sub1.example.com, cucm-sub2.example.com"; got != want {
		t.Errorf("Allowed of the default server = %q, want %q", got, want)
	}
}

package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestParseVersionedForm covers the one reading of a posted form's version
// that every settings page shares.
func TestParseVersionedForm(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       int64
		wantErr    string // "" for none; else the 400's text
	}{
		{"reads the version", "version=7&description=x", 7, ""},
		{"refuses a form without one naming the thing", "description=x", 0,
			"web: malformed request: the form lacks the phone's version"},
		{"refuses a version that is not a number", "version=seven", 0,
			"web: malformed request: the form lacks the phone's version"},
		{"refuses a form that does not parse", "version=%zz", 0, "web: malformed request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/phones/SEP1/settings",
				strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			got, err := parseVersionedForm(r, "the phone")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr != "" && !errors.Is(err, errBadRequest):
				t.Fatalf("error %v, want errBadRequest", err)
			case tc.wantErr != "" && !strings.HasPrefix(err.Error(), tc.wantErr):
				t.Errorf("error %q, want %q", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("version %d, want %d", got, tc.want)
			}
		})
	}
}

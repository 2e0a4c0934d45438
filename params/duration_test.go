package params_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ucselfcare/portal/params"
)

func TestParseDuration(t *testing.T) {
	const h, m = time.Hour, time.Minute
	tests := []struct {
		in        string
		want      time.Duration
		canonical string // "" when refused
	}{
		// Accepted, with their canonical form.
		{"8:00", 8 * h, "8:00"},
		{"08:00", 8 * h, "8:00"},
		{"008:00", 8 * h, "8:00"},
		{":30", 30 * m, "0:30"},
		{"0:30", 30 * m, "0:30"},
		{"0:00", 0, "0:00"},
		{":00", 0, "0:00"},
		{"168:00", 168 * h, "168:00"},
		{"168:01", 168*h + m, "168:01"}, // syntax only; the parameters bound it
		{"999:59", 999*h + 59*m, "999:59"},
		{"1:05", h + 5*m, "1:05"},
		{"12:59", 12*h + 59*m, "12:59"},

		// Refused.
		{"", 0, ""},
		{":", 0, ""},
		{"8", 0, ""},
		{"8:", 0, ""},
		{"1:5", 0, ""}, // 1:05 or 1:50? Refused, not guessed.
		{"1:005", 0, ""},
		{"1:60", 0, ""},
		{"1:99", 0, ""},
		{"-1:00", 0, ""},
		{"+1:00", 0, ""},
		{"1:-5", 0, ""},
		{"1000:00", 0, ""},
		{"abc", 0, ""},
		{"a:bc", 0, ""},
		{"1:0a", 0, ""},
		{" 8:00", 0, ""},
		{"8:00 ", 0, ""},
		{"8:00:00", 0, ""},
		{"8h", 0, ""},
		{"８:００", 0, ""}, // full-width digits
		{"1::00", 0, ""},
	}
	for _, tt := range tests {
		name := tt.in
		if tt.canonical == "" {
			name += "_refused"
		}
		t.Run(name, func(t *testing.T) {
			got, err := params.ParseDuration(tt.in)
			if tt.canonical == "" {
				if err == nil || !errors.Is(err, params.ErrInvalid) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if f := params.FormatDuration(got); f != tt.canonical {
				t.Errorf("FormatDuration(%v) = %q, want %q", got, f, tt.canonical)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0:00"},
		{time.Minute, "0:01"},
		{59 * time.Second, "0:00"}, // seconds are dropped
		{90*time.Minute + 30*time.Second, "1:30"},
		{params.MaxLoginTime, "168:00"},
		{1000 * time.Hour, "1000:00"},
		{-time.Hour, "-1:00"},
		{time.Duration(-1 << 63), "-2562047:47"},
	}
	for _, tt := range tests {
		if got := params.FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestDurationRoundTripEveryValue formats every minute from 0:00 to 168:00
// and parses it back.
func TestDurationRoundTripEveryValue(t *testing.T) {
	for d := time.Duration(0); d <= params.MaxLoginTime; d += time.Minute {
		s := params.FormatDuration(d)
		got, err := params.ParseDuration(s)
		if err != nil || got != d {
			t.Fatalf("ParseDuration(FormatDuration(%v) = %q) = %v, %v", d, s, got, err)
		}
	}
}

// FuzzParseDuration checks that whatever parses, formats to a canonical
// form that parses to the same duration and formats to itself.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"8:00", "08:00", ":30", "168:00", "0:00", "1:5", "1:60",
		"-1:00", "abc", "999:59", "0001:00", "1:00:00", "１:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := params.ParseDuration(s)
		if err != nil {
			if !errors.Is(err, params.ErrInvalid) {
				t.Fatalf("ParseDuration(%q): error %v does not match ErrInvalid", s, err)
			}
			return
		}
		if d < 0 || d%time.Minute != 0 || d > 999*time.Hour+59*time.Minute {
			t.Fatalf("ParseDuration(%q) = %v, outside 0:00..999:59 or not whole minutes", s, d)
		}
		f1 := params.FormatDuration(d)
		d2, err := params.ParseDuration(f1)
		if err != nil || d2 != d {
			t.Fatalf("ParseDuration(%q) = %v; its form %q parses to %v, %v", s, d, f1, d2, err)
		}
		if f2 := params.FormatDuration(d2); f2 != f1 {
			t.Fatalf("canonical form not stable: %q then %q", f1, f2)
		}
	})
}

package params

import (
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a time written HHH:MM, the form of the Extension
// Mobility login-time parameters.
//
// The hours are zero to three digits (none means 0, so ":30" is half an
// hour, and leading zeros are allowed: "08:00"); the minutes are exactly two
// digits from 00 to 59. "1:5" is refused rather than guessed, since it could
// mean 1:05 or 1:50; so are signs, spaces, units and anything but ASCII
// digits. The largest value is 999:59; each parameter sets its own, lower,
// bound (see [Definition.MaxDuration]).
//
// The error is a [*ValidationError], which matches [ErrInvalid].
func ParseDuration(s string) (time.Duration, error) {
	d, reason := parseHHMM(s)
	if reason != "" {
		return 0, &ValidationError{Key: "HHH:MM", DisplayName: "Duration", Value: s,
			Allowed: "HHH:MM from 0:00 to 999:59", Reason: reason}
	}
	return d, nil
}

// FormatDuration writes d as H:MM, the canonical form: hours without leading
// zeros, two-digit minutes ("0:30", "8:00", "168:00"). Seconds are dropped.
// For every d that [ParseDuration] returned, ParseDuration(FormatDuration(d))
// returns d again. A negative d, which no parameter holds, gets a leading
// minus sign so that it is not mistaken for a valid value.
func FormatDuration(d time.Duration) string {
	// Dividing first keeps the negation clear of overflow.
	m := int64(d / time.Minute)
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	mm := m % 60
	b := make([]byte, 0, 8)
	b = append(b, sign...)
	b = strconv.AppendInt(b, m/60, 10)
	b = append(b, ':', byte('0'+mm/10), byte('0'+mm%10))
	return string(b)
}

// parseHHMM returns the duration, or why s is not HHH:MM as a clause for
// [ValidationError.Reason]. It looks at characters, not bytes, so that
// digits of other scripts are refused as such rather than as too many.
func parseHHMM(s string) (time.Duration, string) {
	hh, mm, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return 0, "it is not in the form HHH:MM"
	case strings.HasPrefix(hh, "-"):
		return 0, "a time cannot be negative"
	case !asciiDigits(hh):
		return 0, "the hours must be ASCII digits 0-9"
	case !asciiDigits(mm):
		return 0, "the minutes must be ASCII digits 0-9"
	case len(hh) > 3:
		return 0, "the hours have more than three digits"
	case len(mm) != 2:
		return 0, "the minutes must be exactly two digits"
	}
	h, _ := digits(hh)
	m, _ := digits(mm)
	if m > 59 {
		return 0, "the minutes are above 59"
	}
	return time.Duration(h*60+m) * time.Minute, ""
}

// asciiDigits reports whether s holds nothing but ASCII digits; "" does.
func asciiDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digits parses s, which is short, as ASCII decimal digits; "" is 0.
func digits(s string) (int, bool) {
	if !asciiDigits(s) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

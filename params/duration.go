package params

import (
	"fmt"
	"strconv"
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
// Errors match [ErrInvalid].
func ParseDuration(s string) (time.Duration, error) {
	d, reason := parseHHMM(s)
	if reason != "" {
		return 0, fmt.Errorf("params: duration %q: %s: %w", s, reason, ErrInvalid)
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

// parseHHMM returns the duration, or why s is not HHH:MM.
func parseHHMM(s string) (time.Duration, string) {
	colon := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return 0, "not HHH:MM"
	}
	hh, mm := s[:colon], s[colon+1:]
	if len(hh) > 3 {
		return 0, "more than three hour digits"
	}
	if len(mm) != 2 {
		return 0, "minutes must be two digits"
	}
	h, ok := digits(hh)
	if !ok {
		return 0, "hours must be digits"
	}
	m, ok := digits(mm)
	if !ok {
		return 0, "minutes must be digits"
	}
	if m > 59 {
		return 0, "minutes above 59"
	}
	return time.Duration(h*60+m) * time.Minute, ""
}

// digits parses s, which is short, as ASCII decimal digits; "" is 0.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

package params

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ValidationError reports a refused value. It matches [ErrInvalid].
type ValidationError struct {
	// Key is the parameter's key; for a user profile, a server or a login
	// time choice, the name of the refused field.
	Key string
	// DisplayName is the parameter's or the field's name as people read it.
	DisplayName string
	// Value is the refused input.
	Value string
	// Allowed describes the allowed values, e.g. "an integer from 1 to 168
	// (hours)".
	Allowed string
	// Reason says what is wrong when Allowed alone would not, e.g.
	// "minutes above 59"; it may be empty.
	Reason string
}

// Error names the parameter, the refused value and the allowed values.
func (e *ValidationError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "not allowed"
	}
	return fmt.Sprintf("params: %s (%s): %s: %s; allowed: %s",
		e.DisplayName, e.Key, quoteShort(e.Value), reason, e.Allowed)
}

// Unwrap lets errors.Is match [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// quoteShort quotes s for a message, cutting it so that a huge input does
// not flood a log line.
func quoteShort(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:max])) + "..."
}

// value is a validated value: its canonical text and its typed form.
type value struct {
	text string
	b    bool          // KindBool
	n    int           // KindInt; the option's index for KindEnum
	d    time.Duration // KindDuration
}

// Validate checks raw as a value of the parameter key and returns its
// canonical form, which is what a store should keep. Bools and enum values
// are matched without regard to case, and an enum accepts an option's label
// as well as its value ("Hide All Settings" gives "hide-all"); integers lose
// leading zeros; durations are written H:MM. Server names are checked
// against c and take its spelling; other kinds ignore c.
//
// An unknown key yields an error matching [ErrUnknown]; a refused value a
// [*ValidationError].
func Validate(key, raw string, c Cluster) (string, error) {
	d := lookup(key)
	if d == nil {
		return "", unknownKey(key)
	}
	v, err := d.validate(raw, c)
	if err != nil {
		return "", err
	}
	return v.text, nil
}

func unknownKey(key string) error {
	return fmt.Errorf("params: %s: %w", quoteShort(key), ErrUnknown)
}

// validate parses raw; the error, when not nil, is a *ValidationError.
func (d *Definition) validate(raw string, c Cluster) (value, error) {
	refuse := func(reason string) (value, error) {
		return value{}, &ValidationError{
			Key: d.Key, DisplayName: d.DisplayName, Value: raw,
			Allowed: d.allowed(c), Reason: reason,
		}
	}

	switch d.Kind {
	case KindBool:
		switch {
		case strings.EqualFold(raw, "true"):
			return value{text: "true", b: true}, nil
		case strings.EqualFold(raw, "false"):
			return value{text: "false"}, nil
		}
		return refuse("")

	case KindEnum:
		for i, o := range d.Options {
			if strings.EqualFold(raw, o.Value) || strings.EqualFold(raw, o.Label) {
				return value{text: o.Value, n: i}, nil
			}
		}
		return refuse("")

	case KindInt:
		// Nine digits cannot overflow an int, and no bound needs more.
		n, ok := digits(raw)
		if !ok || raw == "" || len(raw) > 9 {
			return refuse("not a whole number")
		}
		if n < d.Min || n > d.Max {
			return refuse("out of range")
		}
		return value{text: strconv.Itoa(n), n: n}, nil

	case KindDuration:
		dur, reason := parseHHMM(raw)
		if reason != "" {
			return refuse(reason)
		}
		if dur > d.MaxDuration {
			return refuse("above " + FormatDuration(d.MaxDuration))
		}
		return value{text: FormatDuration(dur), d: dur}, nil

	case KindServer:
		if strings.EqualFold(raw, ServerNone) {
			return value{text: ServerNone}, nil
		}
		if s, ok := c.Server(raw); ok {
			return value{text: s.Name}, nil
		}
		return refuse("no such server in the cluster")

	case KindString:
		if reason := checkText(raw, d.MaxLen); reason != "" {
			return refuse(reason)
		}
		return value{text: raw}, nil
	}
	return refuse("the parameter has no valid kind")
}

// checkText says why s is not acceptable text of at most max characters.
func checkText(s string, max int) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("longer than %d characters", max)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		// Values end up in pages, logs and exported files; a line break
		// or an escape sequence is never meant.
		return "contains a control character"
	}
	return ""
}

// Allowed describes the values that d accepts, as a [*ValidationError]
// does, with the servers of c for a [KindServer] parameter.
func (d Definition) Allowed(c Cluster) string { return d.allowed(c) }

// allowed describes the allowed values of d for an error message.
func (d *Definition) allowed(c Cluster) string {
	var b strings.Builder
	switch d.Kind {
	case KindBool:
		b.WriteString("true or false")
	case KindEnum:
		for i, o := range d.Options {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", o.Value, o.Label)
		}
	case KindInt:
		fmt.Fprintf(&b, "a whole number from %d to %d", d.Min, d.Max)
		if d.Unit != "" {
			fmt.Fprintf(&b, " %s", d.Unit)
		}
	case KindDuration:
		fmt.Fprintf(&b, "HHH:MM from 0:00 to %s", FormatDuration(d.MaxDuration))
	case KindServer:
		b.WriteString(ServerNone)
		for _, s := range c.servers {
			fmt.Fprintf(&b, ", %s", s.Name)
		}
	case KindString:
		fmt.Fprintf(&b, "text of at most %d characters, no control characters",
			d.MaxLen)
	default:
		b.WriteString("nothing")
	}
	if d.Zero != "" {
		zero := "0"
		if d.Kind == KindDuration {
			zero = "0:00"
		}
		fmt.Fprintf(&b, " (%s: %s)", zero, d.Zero)
	}
	return b.String()
}

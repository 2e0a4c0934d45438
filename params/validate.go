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
	// Allowed describes the allowed values, e.g. "a whole number from 1
	// to 168 hours".
	Allowed string
	// Reason says what is wrong when Allowed alone would not, as a clause
	// that can follow a colon: "the minutes are above 59". It may be
	// empty.
	Reason string
}

// Error is [ValidationError.Message] with the package prefix.
func (e *ValidationError) Error() string { return "params: " + e.Message() }

// Message is the refusal as sentences for people: the parameter or field
// by its display name and key, the refused value quoted and cut (see
// [QuoteValue]), why, and what is allowed. For example:
//
//	Intra-cluster Maximum Login Time (EMIntraClusterMaxLoginTime) cannot be
//	"1:60": the minutes are above 59. Allowed: HHH:MM from 0:00 to 168:00
//	(0:00: no limit).
func (e *ValidationError) Message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s cannot be %s", label(e.DisplayName, e.Key), QuoteValue(e.Value))
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	b.WriteString(".")
	if e.Allowed != "" {
		b.WriteString(" Allowed: " + sentence(e.Allowed))
	}
	return b.String()
}

// Unwrap lets errors.Is match [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }

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

func unknownKey(key string) error { return &UnknownError{Key: key} }

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
		n, reason := parseInt(raw)
		switch {
		case reason != "":
			return refuse(reason)
		case n < d.Min:
			return refuse(fmt.Sprintf("it is below %d", d.Min))
		case n > d.Max:
			return refuse(fmt.Sprintf("it is above %d", d.Max))
		}
		return value{text: strconv.Itoa(n), n: n}, nil

	case KindDuration:
		dur, reason := parseHHMM(raw)
		if reason != "" {
			return refuse(reason)
		}
		if dur > d.MaxDuration {
			return refuse("it is above " + FormatDuration(d.MaxDuration))
		}
		return value{text: FormatDuration(dur), d: dur}, nil

	case KindServer:
		if strings.EqualFold(raw, ServerNone) {
			return value{text: ServerNone}, nil
		}
		if s, ok := c.Server(raw); ok {
			return value{text: s.Name}, nil
		}
		return refuse("no server of the cluster has that name")

	case KindString:
		if reason := checkText(raw, d.MaxLen); reason != "" {
			return refuse(reason)
		}
		return value{text: raw}, nil
	}
	return refuse("the parameter has no valid kind")
}

// parseInt reads a whole number of ASCII digits, or says why s is not one.
// Nine digits cannot overflow an int, and no bound needs more; more
// digits are refused as too large, whatever their value.
func parseInt(s string) (int, string) {
	switch {
	case s == "":
		return 0, "it is empty"
	case s[0] == '-':
		return 0, "it is negative"
	}
	n, ok := digits(s)
	switch {
	case !ok:
		return 0, "it is not a whole number of ASCII digits 0-9"
	case len(s) > 9:
		return 0, "it has more than nine digits"
	}
	return n, ""
}

// checkText says why s is not acceptable text of at most max characters,
// as a clause for [ValidationError.Reason].
func checkText(s string, max int) string {
	if !utf8.ValidString(s) {
		return "it is not valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("it has %d characters, more than %d", n, max)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		// Values end up in pages, logs and exported files; a line break
		// or an escape sequence is never meant.
		return "it contains a control character"
	}
	if strings.ContainsFunc(s, invisible) {
		// Bidirectional overrides and zero-width characters make a name
		// read as another one, in a list or in the audit trail.
		return "it contains an invisible formatting character (such as a " +
			"bidirectional or zero-width mark)"
	}
	return ""
}

// invisible reports the format characters (Unicode category Cf: the
// bidirectional controls, zero-width spaces and joiners, the byte order
// mark, ...) and the line and paragraph separators, which render as
// nothing or as a break.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
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
		fmt.Fprintf(&b, "text of at most %d characters, without control or "+
			"invisible formatting characters", d.MaxLen)
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

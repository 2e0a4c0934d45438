package params

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxQuotedLen is how many characters of a refused value a message
// repeats; [QuoteValue] cuts the rest.
const MaxQuotedLen = 64

// QuoteValue quotes s for a message: Go-quoted, so that control,
// formatting and invalid bytes show as escapes rather than acting on a
// terminal or a page, and cut after [MaxQuotedLen] characters, with the
// full length said, so that a huge input cannot flood a log line or an
// answer.
func QuoteValue(s string) string {
	n := 0
	for i := range s {
		if n == MaxQuotedLen {
			return strconv.Quote(s[:i]) + fmt.Sprintf("… (%d characters)",
				utf8.RuneCountInString(s))
		}
		n++
	}
	return strconv.Quote(s)
}

// label names a parameter or field for a message: `Display Name (Key)`,
// or the one name when both are the same word.
func label(displayName, key string) string {
	switch {
	case key == "":
		return displayName
	case displayName == "" || strings.EqualFold(displayName, key):
		return key
	}
	return displayName + " (" + key + ")"
}

// sentence ends s with a full stop unless it already ends with one.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// UnknownError reports a parameter key that the table does not list, as
// a key or a display name. It matches [ErrUnknown].
type UnknownError struct {
	// Key is what was asked for.
	Key string
}

// Error names the key.
func (e *UnknownError) Error() string { return "params: " + e.Message() }

// Message is the refusal as a sentence for people.
func (e *UnknownError) Message() string {
	return fmt.Sprintf("No parameter has the key or display name %s.", QuoteValue(e.Key))
}

// Unwrap lets errors.Is match [ErrUnknown].
func (e *UnknownError) Unwrap() error { return ErrUnknown }

// Kinds of things that a [NotFoundError] or an [InUseError] names.
const (
	ThingServer  = "server"
	ThingProfile = "user profile"
)

// NotFoundError reports a server or user profile that does not exist. It
// matches [ErrNotFound].
type NotFoundError struct {
	// Thing is [ThingServer] or [ThingProfile].
	Thing string
	// Name is the name asked for.
	Name string
}

// Error names what is missing.
func (e *NotFoundError) Error() string { return "params: " + e.Message() }

// Message is the refusal as a sentence for people.
func (e *NotFoundError) Message() string {
	return fmt.Sprintf("There is no %s %s.", e.Thing, QuoteValue(e.Name))
}

// Unwrap lets errors.Is match [ErrNotFound].
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// InUseError reports a server or user profile that cannot be removed
// because something still needs it. It matches [ErrInUse].
type InUseError struct {
	// Thing is [ThingServer] or [ThingProfile]; Name names it.
	Thing, Name string
	// Reason says what needs it, as a clause: "the parameter ... names
	// it".
	Reason string
	// Remedy says what to do first, as a sentence.
	Remedy string
	// ParamKey and ParamDisplayName name the parameter that needs it, if
	// a parameter does, for callers that point at the parameter.
	ParamKey, ParamDisplayName string
}

// Error names what cannot be removed and why.
func (e *InUseError) Error() string { return "params: " + e.Message() }

// Message is the refusal as sentences for people.
func (e *InUseError) Message() string {
	msg := fmt.Sprintf("The %s %s cannot be removed: %s.", e.Thing, QuoteValue(e.Name),
		e.Reason)
	if e.Remedy != "" {
		msg += " " + sentence(e.Remedy)
	}
	return msg
}

// Unwrap lets errors.Is match [ErrInUse].
func (e *InUseError) Unwrap() error { return ErrInUse }

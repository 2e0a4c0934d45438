package selfcare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ucselfcare/portal/params"
)

// This file refuses Call Forward All saves that would forward a line to
// itself, close a loop among the directory's lines, or make a chain longer
// than Forward Maximum Hop Count. The switch breaks loops at call time as
// well; refusing them at save time tells the user why, instead of leaving
// a forward that shows as active while calls fail.

// ForwardGraph reads the Call Forward All targets of the directory's
// lines. The service snapshots them (see [ForwardTable]) so that a check
// sees one consistent state and cannot fail half-way.
type ForwardGraph interface {
	// ForwardAllOf returns the number or URI that the line with extension
	// ext forwards all calls to, as stored, and true. It returns false
	// when ext is not a line of the directory, or when the line does not
	// forward all calls to a number (a forward to voicemail ends a chain).
	ForwardAllOf(ext string) (target string, ok bool)
}

// LineResolver is implemented by a [ForwardGraph] that knows the other
// forms of a line's number, such as its +E.164 alternate number, the same
// number dialled with the access code, or the line's directory URI.
// Without it, destinations are compared as typed.
type LineResolver interface {
	// LineOf returns the extension of the line that dest rings, and true,
	// when dest is one of the other forms of that line's number.
	LineOf(dest string) (ext string, ok bool)
}

// ForwardTable is a snapshot of the directory's Call Forward All targets:
// a [ForwardGraph] and [LineResolver] built from two maps. Its zero value
// is an empty directory.
type ForwardTable struct {
	// Forwards maps a line's extension to its Call Forward All target.
	// Lines that forward to voicemail, or not at all, are left out.
	Forwards map[string]string
	// Aliases maps another form of a line's number to its extension; see
	// [DestinationSite.DialForms].
	Aliases map[string]string
}

var (
	_ ForwardGraph = ForwardTable{}
	_ LineResolver = ForwardTable{}
)

// ForwardAllOf returns the Forwards entry of ext.
func (t ForwardTable) ForwardAllOf(ext string) (string, bool) {
	target, ok := t.Forwards[ext]
	return target, ok && target != ""
}

// LineOf returns the Aliases entry of dest.
func (t ForwardTable) LineOf(dest string) (string, bool) {
	ext, ok := t.Aliases[dest]
	return ext, ok
}

// DialForms returns the forms in which a user at this site can type the
// line whose +E.164 number is e164, so that a [ForwardTable] can map each
// of them to the line: e164 itself and the number as
// [DestinationSite.Normalize] dials it (+14085554021 and 914085554021 at
// a North American site). A local form without the area code cannot be
// derived from the site settings and is not included. It returns nil when
// e164 does not start with +.
func (s DestinationSite) DialForms(e164 string) []string {
	if !strings.HasPrefix(e164, "+") {
		return nil
	}
	forms := []string{e164}
	if dialled := s.Normalize(e164); dialled != e164 {
		forms = append(forms, dialled)
	}
	return forms
}

// CheckForwardChain reports whether line, the extension of a directory
// line, may forward all calls to target, a destination that
// [ParseDestination] accepted; voicemail is not a target, since it ends a
// chain. It follows the Call Forward All targets of forwards from target
// on, ignoring line's own current forward, which the save replaces.
//
// What is compared is the line each hop rings: a destination rings a line
// when it equals the line's extension, or when forwards implements
// [LineResolver] and maps it to the line. Without a resolver a forward to
// +14085554021 is taken for an outside number even when that is line
// 4021's own number; the switch still breaks such a loop at call time.
//
// It returns a [*DestinationError] with code self when target is line
// itself; loop when the chain comes back to line, or runs into a loop of
// other lines, with the lines in Path; and hops when the chain would have
// more than maxHops forwards, with the maximum in Max. maxHops below 1
// means the default of the Forward Maximum Hop Count service parameter.
// A nil forwards is an empty directory.
func CheckForwardChain(line, target string, forwards ForwardGraph, maxHops int) error {
	if maxHops < 1 {
		maxHops = params.Defaults().ForwardMaxHops()
	}
	if target == "" {
		return &DestinationError{Code: DestErrEmpty,
			Message: "Enter a number or directory URI to forward to."}
	}
	resolve := func(dest string) string { return dest }
	if r, ok := forwards.(LineResolver); ok {
		resolve = func(dest string) string {
			if ext, ok := r.LineOf(dest); ok {
				return ext
			}
			return dest
		}
	}

	// The chain as the switch would follow it, one forward per hop.
	start := resolve(line)
	path := []string{start, resolve(target)}
	if path[1] == start {
		return &DestinationError{Code: DestErrSelf, Path: path,
			Message: "A line cannot forward its calls to itself (" +
				displayLine(start) + ")."}
	}
	seen := map[string]bool{start: true, path[1]: true}
	for {
		if hops := len(path) - 1; hops > maxHops {
			return &DestinationError{Code: DestErrHops, Path: path, Max: maxHops,
				Message: fmt.Sprintf("Calls would be forwarded more than %d "+
					"times: %s. The maximum is %d.", maxHops, displayPath(path),
					maxHops)}
		}
		if forwards == nil {
			return nil
		}
		next, ok := forwards.ForwardAllOf(path[len(path)-1])
		if !ok {
			return nil
		}
		next = resolve(next)
		path = append(path, next)
		if seen[next] {
			what := "make a loop"
			if next != start {
				what = "lead into a loop"
			}
			return &DestinationError{Code: DestErrLoop, Path: path,
				Message: "This forward would " + what + ": " + displayPath(path) +
					". Calls would never ring a phone."}
		}
		seen[next] = true
	}
}

// displayPath joins a chain for a message.
func displayPath(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = displayLine(p)
	}
	return strings.Join(parts, " → ")
}

// displayLine shows a line or target in a message. Targets come from the
// store, which may hold data older than the grammar, so anything but the
// grammar's characters is quoted and a long value cut short.
func displayLine(s string) string {
	const max = 64
	plain := len(s) <= max
	for i := 0; plain && i < len(s); i++ {
		c := s[i]
		plain = isDigit(c) || isLetter(c) || strings.IndexByte("+*#,@._-", c) >= 0
	}
	if plain && s != "" {
		return s
	}
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.QuoteToASCII(s)
}

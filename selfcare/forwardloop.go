package selfcare

import (
	"fmt"
	"slices"
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

// ForwardSources is implemented by a [ForwardGraph] that can list the
// lines that forward all calls, so that [CheckForwardChain] also counts the
// forwards of chains that end at the line being saved. Without it only
// the chain from the new target on is counted.
type ForwardSources interface {
	// ForwardingLines returns the extension of every line that forwards
	// all calls to a number or URI, each once.
	ForwardingLines() []string
}

var (
	_ ForwardGraph   = ForwardTable{}
	_ LineResolver   = ForwardTable{}
	_ ForwardSources = ForwardTable{}
)

// ForwardingLines returns the extensions of Forwards with a target, in
// order.
func (t ForwardTable) ForwardingLines() []string {
	exts := make([]string, 0, len(t.Forwards))
	for ext, target := range t.Forwards {
		if target != "" {
			exts = append(exts, ext)
		}
	}
	slices.Sort(exts)
	return exts
}

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
// on, ignoring line's own current forward, which the save replaces; when
// forwards implements [ForwardSources] it also counts the longest chain of
// other lines' forwards that ends at line, since a call entering that
// chain crosses the new forward too.
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
// more than maxHops forwards, with the maximum in Max and the longest
// such chain in Path (which starts upstream of line when other lines
// forward to it). maxHops below 1
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
	hops := func(path []string) error {
		return &DestinationError{Code: DestErrHops, Path: path, Max: maxHops,
			Message: fmt.Sprintf("Calls would be forwarded more than %d "+
				"times: %s. The maximum is %d.", maxHops, displayPath(path),
				maxHops)}
	}
	upstream := forwardsInto(line, start, forwards, resolve, maxHops)
	seen := map[string]bool{start: true, path[1]: true}
	for {
		// The walk stops at maxHops forwards after line, whatever comes
		// before it, so that a loop is reported as one.
		if len(path)-1 > maxHops {
			return hops(path)
		}
		var next string
		ok := forwards != nil
		if ok {
			next, ok = forwards.ForwardAllOf(path[len(path)-1])
		}
		if !ok {
			if len(upstream)+len(path)-1 > maxHops {
				return hops(append(upstream, path...))
			}
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

// forwardsInto returns the longest chain of other lines' forwards that
// ends at start (line as resolved), farthest line first and start left
// out, or nil when forwards cannot list its lines. Lines further than
// maxHops+1 forwards away are not looked at: the chain is too long then
// whatever the new target.
func forwardsInto(line, start string, forwards ForwardGraph,
	resolve func(string) string, maxHops int) []string {
	src, ok := forwards.(ForwardSources)
	if !ok {
		return nil
	}

	// Each line forwards to one target, so the lines that reach start
	// form a tree under it, and a breadth-first walk finds the deepest.
	into := map[string][]string{}
	for _, ext := range src.ForwardingLines() {
		from := resolve(ext)
		if ext == line || from == start {
			continue // line's own forward, which the save replaces
		}
		if target, ok := forwards.ForwardAllOf(ext); ok {
			to := resolve(target)
			into[to] = append(into[to], from)
		}
	}
	next := map[string]string{} // a line of the tree to the one it forwards to
	level, deepest := []string{start}, start
	for depth := 0; len(level) > 0 && depth <= maxHops; depth++ {
		var below []string
		for _, to := range level {
			for _, from := range into[to] {
				if _, done := next[from]; done || from == start {
					continue
				}
				next[from] = to
				below = append(below, from)
			}
		}
		if len(below) > 0 {
			deepest = below[0]
		}
		level = below
	}
	var chain []string
	for at := deepest; at != start; at = next[at] {
		chain = append(chain, at)
	}
	return chain
}

// lineGraph is a [ForwardTable] whose LineOf also knows every spelling of
// a line that the site's destination policy dials as that line (see
// [DestinationSite.lineKey]): +14155550123 and 914155550123,
// 2001@example.co.uk and 2001. The lines it knows are those that forward
// and the line being saved, which are all that a chain check needs: a
// line that forwards nowhere ends a chain in any spelling.
type lineGraph struct {
	ForwardTable
	site  DestinationSite
	lines map[string]string // lineKey to the extension
}

// lineGraph returns t resolving every spelling of saved and of the lines
// that forward.
func (s DestinationSite) lineGraph(t ForwardTable, saved string) lineGraph {
	g := lineGraph{ForwardTable: t, site: s, lines: map[string]string{}}
	add := func(ext string) {
		if k := s.lineKey(ext); g.lines[k] == "" {
			g.lines[k] = ext
		}
	}
	add(saved)
	for _, ext := range t.ForwardingLines() {
		add(ext)
	}
	return g
}

// LineOf returns the line that dest rings: an alias of the table, or a
// line with dest's key.
func (g lineGraph) LineOf(dest string) (string, bool) {
	if ext, ok := g.ForwardTable.LineOf(dest); ok {
		return ext, true
	}
	ext, ok := g.lines[g.site.lineKey(dest)]
	return ext, ok
}

// lineKey returns the one form in which the site compares a line's
// extension and a forward target or additional phone: a number as
// [DestinationSite.Normalize] dials it, and a directory URI of one of the
// site's URIDomains whose user part is a number (separators set aside, see
// uriNumberUser) as that number, since the policy treats 2001@example.co.uk
// as 2001. Other URIs compare with their host in lower case.
func (s DestinationSite) lineKey(dest string) string {
	user, host, uri := strings.Cut(dest, "@")
	if !uri {
		return s.Normalize(dest)
	}
	if number, ok := uriNumberUser(user); ok && s.ownHost(host) {
		return s.Normalize(number)
	}
	return user + "@" + strings.ToLower(host)
}

// ownHost reports whether host is one of URIDomains or below one.
func (s DestinationSite) ownHost(host string) bool {
	return slices.ContainsFunc(s.URIDomains, func(d string) bool {
		return strings.EqualFold(host, d) || len(host) > len(d)+1 &&
			strings.EqualFold(host[len(host)-len(d)-1:], "."+d)
	})
}

// lineSpellings returns number, a number without separators, and the
// other forms in which a line could have been given that same number: the
// form dialled from the site and the +E.164 form it comes from. Each has
// number's lineKey.
func (s DestinationSite) lineSpellings(number string) []string {
	key := s.lineKey(number)
	forms := []string{number}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) && s.lineKey(f) == key {
			forms = append(forms, f)
		}
	}
	add(key)
	if rest, ok := strings.CutPrefix(key, s.AccessCode+s.InternationalPrefix); ok &&
		rest != "" {
		add("+" + rest)
	}
	if rest, ok := strings.CutPrefix(key, s.AccessCode+s.NationalPrefix); ok &&
		rest != "" && s.CountryCode != "" {
		add("+" + s.CountryCode + rest)
	}
	return forms
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

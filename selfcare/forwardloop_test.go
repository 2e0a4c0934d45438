package selfcare_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// forwardsOnly is a ForwardGraph without a LineResolver, to show what is
// compared when the directory knows no other forms of its numbers.
type forwardsOnly map[string]string

var _ selfcare.ForwardGraph = forwardsOnly(nil)

func (f forwardsOnly) ForwardAllOf(ext string) (string, bool) {
	t, ok := f[ext]
	return t, ok
}

// chain builds a ForwardTable in which each extension forwards to the next.
func chain(exts ...string) selfcare.ForwardTable {
	t := selfcare.ForwardTable{Forwards: map[string]string{}}
	for i := 0; i+1 < len(exts); i++ {
		t.Forwards[exts[i]] = exts[i+1]
	}
	return t
}

// lines returns n extensions from 2001 on.
func lines(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint(2001+i))
	}
	return out
}

func TestCheckForwardChain(t *testing.T) {
	aliases := selfcare.ForwardTable{
		Forwards: map[string]string{"2002": "+14085552001"},
		Aliases: map[string]string{"+14085552001": "2001", "914085552001": "2001",
			"jo@example.com": "2001"},
	}
	tests := []struct {
		name    string
		line    string
		target  string
		graph   selfcare.ForwardGraph
		maxHops int
		code    string // "" means allowed
		path    []string
		max     int
		message string
	}{
		// Allowed.
		{name: "an outside number is allowed", line: "2001", target: "914155550123",
			graph: chain()},
		{name: "a line that does not forward is allowed", line: "2001",
			target: "2002", graph: chain()},
		{name: "a chain that ends is allowed", line: "2001", target: "2002",
			graph: chain("2002", "2003", "914155550123")},
		{name: "a nil graph is an empty directory", line: "2001", target: "2002"},
		{name: "the line's own old forward does not count", line: "2001",
			target: "2002", graph: chain("2001", "2002")},
		{name: "an empty stored target ends the chain", line: "2001", target: "2002",
			graph: selfcare.ForwardTable{Forwards: map[string]string{"2002": ""}}},
		{name: "its own e164 number is outside without a resolver", line: "2001",
			target: "+14085552001", graph: forwardsOnly{}},

		// Self.
		{name: "forwarding to itself is refused", line: "2001", target: "2001",
			graph: chain(), code: "self", path: []string{"2001", "2001"},
			message: "A line cannot forward its calls to itself (2001)."},
		{name: "its own e164 number is itself", line: "2001", target: "+14085552001",
			graph: aliases, code: "self", path: []string{"2001", "2001"}},
		{name: "its own number with the access code is itself", line: "2001",
			target: "914085552001", graph: aliases, code: "self"},
		{name: "its own directory uri is itself", line: "2001",
			target: "jo@example.com", graph: aliases, code: "self"},

		// Loops.
		{name: "a two-line loop is refused", line: "2001", target: "2002",
			graph: chain("2002", "2001"), code: "loop",
			path: []string{"2001", "2002", "2001"},
			message: "This forward would make a loop: 2001 → 2002 → 2001. " +
				"Calls would never ring a phone."},
		{name: "a three-line loop is refused", line: "2001", target: "2002",
			graph: chain("2002", "2003", "2001"), code: "loop",
			path: []string{"2001", "2002", "2003", "2001"}},
		{name: "a loop through another form of the number is refused", line: "2001",
			target: "2002", graph: aliases, code: "loop",
			path: []string{"2001", "2002", "2001"}},
		{name: "a chain into a loop of other lines is refused", line: "2001",
			target: "2002", graph: chain("2002", "2003", "2004", "2003"), code: "loop",
			path: []string{"2001", "2002", "2003", "2004", "2003"},
			message: "This forward would lead into a loop: " +
				"2001 → 2002 → 2003 → 2004 → 2003. Calls would never ring a phone."},
		{name: "a line forwarding to itself further on is a loop", line: "2001",
			target: "2002", graph: chain("2002", "2002"), code: "loop"},

		// Hops.
		{name: "a chain of exactly the maximum is allowed", line: "2001",
			target: "2002", graph: chain(lines(4)...), maxHops: 3},
		{name: "a chain one over the maximum is refused", line: "2001",
			target: "2002", graph: chain(lines(5)...), maxHops: 3, code: "hops",
			max: 3, path: lines(5),
			message: "Calls would be forwarded more than 3 times: " +
				"2001 → 2002 → 2003 → 2004 → 2005. The maximum is 3."},
		{name: "one hop is the least maximum", line: "2001", target: "2002",
			graph: chain("2002", "2003"), maxHops: 1, code: "hops", max: 1},
		{name: "the default maximum allows 12 forwards", line: "2001", target: "2002",
			graph: chain(lines(13)...)},
		{name: "the default maximum refuses 13 forwards", line: "2001",
			target: "2002", graph: chain(lines(14)...), code: "hops", max: 12},
		{name: "a long loop is refused for its length first", line: "2001",
			target: "2002", graph: chain(append(lines(20), "2001")...), maxHops: 15,
			code: "hops", max: 15},

		// Stored data older than the grammar is shown quoted.
		{name: "a stored target with a line break is quoted", line: "2001",
			target: "2002", graph: chain("2002", "20\n03", "2001"), code: "loop",
			message: `This forward would make a loop: 2001 → 2002 → "20\n03" → 2001. ` +
				"Calls would never ring a phone."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := selfcare.CheckForwardChain(tt.line, tt.target, tt.graph, tt.maxHops)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CheckForwardChain = %v", err)
				}
				return
			}
			de := destError(t, err)
			if de.Code != tt.code {
				t.Fatalf("code = %s (%s), want %s", de.Code, de.Message, tt.code)
			}
			if tt.path != nil {
				if diff := cmp.Diff(tt.path, de.Path); diff != "" {
					t.Errorf("Path (-want +got):\n%s", diff)
				}
			}
			if tt.max != 0 && de.Max != tt.max {
				t.Errorf("Max = %d, want %d", de.Max, tt.max)
			}
			if tt.message != "" && de.Message != tt.message {
				t.Errorf("message\n %q\nwant\n %q", de.Message, tt.message)
			}
		})
	}
}

func TestCheckForwardChainDefaultIsTheParameter(t *testing.T) {
	max := params.Defaults().ForwardMaxHops()
	g := chain(lines(max + 2)...)
	de := destError(t, selfcare.CheckForwardChain("2001", "2002", g, 0))
	if de.Code != "hops" || de.Max != max {
		t.Errorf("code %s, Max %d; want hops, %d", de.Code, de.Max, max)
	}
}

func TestCheckForwardChainRefusesAnEmptyTarget(t *testing.T) {
	de := destError(t, selfcare.CheckForwardChain("2001", "", nil, 0))
	if de.Code != "empty" {
		t.Errorf("code = %s", de.Code)
	}
}

// TestCheckForwardChainStopsOnAHugeDirectory: a chain longer than the
// maximum is refused after maxHops lookups, not after walking it all.
func TestCheckForwardChainStopsOnAHugeDirectory(t *testing.T) {
	g := &countingGraph{}
	de := destError(t, selfcare.CheckForwardChain("1", "2", g, 15))
	if de.Code != "hops" || g.calls > 16 {
		t.Errorf("code %s after %d lookups", de.Code, g.calls)
	}
}

// countingGraph forwards every number n to n+1, for ever.
type countingGraph struct{ calls int }

func (g *countingGraph) ForwardAllOf(ext string) (string, bool) {
	g.calls++
	var n int
	fmt.Sscan(ext, &n)
	return fmt.Sprint(n + 1), true
}

func TestDestinationSiteDialForms(t *testing.T) {
	nanp := selfcare.DefaultDestinationPolicy().Site
	if diff := cmp.Diff([]string{"+14085552001", "914085552001"},
		nanp.DialForms("+14085552001")); diff != "" {
		t.Errorf("DialForms (-want +got):\n%s", diff)
	}
	if got := nanp.DialForms("2001"); got != nil {
		t.Errorf("DialForms(2001) = %v", got)
	}

	// Every form reaches the line in a table built from them.
	table := selfcare.ForwardTable{Aliases: map[string]string{}}
	for _, f := range nanp.DialForms("+14085552001") {
		table.Aliases[f] = "2001"
	}
	for _, f := range []string{"+14085552001", "914085552001"} {
		if err := selfcare.CheckForwardChain("2001", f, table, 0); err == nil ||
			!strings.Contains(err.Error(), "itself") {
			t.Errorf("%s: %v, want a refusal to forward to itself", f, err)
		}
	}
}

func BenchmarkCheckForwardChain(b *testing.B) {
	g := chain(lines(13)...)
	for b.Loop() {
		_ = selfcare.CheckForwardChain("2001", "2002", g, 12)
	}
}

// ExampleCheckForwardChain refuses a Call Forward All that would close a
// loop between two lines.
func ExampleCheckForwardChain() {
	directory := selfcare.ForwardTable{Forwards: map[string]string{
		"2002": "2001", // 2002 already forwards all calls to 2001
	}}
	err := selfcare.CheckForwardChain("2001", "2002", directory, 0)
	var de *selfcare.DestinationError
	if errors.As(err, &de) {
		fmt.Println(de.Code, de.Path)
		fmt.Println(de.Message)
	}
	// Output:
	// loop [2001 2002 2001]
	// This forward would make a loop: 2001 → 2002 → 2001. Calls would never ring a phone.
}

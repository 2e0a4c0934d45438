package selfcare_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/selfcare"
)

// The kinds, for tables that try every one.
var destKinds = []selfcare.DestinationKind{
	selfcare.DestinationForward, selfcare.DestinationSpeedDial, selfcare.DestinationRemote,
}

const (
	fwd    = selfcare.DestinationForward
	speed  = selfcare.DestinationSpeedDial
	remote = selfcare.DestinationRemote
)

// destError returns err as a *DestinationError, failing the test unless it
// is one, matches ErrInvalid and has a clean message.
func destError(tb testing.TB, err error) *selfcare.DestinationError {
	tb.Helper()
	var de *selfcare.DestinationError
	if !errors.As(err, &de) {
		tb.Fatalf("error %v (%T) is not a *DestinationError", err, err)
	}
	if !errors.Is(err, selfcare.ErrInvalid) {
		tb.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	destCheckMessage(tb, de.Message)
	return de
}

// destCheckMessage fails unless msg is a non-empty sentence of printable
// ASCII (and the arrow of loop paths): no input character can hide in it.
func destCheckMessage(tb testing.TB, msg string) {
	tb.Helper()
	if msg == "" || !strings.HasSuffix(msg, ".") {
		tb.Errorf("message %q is not a sentence", msg)
	}
	for _, r := range msg {
		if (r < ' ' || r > '~') && r != '→' {
			tb.Errorf("message %q holds %U", msg, r)
			return
		}
	}
}

// destRefusal is what a refusal must say; zero fields are not checked.
type destRefusal struct {
	code       string
	max        int
	suggestion string
	contains   string
}

// checkRefusal parses in and compares the refusal with want.
func checkRefusal(tb testing.TB, in string, kind selfcare.DestinationKind, want destRefusal) {
	tb.Helper()
	d, err := selfcare.ParseDestination(in, kind)
	if err == nil {
		tb.Fatalf("ParseDestination(%q, %v) = %+v, want code %s", in, kind, d, want.code)
	}
	de := destError(tb, err)
	if de.Code != want.code {
		tb.Errorf("ParseDestination(%q, %v) code = %s (%s), want %s", in, kind, de.Code,
			de.Message, want.code)
	}
	if want.max != 0 && de.Max != want.max {
		tb.Errorf("ParseDestination(%q, %v) Max = %d, want %d", in, kind, de.Max, want.max)
	}
	if de.Suggestion != want.suggestion {
		tb.Errorf("ParseDestination(%q, %v) Suggestion = %q, want %q", in, kind,
			de.Suggestion, want.suggestion)
	}
	if !strings.Contains(de.Message, want.contains) {
		tb.Errorf("ParseDestination(%q, %v) message %q lacks %q", in, kind, de.Message,
			want.contains)
	}
}

func TestParseDestinationAccepts(t *testing.T) {
	tests := []struct {
		name string
		kind selfcare.DestinationKind
		in   string
		want selfcare.Destination
	}{
		{"extension", fwd, "4021", selfcare.Destination{Kind: fwd, Number: "4021"}},
		{"star extension", fwd, "*4021", selfcare.Destination{Kind: fwd, Number: "*4021"}},
		{"e164 keeps its plus", fwd, "+441632960961",
			selfcare.Destination{Kind: fwd, Number: "+441632960961"}},
		{"national with access code", fwd, "916329609",
			selfcare.Destination{Kind: fwd, Number: "916329609"}},
		{"one digit", fwd, "0", selfcare.Destination{Kind: fwd, Number: "0"}},
		{"directory uri", fwd, "alice.martin@example.com",
			selfcare.Destination{Kind: fwd, URI: "alice.martin@example.com"}},
		{"uri keeps its case", fwd, "Alice_M+desk@Voice.Example.COM",
			selfcare.Destination{Kind: fwd, URI: "Alice_M+desk@Voice.Example.COM"}},
		{"uri with a number as user", fwd, "+441632960961@gw.example.net",
			selfcare.Destination{Kind: fwd, URI: "+441632960961@gw.example.net"}},
		{"uri with a one-label host", fwd, "4021@cucm",
			selfcare.Destination{Kind: fwd, URI: "4021@cucm"}},
		{"remote e164", remote, "+14155550123",
			selfcare.Destination{Kind: remote, Number: "+14155550123"}},
		{"remote national", remote, "914155550123",
			selfcare.Destination{Kind: remote, Number: "914155550123"}},
		{"speed dial with fac and cmc", speed, "95551234,1234,5678#",
			selfcare.Destination{Kind: speed, Number: "95551234", PostDial: ",1234,5678#"}},
		{"speed dial with a terminator", speed, "95551234#",
			selfcare.Destination{Kind: speed, Number: "95551234#"}},
		{"speed dial with a long pause", speed, "95551234,,,*21#",
			selfcare.Destination{Kind: speed, Number: "95551234", PostDial: ",,,*21#"}},
		{"speed dial to a uri", speed, "bob@example.com",
			selfcare.Destination{Kind: speed, URI: "bob@example.com"}},
		{"speed dial star code", speed, "*4021",
			selfcare.Destination{Kind: speed, Number: "*4021"}},
		{"fifteen e164 digits", fwd, "+123456789012345",
			selfcare.Destination{Kind: fwd, Number: "+123456789012345"}},
		{"thirty-two characters", fwd, strings.Repeat("1", 32),
			selfcare.Destination{Kind: fwd, Number: strings.Repeat("1", 32)}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is accepted", func(t *testing.T) {
			d, err := selfcare.ParseDestination(tt.in, tt.kind)
			if err != nil {
				t.Fatalf("ParseDestination(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, d); diff != "" {
				t.Errorf("ParseDestination(%q) (-want +got):\n%s", tt.in, diff)
			}
			if d.String() != tt.in {
				t.Errorf("String() = %q, want the input %q", d.String(), tt.in)
			}
		})
	}
}

func TestParseDestinationRefuses(t *testing.T) {
	const allowedFwd = "Use the digits 0-9, optionally starting with + or *, or a directory URI"
	const allowedRemote = "Use the digits 0-9, optionally starting with +."
	tests := []struct {
		name string
		kind selfcare.DestinationKind
		in   string
		want destRefusal
	}{
		// Empty.
		{"empty", fwd, "", destRefusal{code: "empty", contains: "Enter a number"}},
		{"only spaces", fwd, "   ", destRefusal{code: "empty"}},
		{"empty remote", remote, "", destRefusal{code: "empty", contains: "phone number"}},

		// Letters, markup, punctuation.
		{"a letter", fwd, "12a4", destRefusal{code: "characters",
			contains: "Letters are allowed only in a directory URI"}},
		{"a letter in a remote destination", remote, "12a4",
			destRefusal{code: "characters", contains: "Letters are not allowed. " + allowedRemote}},
		{"vanity number", fwd, "1800FLOWERS", destRefusal{code: "characters",
			contains: allowedFwd}},
		{"markup", fwd, "<b>12</b>", destRefusal{code: "characters", contains: allowedFwd}},
		{"markup without letters", fwd, "<12>", destRefusal{code: "characters",
			contains: "The character '<' is not allowed (position 1)."}},
		{"semicolon", fwd, "4021;user=phone", destRefusal{code: "characters"}},
		{"percent encoding", fwd, "40%0A21", destRefusal{code: "characters",
			contains: "'%'"}},
		{"punctuation beside separators", fwd, "40 21!", destRefusal{code: "characters"}},

		// Control and invisible characters.
		{"tab", fwd, "40\t21", destRefusal{code: "characters",
			contains: "A tab is not allowed (position 3). " + allowedFwd}},
		{"newline", fwd, "4021\n", destRefusal{code: "characters",
			contains: "A line break is not allowed (position 5)."}},
		{"carriage return", fwd, "4021\r\nX-Injected: 1", destRefusal{code: "characters",
			contains: "A line break"}},
		{"nul", fwd, "40\x0021", destRefusal{code: "characters", contains: "U+0000"}},
		{"not utf-8", fwd, "40\xff21", destRefusal{code: "characters",
			contains: "not text"}},
		{"bidi override", fwd, "4021\u202e", destRefusal{code: "characters",
			contains: "invisible character U+202E"}},
		{"zero-width space", fwd, "40\u200b21", destRefusal{code: "characters",
			contains: "U+200B"}},
		{"arabic-indic digits", fwd, "٤٠٢١", destRefusal{code: "characters",
			contains: "The digit U+0664 from another script"}},
		{"fullwidth digits", fwd, "４０２１", destRefusal{code: "characters",
			contains: "U+FF14"}},
		{"fullwidth plus", fwd, "＋441632960961", destRefusal{code: "characters",
			contains: "U+FF0B"}},

		// Separators: refused, with the form to type.
		{"spaces", fwd, "+44 1632 960961", destRefusal{code: "separators",
			suggestion: "+441632960961", contains: "Type it as +441632960961."}},
		{"parentheses and a dash", fwd, "(0163) 296-0961", destRefusal{
			code: "separators", suggestion: "01632960961"}},
		{"dots", remote, "+1.415.555.0123", destRefusal{code: "separators",
			suggestion: "+14155550123"}},
		{"slash", fwd, "0163/2960961", destRefusal{code: "separators",
			suggestion: "01632960961"}},
		{"no-break space", fwd, "+44\u00a01632\u00a0960961", destRefusal{
			code: "separators", suggestion: "+441632960961"}},
		{"en dash", fwd, "555\u20130123", destRefusal{code: "separators",
			suggestion: "5550123"}},
		{"minus sign", fwd, "555\u22120123", destRefusal{code: "separators",
			suggestion: "5550123"}},
		{"separators around an invalid number", fwd, "+0 123", destRefusal{
			code: "separators", contains: "still not valid: After +"}},
		{"separators and too many digits", fwd, "+1 234 567 890 123 456",
			destRefusal{code: "separators", max: 15, contains: "at most 15 digits"}},
		{"only separators", fwd, "--", destRefusal{code: "separators",
			contains: "Enter a number"}},
		{"separators in a speed dial", speed, "9 555 1234,1234", destRefusal{
			code: "separators", suggestion: "95551234,1234"}},

		// +, *, # out of place.
		{"plus in the middle", fwd, "44+1632", destRefusal{code: "format",
			contains: "may only come first"}},
		{"two leading signs", fwd, "+*4021", destRefusal{code: "format"}},
		{"plus alone", fwd, "+", destRefusal{code: "format",
			contains: "Digits must follow the +."}},
		{"star alone", fwd, "*", destRefusal{code: "format"}},
		{"country code 0", fwd, "+0441632960961", destRefusal{code: "format",
			contains: "cannot start with 0"}},
		{"star in a remote destination", remote, "*4021", destRefusal{code: "format"}},
		{"hash in a forward", fwd, "4021#", destRefusal{code: "format",
			contains: "only at the end of a speed dial"}},
		{"hash inside a forward", fwd, "40#21", destRefusal{code: "format",
			contains: "only at the end of a speed dial"}},
		{"hash inside a speed dial number", speed, "40#21", destRefusal{code: "format",
			contains: "# may only end a number."}},
		{"hash alone", speed, "#", destRefusal{code: "format"}},

		// Lengths.
		{"33 characters", fwd, strings.Repeat("1", 33), destRefusal{code: "too_long",
			max: 32, contains: "at most 32 characters"}},
		{"16 digits after a plus", fwd, "+1234567890123456", destRefusal{
			code: "too_long", max: 15, contains: "at most 15 digits"}},
		{"a megabyte of digits", fwd, strings.Repeat("9", 1<<20), destRefusal{
			code: "too_long", max: 32}},

		// URIs.
		{"uri for a remote destination", remote, "alice@example.com", destRefusal{
			code: "uri", contains: "not a directory URI"}},
		{"two at signs", fwd, "a@b@example.com", destRefusal{code: "uri"}},
		{"no user", fwd, "@example.com", destRefusal{code: "uri"}},
		{"no host", fwd, "alice@", destRefusal{code: "uri"}},
		{"space in a uri", fwd, "alice martin@example.com", destRefusal{
			code: "characters", contains: "a space is not allowed"}},
		{"non-ascii uri", fwd, "josé@example.com", destRefusal{code: "characters",
			contains: "U+00E9"}},
		{"uri with a port", fwd, "alice@example.com:5060", destRefusal{
			code: "characters", contains: "':'"}},
		{"uri with markup", fwd, "<script>@example.com", destRefusal{code: "characters"}},
		{"sip scheme", fwd, "sip:alice@example.com", destRefusal{code: "uri",
			suggestion: "alice@example.com", contains: `Leave out "sip:" and type alice@example.com.`}},
		{"SIPS scheme with a bad rest", fwd, "SIPS:alice@@example.com", destRefusal{
			code: "uri", contains: `Leave out "sips:" and type name@host.`}},
		{"dot first in user", fwd, ".alice@example.com", destRefusal{code: "uri"}},
		{"two dots in host", fwd, "alice@example..com", destRefusal{code: "uri"}},
		{"dash ends a label", fwd, "alice@example-.com", destRefusal{code: "uri"}},
		{"underscore in host", fwd, "alice@ex_ample.com", destRefusal{code: "uri"}},
		{"255-character uri", fwd, strings.Repeat("a", 60) + "@" +
			strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." +
			strings.Repeat("d", 60) + "." + strings.Repeat("e", 11),
			destRefusal{code: "too_long", max: 254}},
		{"65-character user", fwd, strings.Repeat("a", 65) + "@example.com",
			destRefusal{code: "too_long", max: 64}},
		{"64-character host label", fwd, "a@" + strings.Repeat("b", 64) + ".com",
			destRefusal{code: "uri", contains: "63"}},

		// Commas outside speed dials.
		{"comma in a forward", fwd, "95551234,1234", destRefusal{code: "comma_rules",
			contains: "only in speed dials"}},
		{"comma in a remote destination", remote, "95551234,1", destRefusal{
			code: "comma_rules"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			checkRefusal(t, tt.in, tt.kind, tt.want)
		})
	}
}

func TestParseDestinationRefusesUnknownKind(t *testing.T) {
	for _, k := range []selfcare.DestinationKind{0, 4, 255} {
		_, err := selfcare.ParseDestination("4021", k)
		if de := destError(t, err); de.Code != "kind" {
			t.Errorf("kind %d: code = %s", k, de.Code)
		}
	}
}

func TestSpeedDialCommaRules(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		code  string // "" means accepted
		steps []selfcare.PostDialStep
	}{
		{name: "fac then cmc after single commas", in: "95551234,1234,5678#",
			steps: []selfcare.PostDialStep{{Pause: 1, Digits: "1234"}, {Pause: 1, Digits: "5678#"}}},
		{name: "ivr digits after a longer pause", in: "95551234,,,,2#",
			steps: []selfcare.PostDialStep{{Pause: 4, Digits: "2#"}}},
		{name: "dtmf star and hash", in: "4021,*#*#",
			steps: []selfcare.PostDialStep{{Pause: 1, Digits: "*#*#"}}},
		{name: "uri has no pauses", in: "bob@example.com,1234", code: "comma_rules"},
		{name: "a leading comma has no number", in: ",1234", code: "comma_rules"},
		{name: "a comma alone", in: ",", code: "comma_rules"},
		{name: "a trailing comma sends nothing", in: "95551234,1234,", code: "comma_rules"},
		{name: "a trailing pause", in: "95551234,,", code: "comma_rules"},
		{name: "a plus after a pause", in: "95551234,+1234", code: "format"},
		{name: "a letter after a pause", in: "95551234,12A4", code: "characters"},
		{name: "the number part is still checked", in: "9+5551234,1234", code: "format"},
		{name: "64 characters in all", in: "95551234," + strings.Repeat("1", 55),
			steps: []selfcare.PostDialStep{{Pause: 1, Digits: strings.Repeat("1", 55)}}},
		{name: "65 characters in all", in: "95551234," + strings.Repeat("1", 56),
			code: "too_long"},
		{name: "a long number before the pause", in: strings.Repeat("1", 33) + ",1",
			code: "too_long"},
	}
	for _, tt := range tests {
		name := tt.name + " is accepted"
		if tt.code != "" {
			name = tt.name + " is refused as " + tt.code
		}
		t.Run(name, func(t *testing.T) {
			d, err := selfcare.ParseDestination(tt.in, speed)
			if tt.code != "" {
				if de := destError(t, err); de.Code != tt.code {
					t.Fatalf("code = %s (%s), want %s", de.Code, de.Message, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDestination(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.steps, d.PostDialSteps()); diff != "" {
				t.Errorf("PostDialSteps (-want +got):\n%s", diff)
			}
			if !d.NeedsLabel() {
				t.Error("NeedsLabel() = false for a speed dial that sends digits")
			}
		})
	}

	t.Run("a plain speed dial needs no label", func(t *testing.T) {
		d, err := selfcare.ParseDestination("95551234#", speed)
		if err != nil {
			t.Fatal(err)
		}
		if d.NeedsLabel() || d.PostDialSteps() != nil {
			t.Errorf("NeedsLabel = %v, steps = %v", d.NeedsLabel(), d.PostDialSteps())
		}
	})
}

// TestParseDestinationRefusesEveryControlCharacter tries every C0 and C1
// control character, at the start, inside and at the end, for every kind.
func TestParseDestinationRefusesEveryControlCharacter(t *testing.T) {
	var controls []rune
	for r := rune(0); r <= 0x9f; r++ {
		if unicode.IsControl(r) {
			controls = append(controls, r)
		}
	}
	if len(controls) != 65 {
		t.Fatalf("found %d control characters, want 65", len(controls))
	}
	for _, kind := range destKinds {
		for _, r := range controls {
			for _, in := range []string{string(r) + "4021", "40" + string(r) + "21",
				"4021" + string(r), "a" + string(r) + "@example.com"} {
				_, err := selfcare.ParseDestination(in, kind)
				if err == nil {
					t.Fatalf("%v: %q accepted", kind, in)
				}
				if de := destError(t, err); de.Code != "characters" {
					t.Errorf("%v: %q: code %s, want characters", kind, in, de.Code)
				}
			}
		}
	}
}

// TestParseDestinationRefusesDigitsOfEveryScript tries every decimal digit
// outside ASCII that Unicode knows.
func TestParseDestinationRefusesDigitsOfEveryScript(t *testing.T) {
	n := 0
	for _, rg := range unicode.Nd.R16 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			n += checkForeignDigit(t, r)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			n += checkForeignDigit(t, r)
		}
	}
	if n < 600 {
		t.Errorf("tried %d digits; the table should hold over 600", n)
	}
}

func checkForeignDigit(tb testing.TB, r rune) int {
	tb.Helper()
	if r < 0x80 {
		return 0
	}
	for _, in := range []string{"40" + string(r) + "1", "+4" + string(r)} {
		_, err := selfcare.ParseDestination(in, fwd)
		if err == nil {
			tb.Fatalf("%q (%U) accepted", in, r)
		}
		de := destError(tb, err)
		if de.Code != "characters" || !strings.Contains(de.Message, fmt.Sprintf("U+%04X", r)) {
			tb.Errorf("%U: code %s, message %q", r, de.Code, de.Message)
		}
	}
	return 1
}

// TestParseDestinationRefusesInvisibleAndOtherCharacters covers format
// characters, separators of lines and paragraphs, private use and symbols.
func TestParseDestinationRefusesInvisibleAndOtherCharacters(t *testing.T) {
	for _, r := range []rune{0x00AD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A,
		0x202E, 0x2060, 0x2066, 0xFEFF, 0x2028, 0x2029, 0xE000, 0xFFFD, 0x1F4DE, 0x00B2,
		0x2460, 0x0130} {
		for _, kind := range destKinds {
			_, err := selfcare.ParseDestination("4021"+string(r), kind)
			if err == nil {
				t.Fatalf("%U accepted", r)
			}
			if de := destError(t, err); de.Code != "characters" {
				t.Errorf("%U: code %s (%s)", r, de.Code, de.Message)
			}
		}
	}
}

// TestParseDestinationSeparatorsOfEveryScript: every Unicode space and dash
// is a separator with a suggestion, never silently dropped.
func TestParseDestinationSeparatorsOfEveryScript(t *testing.T) {
	n := 0
	for _, table := range []*unicode.RangeTable{unicode.Zs, unicode.Pd} {
		for _, rg := range table.R16 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
				checkRefusal(t, "555"+string(r)+"0123", fwd,
					destRefusal{code: "separators", suggestion: "5550123"})
				n++
			}
		}
	}
	if n < 30 {
		t.Errorf("tried %d separators", n)
	}
}

func TestDestinationKindText(t *testing.T) {
	for _, k := range destKinds {
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back selfcare.DestinationKind
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Errorf("%s: round trip gave %v, %v", b, back, err)
		}
	}
	if got := fmt.Sprint(speed, remote); got != "speedDial remoteDestination" {
		t.Errorf("String = %q", got)
	}
	var k selfcare.DestinationKind
	if err := json.Unmarshal([]byte(`"fax"`), &k); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := json.Marshal(selfcare.DestinationKind(9)); err == nil {
		t.Error("invalid kind marshalled")
	}
}

// destCheck parses in and checks it against c. It returns "" when allowed,
// the refusing class name, or "none" when no class matched.
func destCheck(tb testing.TB, c *selfcare.DestinationChecker, in string,
	kind selfcare.DestinationKind) string {
	tb.Helper()
	d, err := selfcare.ParseDestination(in, kind)
	if err != nil {
		tb.Fatalf("ParseDestination(%q, %v) = %v", in, kind, err)
	}
	err = c.Check(d)
	if err == nil {
		return ""
	}
	de := destError(tb, err)
	if de.Code != "class" {
		tb.Fatalf("Check(%q) code = %s, want class", in, de.Code)
	}
	if de.Class == "" {
		return "none"
	}
	return de.Class
}

// destCompile compiles p or fails the test.
func destCompile(tb testing.TB, p selfcare.DestinationPolicy) *selfcare.DestinationChecker {
	tb.Helper()
	c, err := p.Compile()
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return c
}

func TestDefaultDestinationPolicy(t *testing.T) {
	c := destCompile(t, selfcare.DefaultDestinationPolicy())
	tests := []struct {
		in   string
		kind selfcare.DestinationKind
		want string // "" allowed, a class name, or "none"
	}{
		// Internal extensions: four digits not starting with 0 or 9, or *.
		{"4021", fwd, ""},
		{"1001", fwd, ""},
		{"8999", fwd, ""},
		{"*4021", fwd, ""},
		{"4021", remote, ""},
		{"4021", speed, ""},
		{"402", fwd, "none"},
		{"40211", fwd, "none"},
		{"9021", fwd, "operator"}, // 9, then 0 and digits: operator-assisted
		{"*72", fwd, "none"},
		{"*40211", fwd, "none"},

		// National: the access code and seven or more digits.
		{"95550123", fwd, ""},
		{"916329609", fwd, ""},
		{"94155550123", fwd, ""},
		{"914155550123", fwd, ""},
		{"+14155550123", fwd, ""},
		{"+14155550123", remote, ""},
		{"95551234,1234,5678#", speed, ""},
		{"914155550123#", speed, ""},
		{"9555012", fwd, "none"},
		{"14155550123", fwd, "none"}, // no access code

		// International, however typed.
		{"9011441632960961", fwd, "international"},
		{"+441632960961", fwd, "international"},
		{"+441632960961", remote, "international"},
		{"+33123456789", fwd, "international"},
		{"9011441632960961,1234", speed, "international"},
		{"90111", fwd, "international"},

		// Premium: NANP 900 and 976, with or without the national prefix.
		{"919005550123", fwd, "premium"},
		{"919765550123", fwd, "premium"},
		{"99005550123", fwd, "premium"},
		{"+19005550123", fwd, "premium"},
		{"+19765550123", remote, "premium"},
		{"919005550123,1234", speed, "premium"},

		// Emergency, with and without the access code, for every kind.
		{"911", fwd, "emergency"},
		{"9911", fwd, "emergency"},
		{"112", fwd, "emergency"},
		{"9112", remote, "emergency"},
		{"999", speed, "emergency"},
		{"9999", fwd, "emergency"},
		{"911#", speed, "emergency"},
		{"+1911", fwd, "none"},

		// Operator.
		{"0", fwd, "operator"},
		{"00", fwd, "operator"},
		{"90", fwd, "operator"},
		{"900", remote, "operator"},

		// URIs: no domain is internal by default.
		{"alice@example.com", fwd, "none"},
		{"+441632960961@gw.example.net", fwd, "none"},
	}
	for _, tt := range tests {
		want := tt.want
		switch want {
		case "":
			want = "allowed"
		case "none":
			want = "refused by no class"
		default:
			want = "refused as " + want
		}
		t.Run(fmt.Sprintf("%s %s is %s", tt.kind, tt.in, want), func(t *testing.T) {
			if got := destCheck(t, c, tt.in, tt.kind); got != tt.want {
				t.Errorf("class = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultDestinationPolicyMessages(t *testing.T) {
	c := destCompile(t, selfcare.DefaultDestinationPolicy())
	tests := []struct{ in, want string }{
		{"9011441632960961", "International numbers are not allowed."},
		{"911", "Emergency numbers cannot be a destination; dial them directly."},
		{"402", "No destination class allows this number. Internal extensions have " +
			"4 digits. Outside numbers start with the access code 9, or with +."},
	}
	for _, tt := range tests {
		d, err := selfcare.ParseDestination(tt.in, fwd)
		if err != nil {
			t.Fatal(err)
		}
		de := destError(t, c.Check(d))
		if de.Message != tt.want {
			t.Errorf("%s: message %q, want %q", tt.in, de.Message, tt.want)
		}
	}
}

func TestNewDestinationPolicyForAnotherCountry(t *testing.T) {
	uk := selfcare.DestinationSite{CountryCode: "44", AccessCode: "9",
		InternationalPrefix: "00", NationalPrefix: "0", ExtensionLengths: []int{4, 5},
		URIDomains: []string{"example.com"}}
	p := selfcare.NewDestinationPolicy(uk)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	c := destCompile(t, p)
	tests := []struct {
		in   string
		want string
	}{
		{"+441632960961", ""}, // the site's own country is national
		{"901632960961", ""},
		{"95550123", ""}, // a local number without the national prefix
		{"+14155550123", "international"},
		{"90014155550123", "international"},
		{"909098790000", "premium"},
		{"+449098790000", "premium"},
		{"9118500", "premium"},
		{"999", "emergency"},
		{"9999", "emergency"},
		{"900", "operator"},
		{"40211", ""},
		{"*40211", ""},
		{"alice@example.com", ""},
		{"alice@Voice.EXAMPLE.com", ""},
		{"alice@example.net", "none"},
		{"alice@badexample.com", "none"},
		{"4021@example.com", ""},
		{"+14155550123@example.com", "international"},
		{"911@example.com", "emergency"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" is "+orAllowed(tt.want), func(t *testing.T) {
			if got := destCheck(t, c, tt.in, fwd); got != tt.want {
				t.Errorf("class = %q, want %q", got, tt.want)
			}
		})
	}
}

func orAllowed(class string) string {
	if class == "" {
		return "allowed"
	}
	return "refused as " + class
}

func TestNewDestinationPolicyWithoutAccessCode(t *testing.T) {
	site := selfcare.DestinationSite{CountryCode: "49", InternationalPrefix: "00",
		NationalPrefix: "0", ExtensionLengths: []int{3}}
	p := selfcare.NewDestinationPolicy(site)
	c := destCompile(t, p)
	for in, want := range map[string]string{
		"+4930901820": "", "030901820": "", "+33123456789": "international",
		"0033123456789": "international", "112": "emergency", "0": "operator",
		"402": "",
	} {
		if got := destCheck(t, c, in, fwd); got != want {
			t.Errorf("%s: class %q, want %q", in, got, want)
		}
	}
	for _, cl := range p.Classes {
		if cl.Name == selfcare.ClassPremium {
			t.Errorf("a premium class for a country without known ranges: %v", cl)
		}
	}
}

func TestDestinationClassOrderDecides(t *testing.T) {
	site := selfcare.DefaultDestinationPolicy().Site
	allowAll := selfcare.DestinationClass{Name: "everything", Allowed: true,
		Patterns: []string{"!", "*!"}}
	blockLong := selfcare.DestinationClass{Name: "long distance", Allowed: false,
		Patterns: []string{"91!"}, Message: "Long distance is not allowed."}
	tests := []struct {
		name    string
		classes []selfcare.DestinationClass
		in      string
		kind    selfcare.DestinationKind
		want    string
	}{
		{"the refusing class first wins", []selfcare.DestinationClass{blockLong, allowAll},
			"914155550123", fwd, "long distance"},
		{"the allowing class first wins", []selfcare.DestinationClass{allowAll, blockLong},
			"914155550123", fwd, ""},
		{"a number the first does not match falls through",
			[]selfcare.DestinationClass{blockLong, allowAll}, "95550123", fwd, ""},
		{"a class for other kinds is skipped", []selfcare.DestinationClass{
			{Name: "speed dials only", Allowed: false, Patterns: []string{"!"},
				Kinds: []selfcare.DestinationKind{speed}}, allowAll},
			"4021", fwd, ""},
		{"a class for this kind applies", []selfcare.DestinationClass{
			{Name: "speed dials only", Allowed: false, Patterns: []string{"!"},
				Kinds: []selfcare.DestinationKind{speed}}, allowAll},
			"4021", speed, "speed dials only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := destCompile(t, selfcare.DestinationPolicy{Site: site, Classes: tt.classes})
			if got := destCheck(t, c, tt.in, tt.kind); got != tt.want {
				t.Errorf("class = %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("a class without a message names itself", func(t *testing.T) {
		p := selfcare.DestinationPolicy{Site: site, Classes: []selfcare.DestinationClass{
			{Name: "satellite", Patterns: []string{"9011881!"}}}}
		d, _ := selfcare.ParseDestination("+881612345678", fwd)
		de := destError(t, p.Check(d))
		if de.Class != "satellite" || de.Message != "satellite destinations are not allowed." {
			t.Errorf("class %q, message %q", de.Class, de.Message)
		}
	})
}

func TestDestinationPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		number  string
		match   bool
	}{
		{"4021", "4021", true},
		{"4021", "40211", false},
		{"4021", "402", false},
		{"XXXX", "4021", true},
		{"xxxx", "4021", true},
		{"XXXX", "*402", false},
		{"[1-5]XXX", "5999", true},
		{"[1-5]XXX", "6999", false},
		{"[135]X", "31", true},
		{"[135]X", "21", false},
		{"[2-79]X", "81", false},
		{"[2-79]X", "91", true},
		{"[^0]X", "01", false},
		{"[^0]X", "11", true},
		{"[^0-8]X", "91", true},
		{"9.011!", "9011441632960961", true},
		{"9011!", "9011", false},
		{"!", "1", true},
		{"!", "*1", false},
		{"*XXXX", "*4021", true},
		{"*XXXX", "4021", false},
		{"*!", "*72", true},
		{"*X", "*1", true},
		{"XXXX", "abcd@example.com", false},
		{"@example.com", "alice@EXAMPLE.com", true},
		{"@example.com", "alice@voice.example.com", false},
		{"@*.example.com", "alice@voice.example.com", true},
		{"@*.example.com", "alice@example.com", false},
		{"@*.example.com", "alice@badexample.com", false},
		{"@*", "alice@anything.example", true},
		{"@*", "4021", false},
	}
	site := selfcare.DestinationSite{CountryCode: "1", AccessCode: "9",
		InternationalPrefix: "011", NationalPrefix: "1"}
	for _, tt := range tests {
		name := fmt.Sprintf("%s matches %s", tt.pattern, tt.number)
		if !tt.match {
			name = fmt.Sprintf("%s does not match %s", tt.pattern, tt.number)
		}
		t.Run(name, func(t *testing.T) {
			c := destCompile(t, selfcare.DestinationPolicy{Site: site,
				Classes: []selfcare.DestinationClass{{Name: "probe", Allowed: false,
					Patterns: []string{tt.pattern}}}})
			kind := speed // the kind that accepts every form above
			got := destCheck(t, c, tt.number, kind) == "probe"
			if got != tt.match {
				t.Errorf("match = %v, want %v", got, tt.match)
			}
		})
	}
}

func TestDestinationPolicyValidate(t *testing.T) {
	good := selfcare.DefaultDestinationPolicy()
	if err := good.Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	class := func(patterns ...string) []selfcare.DestinationClass {
		return []selfcare.DestinationClass{{Name: "c", Patterns: patterns}}
	}
	tests := []struct {
		name   string
		change func(p *selfcare.DestinationPolicy)
		fields []string
	}{
		{"missing country code", func(p *selfcare.DestinationPolicy) {
			p.Site.CountryCode = ""
		}, []string{"site.countryCode"}},
		{"country code 0", func(p *selfcare.DestinationPolicy) {
			p.Site.CountryCode = "07"
		}, []string{"site.countryCode"}},
		{"letters in the access code", func(p *selfcare.DestinationPolicy) {
			p.Site.AccessCode = "9a"
		}, []string{"site.accessCode"}},
		{"missing international prefix", func(p *selfcare.DestinationPolicy) {
			p.Site.InternationalPrefix = ""
		}, []string{"site.internationalPrefix"}},
		{"long national prefix", func(p *selfcare.DestinationPolicy) {
			p.Site.NationalPrefix = "123"
		}, []string{"site.nationalPrefix"}},
		{"extension length 0", func(p *selfcare.DestinationPolicy) {
			p.Site.ExtensionLengths = []int{4, 0}
		}, []string{"site.extensionLengths[1]"}},
		{"a bad uri domain", func(p *selfcare.DestinationPolicy) {
			p.Site.URIDomains = []string{"example.com", "exa mple.com", "a@b"}
		}, []string{"site.uriDomains[1]", "site.uriDomains[2]"}},
		{"empty pattern", func(p *selfcare.DestinationPolicy) {
			p.Classes = class("")
		}, []string{"classes[0].patterns[0]"}},
		{"bad patterns", func(p *selfcare.DestinationPolicy) {
			p.Classes = class("9[1-", "9[5-1]", "9[]", "9[^0-9]", "9!X", "+44!", "9A",
				"...", "@", "@*.", "@exa mple.com", "9[*]", strings.Repeat("X", 65),
				"9[1-5", "@a_b.com", "9#", "9011!", "X.X")
		}, []string{"classes[0].patterns[0]", "classes[0].patterns[1]",
			"classes[0].patterns[2]", "classes[0].patterns[3]",
			"classes[0].patterns[4]", "classes[0].patterns[5]",
			"classes[0].patterns[6]", "classes[0].patterns[7]",
			"classes[0].patterns[8]", "classes[0].patterns[9]",
			"classes[0].patterns[10]", "classes[0].patterns[11]",
			"classes[0].patterns[12]", "classes[0].patterns[13]",
			"classes[0].patterns[14]", "classes[0].patterns[15]"}},
		{"a class without patterns", func(p *selfcare.DestinationPolicy) {
			p.Classes = class()
		}, []string{"classes[0].patterns"}},
		{"a class without a name", func(p *selfcare.DestinationPolicy) {
			p.Classes = []selfcare.DestinationClass{{Patterns: []string{"!"}}}
		}, []string{"classes[0].name"}},
		{"two classes with one name", func(p *selfcare.DestinationPolicy) {
			p.Classes = append(p.Classes, selfcare.DestinationClass{
				Name: p.Classes[0].Name, Patterns: []string{"777"}})
		}, []string{fmt.Sprintf("classes[%d].name", len(good.Classes))}},
		{"two class names differing only in case", func(p *selfcare.DestinationPolicy) {
			p.Classes = append(p.Classes, selfcare.DestinationClass{
				Name: "Emergency", Patterns: []string{"777"}})
		}, []string{fmt.Sprintf("classes[%d].name", len(good.Classes))}},
		{"no classes, which would refuse everything", func(p *selfcare.DestinationPolicy) {
			p.Classes = []selfcare.DestinationClass{}
		}, []string{"classes"}},
		{"a pattern twice in one class", func(p *selfcare.DestinationPolicy) {
			p.Classes = class("999", "[1-8]XXX", "999", "[1-8]xxx")
		}, []string{"classes[0].patterns[2]", "classes[0].patterns[3]"}},
		{"a pattern of an earlier class for every kind", func(p *selfcare.DestinationPolicy) {
			p.Classes = []selfcare.DestinationClass{
				{Name: "a", Patterns: []string{"9.011!"}},
				{Name: "b", Allowed: true, Patterns: []string{"9011!"},
					Kinds: []selfcare.DestinationKind{fwd}},
			}
		}, []string{"classes[1].patterns[0]"}},
		{"a kind twice", func(p *selfcare.DestinationPolicy) {
			p.Classes[0].Kinds = []selfcare.DestinationKind{fwd, speed, fwd}
		}, []string{"classes[0].kinds[2]"}},
		{"a uri domain twice", func(p *selfcare.DestinationPolicy) {
			p.Site.URIDomains = []string{"example.co.uk", "a.com", "Example.CO.uk"}
		}, []string{"site.uriDomains[2]"}},
		{"an extension length twice", func(p *selfcare.DestinationPolicy) {
			p.Site.ExtensionLengths = []int{4, 4}
		}, []string{"site.extensionLengths[1]"}},
		{"control characters in a message", func(p *selfcare.DestinationPolicy) {
			p.Classes[0].Message = "no\nway"
		}, []string{"classes[0].message"}},
		{"an unknown kind", func(p *selfcare.DestinationPolicy) {
			p.Classes[0].Kinds = []selfcare.DestinationKind{fwd, 7}
		}, []string{"classes[0].kinds[1]"}},
		{"too many classes", func(p *selfcare.DestinationPolicy) {
			p.Classes = nil
			for i := range 65 {
				p.Classes = append(p.Classes, selfcare.DestinationClass{
					Name: fmt.Sprint(i), Patterns: []string{fmt.Sprint(i)}})
			}
		}, []string{"classes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			p := selfcare.DefaultDestinationPolicy()
			tt.change(&p)
			err := p.Validate()
			var ve *selfcare.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, selfcare.ErrInvalid) {
				t.Fatalf("Validate = %v, want a ValidationError", err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
				destCheckMessage(t, f.Message)
			}
			if diff := cmp.Diff(tt.fields, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s\n%v", diff, err)
			}
			if _, err := p.Compile(); err == nil {
				t.Error("Compile accepted what Validate refused")
			}
		})
	}
}

func TestDestinationPolicyIsJSON(t *testing.T) {
	p := selfcare.DefaultDestinationPolicy()
	p.Classes[0].Kinds = []selfcare.DestinationKind{fwd, remote}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"kinds":["forward","remoteDestination"]`) ||
		!strings.Contains(string(b), `"accessCode":"9"`) {
		t.Errorf("JSON lacks the expected fields: %s", b)
	}
	var back selfcare.DestinationPolicy
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDestinationCheckRefusesWhatTheGrammarRefuses(t *testing.T) {
	c := destCompile(t, selfcare.DefaultDestinationPolicy())
	for _, d := range []selfcare.Destination{
		{},
		{Kind: fwd, Number: "40\n21"},
		{Kind: fwd, Number: "4021", PostDial: ",1"},       // no pauses in forwards
		{Kind: fwd, Number: "40", PostDial: "21"},         // parts not as parsed
		{Kind: fwd, Number: "4021", URI: "a@example.com"}, // both set
		{Kind: remote, URI: "a@example.com"},
	} {
		if err := c.Check(d); err == nil || !errors.Is(err, selfcare.ErrInvalid) {
			t.Errorf("Check(%+v) = %v, want a refusal", d, err)
		}
	}
}

func TestDestinationPolicyCheckWithABadPolicy(t *testing.T) {
	d, err := selfcare.ParseDestination("4021", fwd)
	if err != nil {
		t.Fatal(err)
	}
	bad := selfcare.DestinationPolicy{Classes: []selfcare.DestinationClass{
		{Name: "all", Allowed: true, Patterns: []string{"[oops"}}}}
	err = bad.Check(d)
	if !errors.Is(err, selfcare.ErrBadDestinationPolicy) || errors.Is(err, selfcare.ErrInvalid) {
		t.Errorf("Check with a bad policy = %v, want ErrBadDestinationPolicy only", err)
	}
	var nilChecker *selfcare.DestinationChecker
	if err := nilChecker.Check(d); !errors.Is(err, selfcare.ErrBadDestinationPolicy) {
		t.Errorf("nil checker: %v", err)
	}
	if err := selfcare.DefaultDestinationPolicy().Check(d); err != nil {
		t.Errorf("DestinationPolicy.Check(4021) = %v", err)
	}
}

func TestDestinationSiteNormalize(t *testing.T) {
	nanp := selfcare.DefaultDestinationPolicy().Site
	uk := selfcare.DestinationSite{CountryCode: "44", AccessCode: "9",
		InternationalPrefix: "00", NationalPrefix: "0"}
	tests := []struct {
		site     selfcare.DestinationSite
		in, want string
	}{
		{nanp, "+14085550100", "914085550100"},
		{nanp, "+441632960961", "9011441632960961"},
		{nanp, "914085550100", "914085550100"},
		{nanp, "914085550100#", "914085550100"},
		{nanp, "*4021", "*4021"},
		{uk, "+441632960961", "901632960961"},
		{uk, "+4", "9004"}, // no country code is a prefix of it
		{uk, "+14085550100", "90014085550100"},
	}
	for _, tt := range tests {
		if got := tt.site.Normalize(tt.in); got != tt.want {
			t.Errorf("%s at +%s: Normalize = %s, want %s", tt.in, tt.site.CountryCode,
				got, tt.want)
		}
	}
}

func BenchmarkParseDestination(b *testing.B) {
	for _, in := range []string{"4021", "+441632960961", "95551234,1234,5678#",
		"alice.martin@example.com", "+44 1632 960961"} {
		b.Run(in, func(b *testing.B) {
			for b.Loop() {
				_, _ = selfcare.ParseDestination(in, speed)
			}
		})
	}
}

func BenchmarkDestinationCheck(b *testing.B) {
	c := destCompile(b, selfcare.DefaultDestinationPolicy())
	for _, in := range []string{"4021", "914155550123", "+441632960961"} {
		d, err := selfcare.ParseDestination(in, fwd)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in, func(b *testing.B) {
			for b.Loop() {
				_ = c.Check(d)
			}
		})
	}
}

// ExampleParseDestination parses what users typed and checks it against
// the default destination classes.
func ExampleParseDestination() {
	classes, err := selfcare.DefaultDestinationPolicy().Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range []string{"4021", "+14155550123", "+44 1632 960961",
		"+441632960961", "12\t4"} {
		d, err := selfcare.ParseDestination(in, selfcare.DestinationForward)
		if err == nil {
			err = classes.Check(d)
		}
		var de *selfcare.DestinationError
		switch {
		case err == nil:
			fmt.Printf("%q: allowed\n", in)
		case errors.As(err, &de) && de.Suggestion != "":
			fmt.Printf("%q: %s, type %s\n", in, de.Code, de.Suggestion)
		case errors.As(err, &de) && de.Class != "":
			fmt.Printf("%q: %s %s: %s\n", in, de.Code, de.Class, de.Message)
		case errors.As(err, &de):
			fmt.Printf("%q: %s\n", in, de.Code)
		}
	}
	// Output:
	// "4021": allowed
	// "+14155550123": allowed
	// "+44 1632 960961": separators, type +441632960961
	// "+441632960961": class international: International numbers are not allowed.
	// "12\t4": characters
}

// destCasesFile is the shared list of destination inputs, beside the clone
// in CI.
const destCasesFile = "../../shared/cases/destinations.md"

// destCaseRows is the embedded copy of destCasesFile's examples, so that a
// clone without ../shared still runs them; rows without examples in
// backticks get examples of their kind here. Keys are the "kind of input"
// column.
var destCaseRows = map[string][]string{
	"internal extension":                  {"4021", "*4021"},
	"E.164 with plus":                     {"+441632960961", "+14155550123"},
	"national, with access code":          {"916329609", "914155550123", "95550123"},
	"international":                       {"9011441632960961", "+441632960961", "+33123456789"},
	"separators a person types":           {"+44 1632 960961", "(0163) 296-0961", "4021 "},
	"letters, control characters, markup": {"12a4", "<b>12</b>", "12\t4", "12\n4", "12\r4"},
	"empty while enabled":                 {""},
	"own line":                            {"2001", "4021"},
	"loop":                                {"2002", "4021"},
	"too long":                            {strings.Repeat("1", 33), strings.Repeat("9", 200)},
}

// destCaseCheckers judge one example of each kind of input, whatever the
// example: the file lists samples of kinds, and new samples must pass too.
var destCaseCheckers = map[string]func(t *testing.T, in string){
	"internal extension":         checkAllowedByItsClass(selfcare.ClassInternal),
	"E.164 with plus":            checkE164,
	"national, with access code": checkAllowedByItsClass(selfcare.ClassNational),
	"international": func(t *testing.T, in string) {
		c := destCompile(t, selfcare.DefaultDestinationPolicy())
		for _, kind := range destKinds {
			if got := destCheck(t, c, in, kind); got != selfcare.ClassInternational {
				t.Errorf("%v %q: class %q, want international", kind, in, got)
			}
		}
	},
	"separators a person types": func(t *testing.T, in string) {
		// Refused with the form to type, never silently stripped.
		want := strings.Map(func(r rune) rune {
			if strings.ContainsRune(" -().", r) {
				return -1
			}
			return r
		}, in)
		checkRefusal(t, in, fwd, destRefusal{code: "separators", suggestion: want,
			contains: "Type it as " + want + "."})
		if _, err := selfcare.ParseDestination(want, fwd); err != nil {
			t.Errorf("the suggestion %q is refused: %v", want, err)
		}
	},
	"letters, control characters, markup": func(t *testing.T, in string) {
		for _, kind := range destKinds {
			checkRefusal(t, in, kind, destRefusal{code: "characters",
				contains: "Use the digits 0-9"})
		}
	},
	"empty while enabled": func(t *testing.T, in string) {
		for _, kind := range destKinds {
			checkRefusal(t, in, kind, destRefusal{code: "empty", contains: "Enter a"})
		}
	},
	"own line": func(t *testing.T, in string) {
		err := selfcare.CheckForwardChain(in, in, selfcare.ForwardTable{}, 0)
		if de := destError(t, err); de.Code != "self" ||
			!strings.Contains(de.Message, "cannot forward its calls to itself") {
			t.Errorf("code %s, message %q", de.Code, de.Message)
		}
	},
	"loop": func(t *testing.T, in string) {
		// Line 1999 forwards to in while in forwards back to 1999.
		g := selfcare.ForwardTable{Forwards: map[string]string{in: "1999"}}
		de := destError(t, selfcare.CheckForwardChain("1999", in, g, 0))
		if want := "1999 → " + in + " → 1999"; de.Code != "loop" ||
			!strings.Contains(de.Message, want) {
			t.Errorf("code %s, message %q; want loop naming %s", de.Code, de.Message, want)
		}
	},
	"too long": func(t *testing.T, in string) {
		for _, kind := range destKinds {
			checkRefusal(t, in, kind, destRefusal{code: "too_long", max: 32,
				contains: "at most 32"})
		}
	},
}

// checkAllowedByItsClass returns a checker for an example that the default
// policy puts in class: allowed by it, and refused, naming it, once an
// administrator turns the class off.
func checkAllowedByItsClass(class string) func(t *testing.T, in string) {
	return func(t *testing.T, in string) {
		t.Helper()
		p := selfcare.DefaultDestinationPolicy()
		c := destCompile(t, p)
		for _, kind := range []selfcare.DestinationKind{fwd, speed} {
			if got := destCheck(t, c, in, kind); got != "" {
				t.Errorf("%v %q: refused by class %q", kind, in, got)
			}
		}
		for i := range p.Classes {
			if p.Classes[i].Name == class {
				p.Classes[i].Allowed = false
			}
		}
		if got := destCheck(t, destCompile(t, p), in, fwd); got != class {
			t.Errorf("%q with %s off: class %q", in, class, got)
		}
	}
}

// checkE164 checks an E.164 example: accepted with its + kept for every
// kind, and allowed or refused by whatever class it falls in.
func checkE164(t *testing.T, in string) {
	for _, kind := range destKinds {
		d, err := selfcare.ParseDestination(in, kind)
		if err != nil {
			t.Fatalf("%v %q: %v", kind, in, err)
		}
		if d.Number != in || !strings.HasPrefix(d.String(), "+") {
			t.Errorf("%v %q parsed as %+v", kind, in, d)
		}
	}
	p := selfcare.DefaultDestinationPolicy()
	class := destCheck(t, destCompile(t, p), in, fwd)
	if class == "" || class == "none" {
		class = selfcare.ClassNational
	}
	for _, allowed := range []bool{true, false} {
		for i := range p.Classes {
			if p.Classes[i].Name == class {
				p.Classes[i].Allowed = allowed
			}
		}
		got := destCheck(t, destCompile(t, p), in, fwd)
		if allowed && got != "" || !allowed && got != class {
			t.Errorf("%q with class %s allowed=%v: got %q", in, class, allowed, got)
		}
	}
}

// readDestCases returns the kinds and backtick examples of the cases file,
// or nil when the file is missing.
func readDestCases(tb testing.TB) map[string][]string {
	tb.Helper()
	b, err := os.ReadFile(destCasesFile)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is missing in CI", destCasesFile)
		}
		tb.Logf("%s is missing; running the embedded copy only", destCasesFile)
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	code := regexp.MustCompile("`([^`]*)`")
	rows := map[string][]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 4 || !strings.HasPrefix(strings.TrimSpace(line), "|") {
			continue
		}
		kind := strings.TrimSpace(cols[1])
		if kind == "" || kind == "kind of input" || strings.Trim(kind, "-: ") == "" {
			continue
		}
		rows[kind] = nil
		for _, m := range code.FindAllStringSubmatch(cols[2], -1) {
			rows[kind] = append(rows[kind], m[1])
		}
	}
	if len(rows) == 0 {
		tb.Fatalf("%s holds no table rows", destCasesFile)
	}
	tb.Logf("%s: %d kinds of input", destCasesFile, len(rows))
	return rows
}

// TestDestinationCases runs every kind of input of the shared cases file,
// its examples and the embedded ones, through the checker of its kind.
func TestDestinationCases(t *testing.T) {
	rows := map[string][]string{}
	for kind, ex := range destCaseRows {
		rows[kind] = slices.Clone(ex)
	}
	for kind, ex := range readDestCases(t) {
		if _, ok := destCaseCheckers[kind]; !ok {
			t.Errorf("the cases file has a new kind of input %q: add a checker", kind)
			continue
		}
		for _, e := range ex {
			if !slices.Contains(rows[kind], e) {
				t.Logf("%s: %q is not in the embedded copy", kind, e)
				rows[kind] = append(rows[kind], e)
			}
		}
	}
	for kind, examples := range rows {
		check := destCaseCheckers[kind]
		if check == nil {
			t.Errorf("no checker for %q", kind)
			continue
		}
		for _, in := range examples {
			name := fmt.Sprintf("%s %.40q is answered as the cases say", kind, in)
			t.Run(name, func(t *testing.T) { check(t, in) })
		}
	}
}

func TestDestinationCheckerKeepsItsOwnCopy(t *testing.T) {
	p := selfcare.DestinationPolicy{Site: selfcare.DefaultDestinationPolicy().Site,
		Classes: []selfcare.DestinationClass{{Name: "speed dials", Allowed: true,
			Patterns: []string{"XXXX"}, Kinds: []selfcare.DestinationKind{speed}}}}
	c := destCompile(t, p)
	p.Classes[0].Kinds[0] = fwd // an administrator edits the policy afterwards
	if got := destCheck(t, c, "4021", fwd); got != "none" {
		t.Errorf("the checker followed a later edit: class %q", got)
	}
}

func TestDestinationPolicyLongURIDomain(t *testing.T) {
	domain := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + ".example.com"
	site := selfcare.DefaultDestinationPolicy().Site
	site.URIDomains = []string{domain}
	c := destCompile(t, selfcare.NewDestinationPolicy(site))
	if got := destCheck(t, c, "jo@"+domain, fwd); got != "" {
		t.Errorf("jo@<long domain>: class %q, want allowed", got)
	}
}

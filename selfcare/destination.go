package selfcare

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the one grammar for every number a user types (forward
// destinations, speed dials, remote destinations) and the administrator's
// destination classes that decide where calls may go. Both are pure: the
// service parses, then checks against the policy in force, then saves.
//
// Two principles shape it. Input is never rewritten: a destination is
// accepted exactly as typed or refused with a message that says what to
// type instead, so what the user saw is what is stored and dialled. And the
// classes judge the number as the switch would dial it from this site (see
// [DestinationSite.Normalize]), not as typed, so that +44..., 9011 44...
// and 44...@gateway all meet the same "international" class.

// BUG(destination): The reference's speed dial rules that a forced
// authorization code comes before a client matter code, with exactly one
// comma between them, are not checked: the two codes and IVR digits look
// alike. The grammar checks that every pause is followed by digits to send,
// and [Destination.NeedsLabel] reports the label the reference requires.

// BUG(destination): [NewDestinationPolicy] knows premium-rate ranges for
// country codes 1 and 44 only; other sites must add theirs.

// BUG(destination): For country code 1 the national class takes every
// area code, also those of the Caribbean countries in the North American
// plan (876 for Jamaica, for one), which carriers bill as international;
// a site that must refuse them adds their area codes to a refused class.

// DestinationKind says which setting a destination is for; the grammar
// differs a little per kind, and a class may apply to some kinds only.
type DestinationKind uint8

// The kinds of destination. The zero value is not a kind.
const (
	// DestinationForward is a call forwarding target (Call Forward All,
	// busy, no answer): digits with an optional leading + or *, or a
	// directory URI.
	DestinationForward DestinationKind = iota + 1
	// DestinationSpeedDial is a speed dial's Number/URI: a forward
	// destination that may also end with # and carry pauses (commas)
	// followed by FAC, CMC or DTMF digits.
	DestinationSpeedDial
	// DestinationRemote is a remote destination (single number reach): a
	// phone the user carries, so digits with an optional leading + only.
	DestinationRemote
)

// kindNames are the text forms used in JSON policies.
var kindNames = [...]string{
	DestinationForward:   "forward",
	DestinationSpeedDial: "speedDial",
	DestinationRemote:    "remoteDestination",
}

func (k DestinationKind) valid() bool {
	return k >= DestinationForward && k <= DestinationRemote
}

// String returns the kind's text form: "forward", "speedDial" or
// "remoteDestination".
func (k DestinationKind) String() string {
	if !k.valid() {
		return "DestinationKind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// MarshalText writes the text form, so that a policy's kinds read well in
// JSON.
func (k DestinationKind) MarshalText() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("selfcare: unknown destination kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads the text form written by MarshalText.
func (k *DestinationKind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = DestinationKind(i)
			return nil
		}
	}
	return fmt.Errorf("selfcare: unknown destination kind %q", b)
}

// Limits of the grammar. They bound what a person can mean, not what a
// switch can store: the longest real dial string is an access code, an
// international prefix and 15 E.164 digits, about 20 characters.
const (
	// MaxNumberLength bounds a number, counting its +, * or terminating #.
	MaxNumberLength = 32
	// MaxE164Digits bounds the digits after a + (ITU-T E.164).
	MaxE164Digits = 15
	// MaxSpeedDialLength bounds a whole speed dial string, pauses and
	// digits sent after them included.
	MaxSpeedDialLength = 64
	// MaxURILength bounds a directory URI, as an e-mail address is bound.
	MaxURILength = 254
	// MaxURIUserLength bounds the part of a directory URI before the @.
	MaxURIUserLength = 64
)

// Codes of a [DestinationError]: what a caller may branch on. The message
// is for the person; the code is for programs and tests.
const (
	DestErrEmpty      = "empty"       // nothing typed
	DestErrCharacters = "characters"  // a character that is never allowed here
	DestErrSeparators = "separators"  // spaces, dashes, parentheses, dots, slashes
	DestErrFormat     = "format"      // allowed characters in the wrong place
	DestErrTooLong    = "too_long"    // longer than the maximum in Max
	DestErrCommaRules = "comma_rules" // a pause where none may be
	DestErrURI        = "uri"         // a directory URI that is not user@host
	DestErrKind       = "kind"        // the caller passed no valid kind
	DestErrClass      = "class"       // refused by the destination class in Class
	DestErrSelf       = "self"        // a line forwarded to itself
	DestErrInternal   = "internal"    // a directory line as an additional phone
	DestErrLoop       = "loop"        // a forwarding loop, listed in Path
	DestErrHops       = "hops"        // a chain longer than Max forwards
)

// DestinationError refuses a destination: bad grammar, a class that does
// not allow it, or a forward that would loop. errors.Is(err, [ErrInvalid])
// is true for it. Its Message never repeats a control character or other
// invisible text from the input.
type DestinationError struct {
	// Code is one of the DestErr constants.
	Code string
	// Message is one or two sentences for the person who typed the input:
	// what is wrong and what is allowed.
	Message string
	// Suggestion is, for separators, the input without them when that is
	// itself a valid destination: the form the user could type instead.
	// The portal shows it; it never saves it on the user's behalf.
	Suggestion string
	// Max is the limit broken, for too_long (characters or digits) and
	// hops (forwards in a chain).
	Max int
	// Class names the destination class that refused, for class; empty
	// when no class matched.
	Class string
	// Path lists the lines of a refused forwarding chain, for self, loop
	// and hops: first the line being saved, except for hops when other
	// lines forward to it, where the chain starts at the farthest of them.
	Path []string
}

// Error returns the code and the message.
func (e *DestinationError) Error() string {
	return "selfcare: invalid destination (" + e.Code + "): " + e.Message
}

// Is reports whether target is [ErrInvalid].
func (e *DestinationError) Is(target error) bool { return target == ErrInvalid }

// Destination is a parsed destination, exactly as typed: String returns the
// input that [ParseDestination] accepted. Either Number or URI is set.
type Destination struct {
	// Kind is the setting the destination was parsed for.
	Kind DestinationKind
	// Number is the number to dial: ASCII digits with an optional leading
	// + or * (never both), and for a speed dial an optional terminating #.
	// It excludes a speed dial's pauses.
	Number string
	// URI is a directory URI, user@host, in ASCII.
	URI string
	// PostDial is, for a speed dial, everything from the first comma on:
	// pauses of 2 seconds each and the FAC, CMC or DTMF digits sent after
	// them, such as ",1234,5678#". Empty otherwise.
	PostDial string
}

// String returns the destination as the user typed it.
func (d Destination) String() string {
	if d.URI != "" {
		return d.URI
	}
	return d.Number + d.PostDial
}

// IsURI reports whether d is a directory URI rather than a number.
func (d Destination) IsURI() bool { return d.URI != "" }

// NeedsLabel reports whether the reference requires a label for this speed
// dial: it does whenever the string carries FAC, CMC or DTMF digits after a
// pause, because the phone would otherwise display those codes.
func (d Destination) NeedsLabel() bool { return d.PostDial != "" }

// PostDialStep is one pause and the digits sent after it.
type PostDialStep struct {
	// Pause is the wait before Digits, in 2-second units (one per comma).
	Pause int
	// Digits are the DTMF digits sent: 0-9, * and #.
	Digits string
}

// PostDialSteps splits PostDial into its steps, so that a page can show a
// person what the phone will send and when. The reference's order is: the
// forced authorization code (FAC) first, then the client matter code (CMC)
// after exactly one comma, then any other DTMF digits.
func (d Destination) PostDialSteps() []PostDialStep {
	var steps []PostDialStep
	rest := d.PostDial
	for rest != "" {
		n := len(rest) - len(strings.TrimLeft(rest, ","))
		rest = rest[n:]
		i := strings.IndexByte(rest, ',')
		if i < 0 {
			i = len(rest)
		}
		steps = append(steps, PostDialStep{Pause: n, Digits: rest[:i]})
		rest = rest[i:]
	}
	return steps
}

// ParseDestination parses s, a destination typed by a user for the given
// kind, and returns it unchanged or refuses it with a [*DestinationError].
//
// Accepted are, for every kind, ASCII digits with an optional leading +
// (an E.164 number: 1 to 15 digits, the first not 0); for forwards and
// speed dials, also a leading * (an internal feature-style extension such
// as *4021) and a directory URI user@host; for speed dials, also a
// terminating # after the number, then pauses: each comma waits 2 seconds,
// and each run of commas must be followed by digits, * or # to send. At
// most [MaxNumberLength] characters for the number, [MaxSpeedDialLength]
// for a whole speed dial, [MaxURILength] for a URI.
//
// Refused, with the code in brackets: nothing at all, or only spaces
// [empty]; letters outside a URI, digits of other scripts, control and
// invisible characters, markup and other punctuation [characters]; spaces,
// dashes, parentheses, dots and slashes in a number, and dashes, dots and
// underscores in a URI whose user part is otherwise a number, such as
// 9-9-9@host [separators], with the form to type instead in Suggestion;
// +, *, # out of place [format]; a comma outside a speed dial or in the
// wrong place [comma_rules]; a URI
// that is not a plain user@host [uri]; too many characters [too_long].
//
// ParseDestination checks the grammar only; whether the user may send
// calls there is the [DestinationPolicy]'s decision.
func ParseDestination(s string, kind DestinationKind) (Destination, error) {
	if !kind.valid() {
		return Destination{}, &DestinationError{Code: DestErrKind,
			Message: fmt.Sprintf("Unknown destination kind %d.", uint8(kind))}
	}
	if strings.TrimLeft(s, " ") == "" {
		return Destination{}, &DestinationError{Code: DestErrEmpty,
			Message: "Enter a " + kind.noun() + "."}
	}

	// Characters that are never allowed in any form come first, so that
	// no suggestion is ever built from text with hidden content.
	sc, err := scanDestination(s, kind)
	if err != nil {
		return Destination{}, err
	}
	if sc.at {
		return parseURI(s, kind)
	}
	if sc.separators {
		return Destination{}, separatorsError(s, kind)
	}
	return parseNumber(s, kind)
}

// noun names the kind in a sentence.
func (k DestinationKind) noun() string {
	switch k {
	case DestinationSpeedDial:
		return "speed dial number or directory URI"
	case DestinationRemote:
		return "phone number"
	default:
		return "number or directory URI to forward to"
	}
}

// allowedText says, per kind, what may be typed; every refusal for bad
// characters ends with it.
func (k DestinationKind) allowedText() string {
	switch k {
	case DestinationSpeedDial:
		return "Use the digits 0-9, optionally starting with + or * and " +
			"ending with #, then commas for 2-second pauses each followed " +
			"by digits, * or #; or a directory URI such as name@example.com."
	case DestinationRemote:
		return "Use the digits 0-9, optionally starting with +."
	default:
		return "Use the digits 0-9, optionally starting with + or *, or a " +
			"directory URI such as name@example.com."
	}
}

// destScan is what one pass over the input found.
type destScan struct {
	at         bool // an @: the input is meant as a URI
	separators bool // a character a person types between digit groups
}

// scanDestination refuses characters that no form allows, and notes
// whether the input is meant as a URI and whether it has separators.
func scanDestination(s string, kind DestinationKind) (destScan, error) {
	var sc destScan
	sc.at = strings.IndexByte(s, '@') >= 0
	pos := 0
	for i, r := range s {
		pos++
		size := utf8.RuneLen(r)
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			size = 1
		}
		if what := neverAllowed(r, size); what != "" {
			return sc, charactersError(kind, notAllowed(what, pos))
		}
		switch c := byte(r); {
		case r >= 0x80 || isSeparator(c):
			// Only Unicode spaces and dashes pass neverAllowed: they come
			// from copying a number out of a document.
			sc.separators = true
		case sc.at:
			// parseURI has its own character set.
		case isLetter(c) && kind == DestinationRemote:
			return sc, charactersError(kind, "Letters are not allowed.")
		case isLetter(c):
			return sc, charactersError(kind, "Letters are allowed only in a "+
				"directory URI (name@host).")
		case !isDigit(c) && c != '+' && c != '*' && c != '#' && c != ',':
			return sc, charactersError(kind, notAllowed(
				"The character "+strconv.QuoteRune(r), pos))
		}
	}
	return sc, nil
}

// neverAllowed describes r when no destination may contain it, or returns
// "". size 1 with RuneError marks a byte that is not UTF-8.
func neverAllowed(r rune, size int) string {
	switch {
	case r == utf8.RuneError && size == 1:
		return "A byte that is not text (not UTF-8)"
	case r == '\t':
		return "A tab"
	case r == '\n' || r == '\r':
		return "A line break"
	case unicode.IsControl(r):
		return fmt.Sprintf("The control character U+%04X", r)
	case r < 0x80:
		return ""
	case unicode.IsDigit(r):
		return fmt.Sprintf("The digit U+%04X from another script", r)
	case unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Pd, r) || r == '\u2212':
		return ""
	case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs,
		unicode.Cn):
		return fmt.Sprintf("The invisible character U+%04X", r)
	default:
		return fmt.Sprintf("The character U+%04X", r)
	}
}

// notAllowed makes the sentence refusing what, found at pos (counted in
// characters from 1).
func notAllowed(what string, pos int) string {
	return fmt.Sprintf("%s is not allowed (position %d).", what, pos)
}

// charactersError refuses a character with a sentence, then says what is
// allowed.
func charactersError(kind DestinationKind, sentence string) *DestinationError {
	return &DestinationError{Code: DestErrCharacters,
		Message: sentence + " " + kind.allowedText()}
}

// separatorName lists what separatorsError refuses, for its message.
const separatorName = "Spaces, dashes, parentheses, dots and slashes are not allowed"

func isSeparator(c byte) bool {
	return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/'
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// separatorsError refuses a number typed with separators and, when the
// number without them is valid, shows that form. Nothing is stripped on
// the user's behalf: they type the suggestion, or fix what the message
// says, and see exactly what will be saved.
func separatorsError(s string, kind DestinationKind) *DestinationError {
	stripped := strings.Map(func(r rune) rune {
		if r >= 0x80 || isSeparator(byte(r)) {
			return -1
		}
		return r
	}, s)
	e := &DestinationError{Code: DestErrSeparators}
	if stripped == "" {
		e.Message = separatorName + ". Enter a " + kind.noun() + "."
		return e
	}
	if _, err := ParseDestination(stripped, kind); err != nil {
		var de *DestinationError
		errors.As(err, &de)
		e.Message = separatorName + "; without them the entry is still not " +
			"valid: " + de.Message
		if de.Code == DestErrTooLong {
			e.Max = de.Max
		}
		return e
	}
	e.Suggestion = stripped
	e.Message = separatorName + ". Type it as " + stripped + "."
	return e
}

// parseNumber parses an input made only of digits and + * # , characters
// (the scan refused everything else outside a URI).
func parseNumber(s string, kind DestinationKind) (Destination, error) {
	// Split off a speed dial's pauses.
	number, post, comma := strings.Cut(s, ",")
	if comma {
		post = "," + post
		if err := checkPostDial(number, post, kind); err != nil {
			return Destination{}, err
		}
	}
	if err := checkNumber(number, kind); err != nil {
		return Destination{}, err
	}
	if len(s) > MaxSpeedDialLength {
		return Destination{}, tooLong(MaxSpeedDialLength, "A speed dial")
	}
	return Destination{Kind: kind, Number: number, PostDial: post}, nil
}

// tooLong refuses an input over max characters.
func tooLong(max int, what string) *DestinationError {
	return &DestinationError{Code: DestErrTooLong, Max: max,
		Message: fmt.Sprintf("%s has at most %d characters.", what, max)}
}

// checkNumber checks the number before any pause.
func checkNumber(n string, kind DestinationKind) error {
	format := func(msg string) error {
		return &DestinationError{Code: DestErrFormat, Message: msg + " " + kind.allowedText()}
	}

	if n == "" {
		return format("A number needs digits.")
	}

	// A leading + or *, then digits, then for a speed dial one #.
	body := n
	lead := byte(0)
	if body[0] == '+' || body[0] == '*' {
		lead, body = body[0], body[1:]
	}
	if lead == '*' && kind == DestinationRemote {
		return format("A remote destination cannot start with *.")
	}
	if strings.HasSuffix(body, "#") {
		if kind != DestinationSpeedDial {
			return format("# is allowed only at the end of a speed dial number.")
		}
		body = body[:len(body)-1]
	}
	if i := strings.IndexAny(body, "+*#"); i >= 0 {
		switch {
		case body[i] == '#' && kind != DestinationSpeedDial:
			return format("# is allowed only at the end of a speed dial number.")
		case body[i] == '#':
			return format("# may only end a number.")
		default:
			return format("A + or * may only come first, and only one of them.")
		}
	}
	if body == "" {
		if lead != 0 {
			return format(fmt.Sprintf("Digits must follow the %c.", lead))
		}
		return format("A number needs digits before the #.")
	}

	if lead == '+' {
		if body[0] == '0' {
			return format("After +, the country code cannot start with 0.")
		}
		if len(body) > MaxE164Digits {
			return &DestinationError{Code: DestErrTooLong, Max: MaxE164Digits,
				Message: fmt.Sprintf("A number starting with + has at most %d "+
					"digits.", MaxE164Digits)}
		}
	}
	if len(n) > MaxNumberLength {
		return tooLong(MaxNumberLength, "A number")
	}
	return nil
}

// checkPostDial checks a speed dial's pauses and what follows them.
func checkPostDial(number, post string, kind DestinationKind) error {
	comma := func(msg string) error {
		return &DestinationError{Code: DestErrCommaRules, Message: msg}
	}
	if kind != DestinationSpeedDial {
		return comma("A comma (a 2-second pause) is allowed only in speed dials. " +
			kind.allowedText())
	}
	if number == "" {
		return comma("Start with the number to dial; commas add 2-second pauses " +
			"after it, each followed by the digits to send.")
	}
	if strings.HasSuffix(post, ",") {
		return comma("A speed dial cannot end with a comma: follow each pause " +
			"with the digits to send.")
	}
	if strings.IndexByte(post, '+') >= 0 {
		return &DestinationError{Code: DestErrFormat, Message: "A + may only " +
			"start the number; after a comma send digits, * or #."}
	}
	return nil
}

// parseURI parses an input with an @ as a directory URI. The scan has
// refused control, invisible and non-ASCII characters already.
func parseURI(s string, kind DestinationKind) (Destination, error) {
	uriErr := func(code, msg string) error {
		return &DestinationError{Code: code, Message: msg}
	}
	if kind == DestinationRemote {
		return Destination{}, uriErr(DestErrURI, "A remote destination is a "+
			"phone number, not a directory URI. "+kind.allowedText())
	}
	if len(s) > MaxURILength {
		return Destination{}, tooLong(MaxURILength, "A directory URI")
	}

	// A scheme is a common paste from a softphone; say what to drop.
	for _, scheme := range []string{"sip:", "sips:"} {
		if len(s) > len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			e := &DestinationError{Code: DestErrURI}
			if d, err := ParseDestination(s[len(scheme):], kind); err == nil {
				e.Suggestion = d.URI
				e.Message = "Leave out \"" + strings.ToLower(scheme) +
					"\" and type " + d.URI + "."
			} else {
				e.Message = "Leave out \"" + strings.ToLower(scheme) +
					"\" and type name@host."
			}
			return Destination{}, e
		}
	}

	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ',' {
			return Destination{}, uriErr(DestErrCommaRules, "Pauses (commas) "+
				"may follow a number, not a directory URI.")
		}
		if c >= 0x80 || !(isLetter(c) || isDigit(c) || strings.IndexByte("@._-+", c) >= 0) {
			return Destination{}, uriErr(DestErrCharacters, "A directory URI "+
				"contains only ASCII letters, digits and the characters . _ - + "+
				"before the @, and letters, digits, dots and dashes after it; "+
				describeByte(s, i)+" is not allowed.")
		}
	}

	user, host, _ := strings.Cut(s, "@")
	switch {
	case strings.IndexByte(host, '@') >= 0:
		return Destination{}, uriErr(DestErrURI, "A directory URI has one @.")
	case user == "" || host == "":
		return Destination{}, uriErr(DestErrURI, "A directory URI is name@host, "+
			"with text on both sides of the @.")
	case len(user) > MaxURIUserLength:
		return Destination{}, tooLong(MaxURIUserLength, "The name before the @")
	case numberUserSeparated(user):
		return Destination{}, uriNumberError(user, host, kind)
	case user[0] == '.' || user[len(user)-1] == '.' || strings.Contains(user, ".."):
		return Destination{}, uriErr(DestErrURI, "The name before the @ cannot "+
			"start or end with a dot or have two dots in a row.")
	}
	if msg := checkHost(host); msg != "" {
		return Destination{}, uriErr(DestErrURI, msg)
	}
	return Destination{Kind: kind, URI: s}, nil
}

// uriNumberUser returns the number that user, the part of a directory URI
// before the @, stands for when it is digits once the separators a person
// types (- . _ / ( ) and spaces) and any + but a leading one are set
// aside, and true; otherwise "" and false. A gateway may well dial
// 9-9-9@gw as 999, so the classes must judge it as that number.
func uriNumberUser(user string) (string, bool) {
	rest, plus := strings.CutPrefix(user, "+")
	var b strings.Builder
	if plus {
		b.WriteByte('+')
	}
	digits := 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case isDigit(c):
			digits++
			b.WriteByte(c)
		case !isSeparator(c) && c != '_' && c != '+':
			return "", false
		}
	}
	return b.String(), digits > 0
}

// numberUserSeparated reports whether user is a number typed with
// separators, which the grammar refuses rather than judge a form the user
// did not type.
func numberUserSeparated(user string) bool {
	plain, ok := uriNumberUser(user)
	return ok && plain != user
}

// uriNumberError refuses a directory URI whose user part is a number with
// separators, suggesting the plain form when that is valid.
func uriNumberError(user, host string, kind DestinationKind) *DestinationError {
	plain, _ := uriNumberUser(user)
	e := &DestinationError{Code: DestErrSeparators, Message: "The name before " +
		"the @ is a number: type it with digits only (and an optional leading +), " +
		"without dashes, dots, underscores or spaces."}
	if d, err := ParseDestination(plain+"@"+host, kind); err == nil {
		e.Suggestion = d.URI
		e.Message += " Type it as " + d.URI + "."
	}
	return e
}

// describeByte names the character at s[i] for a message, quoting it only
// when it is printable ASCII.
func describeByte(s string, i int) string {
	c := s[i]
	if c == ' ' {
		return "a space"
	}
	if c < 0x80 && c > ' ' && c != 0x7F {
		return "the character " + strconv.QuoteRune(rune(c))
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return fmt.Sprintf("the character U+%04X", r)
}

// checkHost checks a DNS host name: dot-separated labels of letters, digits
// and inner dashes. It returns a message, or "".
func checkHost(host string) string {
	switch {
	case host == "":
		return "The host after the @ is missing."
	case len(host) > 253:
		return "The host after the @ has at most 253 characters."
	}
	for label := range strings.SplitSeq(host, ".") {
		switch {
		case label == "":
			return "The host after the @ cannot start or end with a dot or " +
				"have two dots in a row."
		case len(label) > 63:
			return "Each part of the host between dots has at most 63 characters."
		case label[0] == '-' || label[len(label)-1] == '-':
			return "A part of the host cannot start or end with a dash."
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isLetter(c) && !isDigit(c) && c != '-' {
				return "The host after the @ contains only letters, digits, " +
					"dots and dashes."
			}
		}
	}
	return ""
}

// ErrBadDestinationPolicy means the destination policy in force does not
// compile, so every destination is refused until an administrator fixes
// it. It is the operator's problem, not the user's: it does not match
// [ErrInvalid].
var ErrBadDestinationPolicy = errors.New("selfcare: destination policy is not valid")

// DestinationSite holds what the classes need to know about the site's
// numbering plan. Its JSON form is part of [DestinationPolicy].
type DestinationSite struct {
	// CountryCode is the site's E.164 country code without +, such as
	// "1" or "44".
	CountryCode string `json:"countryCode"`
	// AccessCode is the outside-line access code, such as "9"; empty when
	// outside numbers are dialled without one.
	AccessCode string `json:"accessCode"`
	// InternationalPrefix is dialled before a country code, such as "011"
	// (North America) or "00".
	InternationalPrefix string `json:"internationalPrefix"`
	// NationalPrefix is dialled before a national number from outside its
	// area, such as "1" (North America) or "0"; it may be empty.
	NationalPrefix string `json:"nationalPrefix"`
	// ExtensionLengths are the digit counts of internal extensions.
	ExtensionLengths []int `json:"extensionLengths"`
	// URIDomains are the hosts of the site's own directory URIs; their
	// subdomains count too. Empty means no URI is internal.
	URIDomains []string `json:"uriDomains,omitempty"`
}

// Normalize returns the form in which the classes judge a number: the
// digits the switch would dial from this site. A speed dial's terminating #
// is dropped. A number with + is rewritten as dialled from here: with the
// site's own country code as AccessCode + NationalPrefix + the national
// number (so +14085550100 is checked as 914085550100 at a North American
// site), and with any other country code as AccessCode +
// InternationalPrefix + the digits (+441632960961 as 9011441632960961).
// Country codes are a prefix code, so the test is exact. Other numbers are
// returned unchanged. The result is for checking only; it is never stored.
func (s DestinationSite) Normalize(number string) string {
	number = strings.TrimSuffix(number, "#")
	rest, plus := strings.CutPrefix(number, "+")
	if !plus {
		return number
	}
	if s.CountryCode != "" {
		if national, ok := strings.CutPrefix(rest, s.CountryCode); ok {
			return s.AccessCode + s.NationalPrefix + national
		}
	}
	return s.AccessCode + s.InternationalPrefix + rest
}

// DestinationClass is one administrator-defined class of destinations,
// such as "international" or "internal extensions". The classes of a
// [DestinationPolicy] are tried in order and the first whose pattern
// matches decides.
//
// Patterns use a small syntax of our own, modelled on route patterns and
// matched against the whole normalized number ([DestinationSite.Normalize]):
//
//	0-9 *     literal characters
//	X         any one digit (x too)
//	[1-5]     one digit from a set: digits and ranges, such as [2-79];
//	          [^0] is any digit but those listed
//	!         one or more digits; only last
//	.         nothing: a visual separator, as in 9.011!
//	@host     a directory URI whose host is host (any case); @*.host
//	          for its subdomains, @* for any URI
//
// There is no + and no #: a number with + is matched in the form the site
// dials it (9011 44..., 9 1 408...), so one pattern covers both ways of
// typing it, and a speed dial's terminating # is dropped before matching.
// A URI whose user part is a number (4021@host, +441632960961@gw) must also
// be allowed as that number, so that a gateway cannot launder a number the
// classes refuse. A user part that is a number typed with separators
// (9-9-9@host, 909.123.4567@host) is refused by [ParseDestination], which
// asks for the plain number, so the number judged is the one typed.
type DestinationClass struct {
	// Name identifies the class in messages and logs, such as
	// "international".
	Name string `json:"name"`
	// Allowed says whether destinations of this class are accepted.
	Allowed bool `json:"allowed"`
	// Patterns are the class's patterns; any match selects the class.
	Patterns []string `json:"patterns"`
	// Kinds limits the class to these kinds; empty means every kind.
	Kinds []DestinationKind `json:"kinds,omitempty"`
	// Message is the sentence shown when the class refuses; empty means
	// "<Name> destinations are not allowed."
	Message string `json:"message,omitempty"`
}

// DestinationPolicy decides where users may send calls: ordered classes
// evaluated on the normalized number, and the site settings that
// normalization needs. A destination that no class matches is refused. It
// is a plain value an administrator configures; [DefaultDestinationPolicy]
// gives a starting point. Use [DestinationPolicy.Compile] once and keep
// the [DestinationChecker] on hot paths.
type DestinationPolicy struct {
	// Site is the numbering plan that normalization follows.
	Site DestinationSite `json:"site"`
	// Classes are tried in order; the first that matches decides.
	Classes []DestinationClass `json:"classes"`
}

// Limits on a policy, so that a configuration stays reviewable and a check
// stays cheap.
const (
	maxClasses         = 64
	maxClassPatterns   = 256
	maxPatternLength   = 64
	maxClassNameLength = 64
	maxClassMessage    = 200
)

// Names of the classes of [NewDestinationPolicy].
const (
	ClassEmergency     = "emergency"
	ClassOperator      = "operator"
	ClassPremium       = "premium"
	ClassInternational = "international"
	ClassInternal      = "internal"
	ClassNational      = "national"
)

// DefaultDestinationPolicy returns the policy of a North American site
// (country code 1, access code 9, international prefix 011, national
// prefix 1, four-digit extensions, no URI domains) as built by
// [NewDestinationPolicy]: internal extensions and national numbers are
// allowed; emergency, operator, premium and international numbers, and
// everything else, are refused.
func DefaultDestinationPolicy() DestinationPolicy {
	return NewDestinationPolicy(DestinationSite{
		CountryCode:         "1",
		AccessCode:          "9",
		InternationalPrefix: "011",
		NationalPrefix:      "1",
		ExtensionLengths:    []int{4},
	})
}

// NewDestinationPolicy builds the default classes for a site, in this
// order (A is the access code, I the international prefix, N the national
// prefix, E any digit 1-9 but the first of A, F any digit 1-9 but the
// first of N):
//
//  1. emergency, refused: 911, 112, 999, and each after A (an emergency
//     number that starts with A matches only as itself without A).
//  2. premium, refused: for country 1, A N 900, A N 976, A 900 and A 976;
//     for country 44, A N 9 and A 118. Other countries get no premium
//     class: add their ranges.
//  3. international, refused: A I, which is also where +<other country>
//     numbers normalize to, and I without A.
//  4. operator, refused: 0, 00, and each after A; for country 1, where
//     no national number starts with 0, anything starting with 0 or A 0.
//  5. internal, allowed: per extension length L, E and L-1 digits, * and L
//     digits, and the URI domains with their subdomains.
//  6. national, allowed: for country 1, the North American shapes after
//     A: NXX-XXXX, NPA-NXX-XXXX, and each after N (1), where NPA and NXX
//     are three digits starting 2-9 that are not an N11 service code; for
//     other countries, A F and six or more digits, and A N [1-9] and six
//     or more digits. +<site country> numbers normalize to A N and the
//     national number.
//
// The refused classes match by prefix: every pattern stands for itself
// and for itself followed by more digits, so that digits added to a
// refused number (9190055501001, 99115550100) or taken from it
// (+1900555010) do not carry it into a class that allows it. A switch
// that routes on the first digits it recognises would still dial the
// refused number. The cost is that an extension starting with an
// emergency number, such as 1120, is refused; a site that has them puts
// an allowed class for them first. National numbers outside country 1
// stay loose about length, so that the class fits any country; a site
// that knows its numbering plan should tighten it. Call Validate on the
// result when site came from an administrator.
func NewDestinationPolicy(site DestinationSite) DestinationPolicy {
	a, n, i := site.AccessCode, site.NationalPrefix, site.InternationalPrefix
	nanp := site.CountryCode == "1"

	var classes []DestinationClass
	add := func(name string, allowed bool, msg string, patterns ...string) {
		classes = append(classes, DestinationClass{Name: name, Allowed: allowed,
			Patterns: dedupe(patterns), Message: msg})
	}
	// prefixed makes each pattern match itself and its longer forms.
	prefixed := func(ps ...string) []string {
		out := make([]string, 0, 2*len(ps))
		for _, p := range ps {
			out = append(out, p, p+"!")
		}
		return out
	}

	// An emergency number without the access code is matched by prefix
	// only when it does not start with the access code: 911 longer is 9
	// and 11..., an outside number that the classes below judge.
	var emergency []string
	for _, code := range []string{"911", "112", "999"} {
		if a != "" && strings.HasPrefix(code, a) {
			emergency = append(emergency, code)
		} else {
			emergency = append(emergency, prefixed(code)...)
		}
		emergency = append(emergency, prefixed(a+code)...)
	}
	add(ClassEmergency, false, "Emergency numbers cannot be a destination; "+
		"dial them directly.", emergency...)
	switch site.CountryCode {
	case "1":
		add(ClassPremium, false, "Premium-rate numbers are not allowed.",
			prefixed(a+n+"900", a+n+"976", a+"900", a+"976")...)
	case "44":
		add(ClassPremium, false, "Premium-rate numbers are not allowed.",
			prefixed(a+n+"9", a+"118")...)
	}
	// International comes before operator: in North America the
	// international prefix starts with the operator's 0.
	add(ClassInternational, false, "International numbers are not allowed.",
		a+i+"!", i+"!")
	operator := []string{"0", "00", a + "0", a + "00"}
	if nanp {
		// Elsewhere national numbers may start with 0, as the national
		// prefix or as part of the number.
		operator = prefixed("0", a+"0")
	}
	add(ClassOperator, false, "The operator cannot be a destination.", operator...)

	var internal []string
	for _, l := range site.ExtensionLengths {
		if l < 1 || l > MaxNumberLength-1 {
			continue // Validate reports it
		}
		internal = append(internal, firstDigitsExcept(a)+strings.Repeat("X", l-1),
			"*"+strings.Repeat("X", l))
	}
	for _, d := range site.URIDomains {
		internal = append(internal, "@"+d, "@*."+d)
	}
	if len(internal) > 0 {
		add(ClassInternal, true, "", internal...)
	}

	var national []string
	if nanp {
		national = nanpNational(a, n)
	} else {
		local := firstDigitsExcept(n)
		national = []string{a + local + "XXXXXX", a + local + "XXXXXX!"}
		if n != "" {
			national = append(national, a+n+"[1-9]XXXXXX", a+n+"[1-9]XXXXXX!")
		}
	}
	add(ClassNational, true, "", national...)

	return DestinationPolicy{Site: site, Classes: classes}
}

// nanpNational returns the national patterns of a North American site
// with access code a and national prefix n: seven digits (NXX-XXXX), ten
// (NPA-NXX-XXXX), and each after n, the seven-digit form being the older
// toll call within one area code. NPA and NXX start with 2-9, and an N11
// code (211 to 911) is a service code, never an area or exchange.
func nanpNational(a, n string) []string {
	codes := []string{"[2-9][02-9]X", "[2-9]1[02-9]"}
	var numbers []string
	for _, nxx := range codes {
		numbers = append(numbers, nxx+"XXXX")
	}
	for _, npa := range codes {
		for _, nxx := range codes {
			numbers = append(numbers, npa+nxx+"XXXX")
		}
	}
	var out []string
	for _, num := range numbers {
		out = append(out, a+num)
		if n != "" {
			out = append(out, a+n+num)
		}
	}
	return out
}

// firstDigitsExcept returns a pattern set of the digits 1-9 but the first
// digit of code, such as "[1-8]" for access code 9.
func firstDigitsExcept(code string) string {
	skip := byte(0)
	if code != "" {
		skip = code[0]
	}
	var b strings.Builder
	b.WriteString("[")
	for lo := byte('1'); lo <= '9'; lo++ {
		if lo == skip {
			continue
		}
		hi := lo
		for hi < '9' && hi+1 != skip {
			hi++
		}
		b.WriteByte(lo)
		if hi > lo {
			b.WriteString("-")
			b.WriteByte(hi)
		}
		lo = hi
	}
	b.WriteString("]")
	return b.String()
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Validate reports every problem of the policy in one [*ValidationError]
// whose fields are paths such as "site.countryCode" or
// "classes[2].patterns[0]", or returns nil.
func (p DestinationPolicy) Validate() error {
	_, err := p.compile()
	return err
}

// DestinationChecker is a compiled [DestinationPolicy]. It is immutable
// and safe for concurrent use.
type DestinationChecker struct {
	site    DestinationSite
	classes []compiledClass
}

type compiledClass struct {
	DestinationClass
	patterns []destPattern
}

// Compile validates the policy and compiles its patterns once. It returns
// the [*ValidationError] of Validate when the policy is not valid.
func (p DestinationPolicy) Compile() (*DestinationChecker, error) {
	return p.compile()
}

// Check compiles the policy and checks d. It suits one-off checks; a
// service keeps the checker of [DestinationPolicy.Compile]. An invalid
// policy refuses every destination with [ErrBadDestinationPolicy].
func (p DestinationPolicy) Check(d Destination) error {
	c, err := p.compile()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadDestinationPolicy, err)
	}
	return c.Check(d)
}

func (p DestinationPolicy) compile() (*DestinationChecker, error) {
	v := &ValidationError{}
	digits := func(field, val string, min, max int) {
		ok := len(val) >= min && len(val) <= max
		for i := 0; ok && i < len(val); i++ {
			ok = isDigit(val[i])
		}
		if !ok {
			v.add(field, fmt.Sprintf("Must be %d to %d digits.", min, max))
		}
	}

	// The site.
	s := p.Site
	digits("site.countryCode", s.CountryCode, 1, 3)
	if s.CountryCode != "" && s.CountryCode[0] == '0' {
		v.add("site.countryCode", "A country code does not start with 0.")
	}
	digits("site.accessCode", s.AccessCode, 0, 4)
	digits("site.internationalPrefix", s.InternationalPrefix, 1, 4)
	digits("site.nationalPrefix", s.NationalPrefix, 0, 2)
	for i, l := range s.ExtensionLengths {
		field := fmt.Sprintf("site.extensionLengths[%d]", i)
		switch {
		case l < 1 || l > MaxNumberLength-1:
			v.add(field, fmt.Sprintf("Must be 1 to %d.", MaxNumberLength-1))
		case slices.Contains(s.ExtensionLengths[:i], l):
			v.add(field, fmt.Sprintf("%d is listed twice.", l))
		}
	}
	for i, d := range s.URIDomains {
		field := fmt.Sprintf("site.uriDomains[%d]", i)
		switch {
		case checkHost(d) != "":
			v.add(field, "Must be a host name such as example.com.")
		case slices.ContainsFunc(s.URIDomains[:i], func(e string) bool {
			return strings.EqualFold(e, d)
		}):
			v.add(field, d+" is listed twice (host names ignore case).")
		}
	}

	// The classes. None would refuse every destination, which is never
	// what an administrator means.
	switch {
	case len(p.Classes) == 0:
		v.add("classes", "With no classes every destination would be refused; "+
			"add at least one class.")
	case len(p.Classes) > maxClasses:
		v.add("classes", fmt.Sprintf("At most %d classes.", maxClasses))
	}
	c := &DestinationChecker{site: s}
	// The checker keeps copies, so that a caller changing its policy
	// afterwards cannot change a checker in use.
	c.site.ExtensionLengths = slices.Clone(s.ExtensionLengths)
	c.site.URIDomains = slices.Clone(s.URIDomains)
	seen := map[string]bool{}
	patterns := patternsSeen{}
	for i, cl := range p.Classes {
		field := fmt.Sprintf("classes[%d]", i)
		if msg := checkClassText(cl.Name, maxClassNameLength, true); msg != "" {
			v.add(field+".name", msg)
		} else if seen[strings.ToLower(cl.Name)] {
			v.add(field+".name", "Another class has this name (names ignore case).")
		}
		seen[strings.ToLower(cl.Name)] = true
		if msg := checkClassText(cl.Message, maxClassMessage, false); msg != "" {
			v.add(field+".message", msg)
		}
		for j, k := range cl.Kinds {
			switch {
			case !k.valid():
				v.add(fmt.Sprintf("%s.kinds[%d]", field, j), "Unknown kind.")
			case slices.Contains(cl.Kinds[:j], k):
				v.add(fmt.Sprintf("%s.kinds[%d]", field, j), k.String()+
					" is listed twice.")
			}
		}
		switch {
		case len(cl.Patterns) == 0:
			v.add(field+".patterns", "A class needs at least one pattern.")
		case len(cl.Patterns) > maxClassPatterns:
			v.add(field+".patterns", fmt.Sprintf("At most %d patterns.",
				maxClassPatterns))
		}
		cc := compiledClass{DestinationClass: cl}
		cc.Kinds, cc.Patterns = slices.Clone(cl.Kinds), nil
		for j, text := range cl.Patterns {
			pat, err := compileDestPattern(text)
			if err != "" {
				v.add(fmt.Sprintf("%s.patterns[%d]", field, j), err)
				continue
			}
			if msg := patterns.duplicate(pat, i, j, cl); msg != "" {
				v.add(fmt.Sprintf("%s.patterns[%d]", field, j), msg)
			}
			cc.patterns = append(cc.patterns, pat)
		}
		c.classes = append(c.classes, cc)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// patternsSeen remembers where each compiled pattern of a policy was
// first written, so that a pattern written twice is refused: in one class
// it is a typo, and in a later class that applies to no kind the earlier
// one does not, it could never decide.
type patternsSeen map[string]patternPlace

// patternPlace is where a pattern was first written.
type patternPlace struct {
	class, pattern int
	name           string
	kinds          []DestinationKind
}

// duplicate records p, pattern j of class i (cl), and describes the
// earlier place that makes it a duplicate, or returns "".
func (ps patternsSeen) duplicate(p destPattern, i, j int, cl DestinationClass) string {
	key := p.key()
	first, dup := ps[key]
	if !dup {
		ps[key] = patternPlace{class: i, pattern: j, name: cl.Name, kinds: cl.Kinds}
		return ""
	}
	if first.class == i {
		return fmt.Sprintf("The same pattern as patterns[%d] of this class.",
			first.pattern)
	}
	// An earlier class that leaves out some kind of this one lets the
	// pattern decide for that kind here.
	covers := len(first.kinds) == 0 || len(cl.Kinds) > 0 &&
		!slices.ContainsFunc(cl.Kinds, func(k DestinationKind) bool {
			return !slices.Contains(first.kinds, k)
		})
	if !covers {
		return ""
	}
	return fmt.Sprintf("The same pattern as classes[%d].patterns[%d] of class %q, "+
		"which comes first and decides, so this one never would.", first.class,
		first.pattern, first.name)
}

// key is a text that two patterns share exactly when they match the same
// destinations as written: [1-8]XXX and [1-8]xxx, 9011! and 9.011!.
func (p destPattern) key() string {
	if p.uri {
		return fmt.Sprintf("@%t:%s", p.sub, p.host)
	}
	return fmt.Sprintf("%x:%t", p.sets, p.tail)
}

// checkClassText checks a class's name or message: printable, bounded.
func checkClassText(s string, max int, required bool) string {
	switch {
	case s == "" && required:
		return "Required."
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("At most %d characters.", max)
	case !utf8.ValidString(s):
		return "Must be text (UTF-8)."
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "No control or invisible characters."
		}
	}
	return ""
}

// Check reports whether the policy allows d: nil, or a [*DestinationError]
// with code class that names the refusing class (or none, when no class
// matched), or whatever [ParseDestination] says of d.String() when d was
// not built by it. A nil checker refuses everything with
// [ErrBadDestinationPolicy].
func (c *DestinationChecker) Check(d Destination) error {
	if c == nil {
		return ErrBadDestinationPolicy
	}

	// A hand-built Destination must not slip past the grammar.
	if parsed, err := ParseDestination(d.String(), d.Kind); err != nil {
		return err
	} else if parsed != d {
		return &DestinationError{Code: DestErrFormat,
			Message: "The destination's parts are not in their parsed form."}
	}

	if d.IsURI() {
		user, host, _ := strings.Cut(d.URI, "@")
		if err := c.decide(d.Kind, "", host); err != nil {
			return err
		}
		if number, ok := uriNumberUser(user); ok {
			return c.decide(d.Kind, c.site.Normalize(number), "")
		}
		return nil
	}
	return c.decide(d.Kind, c.site.Normalize(d.Number), "")
}

// decide runs the classes in order on a normalized number, or on a URI
// host when host is set.
func (c *DestinationChecker) decide(kind DestinationKind, number, host string) error {
	if cl := c.classOf(kind, number, host); cl != nil {
		if cl.Allowed {
			return nil
		}
		msg := cl.Message
		if msg == "" {
			msg = cl.Name + " destinations are not allowed."
		}
		return &DestinationError{Code: DestErrClass, Class: cl.Name, Message: msg}
	}
	if host != "" {
		return &DestinationError{Code: DestErrClass, Message: "No destination " +
			"class allows this directory URI."}
	}
	return &DestinationError{Code: DestErrClass, Message: c.unmatchedMessage()}
}

// classOf returns the first class that matches a normalized number, or
// a URI host when host is set, for kind; nil when none does.
func (c *DestinationChecker) classOf(kind DestinationKind, number,
	host string) *compiledClass {
	for i := range c.classes {
		cl := &c.classes[i]
		if len(cl.Kinds) > 0 && !slices.Contains(cl.Kinds, kind) {
			continue
		}
		if slices.ContainsFunc(cl.patterns, func(p destPattern) bool {
			if host != "" {
				return p.matchHost(host)
			}
			return p.matchNumber(number)
		}) {
			return cl
		}
	}
	return nil
}

// isInternal reports whether the class that decides d, a number, is
// [ClassInternal]: a number of the site's own directory.
func (c *DestinationChecker) isInternal(d Destination) bool {
	if c == nil || d.IsURI() {
		return false
	}
	cl := c.classOf(d.Kind, c.site.Normalize(d.Number), "")
	return cl != nil && cl.Name == ClassInternal
}

// unmatchedMessage explains a refused number that no class matched, with
// the shapes this site dials.
func (c *DestinationChecker) unmatchedMessage() string {
	msg := "No destination class allows this number."
	if l := c.site.ExtensionLengths; len(l) > 0 {
		parts := make([]string, len(l))
		for i, n := range l {
			parts[i] = strconv.Itoa(n)
		}
		msg += " Internal extensions have " + strings.Join(parts, " or ") +
			" digits."
	}
	if c.site.AccessCode != "" {
		msg += " Outside numbers start with the access code " +
			c.site.AccessCode + ", or with +."
	}
	return msg
}

// Pattern alphabet: each position of a compiled pattern is a set of these
// bits. A normalized number holds nothing else.
const (
	patStar  = 1 << 10
	patDigit = 1<<10 - 1
)

// destPattern is one compiled class pattern.
type destPattern struct {
	// A number pattern: one set per position, and whether "one or more
	// digits" follows.
	sets []uint16
	tail bool
	// A URI pattern: host is "*" for any, or a host; sub matches its
	// subdomains instead of itself.
	uri  bool
	host string
	sub  bool
}

func patBit(c byte) uint16 {
	switch {
	case isDigit(c):
		return 1 << (c - '0')
	case c == '*':
		return patStar
	}
	return 0
}

// compileDestPattern compiles a pattern or returns why it is not valid.
func compileDestPattern(text string) (destPattern, string) {
	var p destPattern
	if text == "" {
		return p, "A pattern cannot be empty."
	}

	// A URI pattern is as long as its host; checkHost bounds that.
	if host, ok := strings.CutPrefix(text, "@"); ok {
		p.uri = true
		switch {
		case host == "*":
			p.host = "*"
			return p, ""
		case strings.HasPrefix(host, "*."):
			p.sub, host = true, host[2:]
		}
		if checkHost(host) != "" {
			return p, fmt.Sprintf("%q is not @host, @*.host or @*.", text)
		}
		p.host = strings.ToLower(host)
		return p, ""
	}

	if len(text) > maxPatternLength {
		return p, fmt.Sprintf("A pattern has at most %d characters.", maxPatternLength)
	}

	for i := 0; i < len(text); i++ {
		c := text[i]
		if p.tail {
			return p, "! may only end a pattern."
		}
		switch {
		case c == '.':
			continue
		case c == '!':
			p.tail = true
		case c == 'X' || c == 'x':
			p.sets = append(p.sets, patDigit)
		case c == '+':
			return p, "Patterns match numbers as dialled from the site, where " +
				"a + becomes the access code and the national or international " +
				"prefix: write 9011! rather than +!."
		case c == '#':
			return p, "Patterns have no #: a terminating # is dropped before " +
				"matching."
		case patBit(c) != 0:
			p.sets = append(p.sets, patBit(c))
		case c == '[':
			end := strings.IndexByte(text[i:], ']')
			if end < 0 {
				return p, "A [ is not closed by ]."
			}
			set, msg := compileDigitSet(text[i+1 : i+end])
			if msg != "" {
				return p, msg
			}
			p.sets = append(p.sets, set)
			i += end
		default:
			return p, fmt.Sprintf("%s is not allowed in a pattern; use digits, "+
				"X, [ ], !, * and dots.", describeByte(text, i))
		}
	}
	if len(p.sets) == 0 && !p.tail {
		return p, "A pattern must match at least one character."
	}
	return p, ""
}

// compileDigitSet compiles the inside of [ ]: digits and ranges, with an
// optional leading ^ for "all digits but these".
func compileDigitSet(in string) (uint16, string) {
	var set uint16
	neg := false
	if strings.HasPrefix(in, "^") {
		neg, in = true, in[1:]
	}
	for i := 0; i < len(in); i++ {
		c := in[i]
		if !isDigit(c) {
			return 0, "Inside [ ] use only digits, ranges such as 2-7, and a " +
				"leading ^."
		}
		hi := c
		if i+2 < len(in) && in[i+1] == '-' {
			hi = in[i+2]
			if !isDigit(hi) || hi < c {
				return 0, "A range inside [ ] goes from a digit up to a digit, " +
					"such as 2-7."
			}
			i += 2
		}
		for d := c; d <= hi; d++ {
			set |= patBit(d)
		}
	}
	if neg {
		set = patDigit &^ set
	}
	if set == 0 {
		return 0, "A [ ] set must allow at least one digit."
	}
	return set, ""
}

// matchNumber reports whether the whole number matches.
func (p destPattern) matchNumber(n string) bool {
	if p.uri || len(n) < len(p.sets) {
		return false
	}
	for i, set := range p.sets {
		if set&patBit(n[i]) == 0 {
			return false
		}
	}
	rest := n[len(p.sets):]
	if !p.tail {
		return rest == ""
	}
	return rest != "" && strings.Trim(rest, "0123456789") == ""
}

// matchHost reports whether a URI's host matches, ignoring ASCII case.
func (p destPattern) matchHost(host string) bool {
	switch {
	case !p.uri:
		return false
	case p.host == "*":
		return true
	case p.sub:
		return len(host) > len(p.host)+1 &&
			strings.EqualFold(host[len(host)-len(p.host)-1:], "."+p.host)
	default:
		return strings.EqualFold(host, p.host)
	}
}

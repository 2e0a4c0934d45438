package reachability

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Limits of the host grammar (RFC 1035 §2.3.4, RFC 1123 §2.1).
const (
	maxNameLen  = 253
	maxLabelLen = 63
	// maxInputLen bounds the work done on hostile input before any other
	// rule runs: the longest valid target is a 253-byte name plus ":65535".
	maxInputLen = maxNameLen + len(":65535")
)

// Target is a parsed, normalized probe target.
type Target struct {
	// Host is a lower-case DNS name, or the canonical text of an IP
	// address (without brackets) when Addr is valid.
	Host string
	// Addr is the address when Host is an IP literal; otherwise the zero
	// value, and the name must be resolved.
	Addr netip.Addr
	// Port is the TCP port of the HTTP probe; 0 means none was given
	// and the probe uses port 80.
	Port uint16
}

// IsLiteral reports whether the target names an address rather than a
// DNS name.
func (t Target) IsLiteral() bool { return t.Addr.IsValid() }

// HTTPPort returns the port of the HTTP probe: Port, or 80 when none.
func (t Target) HTTPPort() uint16 {
	if t.Port == 0 {
		return 80
	}
	return t.Port
}

// String returns the normalized target as it appears in a URL authority:
// IPv6 literals always bracketed, the port only when one was given. Equal
// targets have equal strings, so it serves as the key for coalescing and
// caching.
func (t Target) String() string {
	h := t.Host
	if t.Addr.Is6() {
		h = "[" + h + "]"
	}
	if t.Port == 0 {
		return h
	}
	return h + ":" + strconv.Itoa(int(t.Port))
}

// ParseHost parses a probe target:
//
//	target = host [ ":" port ] / "[" IPv6 "]" [ ":" port ] / IPv6
//	host   = DNS name / dotted-quad IPv4
//
// A DNS name is 1 to 253 bytes of labels of letters, digits and hyphens,
// 1 to 63 bytes each, not starting or ending with a hyphen, without a
// trailing dot; internationalized names must be given in their xn-- form.
// An IPv4 address must be four decimal octets without leading zeros: a host
// whose last label is a number (decimal, or hex with 0x) is taken as an
// attempt at an IPv4 address, so 127.1, 0177.0.0.1, 0x7f000001 and
// 2130706433 are refused rather than handed to a resolver that might
// accept them. An IPv6 literal may be written without brackets only when no
// port follows; zone identifiers are refused. The port is decimal, 1 to
// 65535, without leading zeros.
//
// Everything else (user info, paths, queries, fragments, percent encoding,
// whitespace, control and non-ASCII characters) is refused. Every error
// wraps [ErrInvalidHost].
func ParseHost(s string) (Target, error) {
	if s == "" {
		return Target{}, invalidf("empty host")
	}
	if len(s) > maxInputLen {
		return Target{}, invalidf("longer than %d bytes", maxInputLen)
	}

	// One pass over the bytes settles every character-level trick before
	// any parser sees the string.
	for i := 0; i < len(s); i++ {
		if !hostByte(s[i]) {
			return Target{}, invalidf("character %q at offset %d is not allowed", s[i], i)
		}
	}

	switch {
	case s[0] == '[':
		return parseBracketed(s)
	case strings.Count(s, ":") > 1:
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() {
			return Target{}, invalidf("not an IPv6 address (a port needs brackets)")
		}
		return Target{Host: a.String(), Addr: a}, nil
	}

	host, portText, hasPort := strings.Cut(s, ":")
	var port uint16
	if hasPort {
		p, err := parsePort(portText)
		if err != nil {
			return Target{}, err
		}
		port = p
	}
	if strings.ContainsAny(host, "[]") {
		return Target{}, invalidf("brackets are only for IPv6 addresses")
	}

	if endsInNumber(host) {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is4() {
			return Target{}, invalidf("%q is not a dotted-quad IPv4 address", host)
		}
		return Target{Host: a.String(), Addr: a, Port: port}, nil
	}
	if err := checkName(host); err != nil {
		return Target{}, err
	}
	return Target{Host: strings.ToLower(host), Port: port}, nil
}

// hostByte reports whether b may appear anywhere in a target.
func hostByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return b == '-' || b == '.' || b == ':' || b == '[' || b == ']'
}

func parseBracketed(s string) (Target, error) {
	inner, rest, ok := strings.Cut(s[1:], "]")
	if !ok {
		return Target{}, invalidf("missing ]")
	}
	a, err := netip.ParseAddr(inner)
	if err != nil || !a.Is6() {
		return Target{}, invalidf("brackets must hold an IPv6 address")
	}
	t := Target{Host: a.String(), Addr: a}
	if rest == "" {
		return t, nil
	}
	portText, ok := strings.CutPrefix(rest, ":")
	if !ok {
		return Target{}, invalidf("unexpected text after ]")
	}
	if t.Port, err = parsePort(portText); err != nil {
		return Target{}, err
	}
	return t, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" || len(s) > 5 || s[0] == '0' || !allDigits(s) {
		return 0, invalidf("port %q is not a number from 1 to 65535", s)
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, invalidf("port %q is not a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// endsInNumber reports whether the last label of host is numeric, which
// makes the whole host an IPv4 address or nothing. The rule follows the
// WHATWG URL host parser, so that every spelling a lenient resolver might
// read as a number is settled here.
func endsInNumber(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if allDigits(last) {
		return true
	}
	hex, ok := strings.CutPrefix(strings.ToLower(last), "0x")
	if !ok {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if !strings.ContainsRune("0123456789abcdef", rune(hex[i])) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkName applies the LDH rule; the byte check has already run.
func checkName(name string) error {
	if len(name) > maxNameLen {
		return invalidf("name longer than %d bytes", maxNameLen)
	}
	for label := range strings.SplitSeq(name, ".") {
		switch {
		case label == "":
			return invalidf("empty label in %q", name)
		case len(label) > maxLabelLen:
			return invalidf("label longer than %d bytes", maxLabelLen)
		case label[0] == '-' || label[len(label)-1] == '-':
			return invalidf("label %q starts or ends with a hyphen", label)
		}
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidHost, fmt.Sprintf(format, args...))
}

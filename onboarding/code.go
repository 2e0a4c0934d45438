package onboarding

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CodeDigits is the number of digits of an activation code.
const CodeDigits = 16

// codeSpace is 10^16, the number of distinct activation codes.
const codeSpace uint64 = 1e16

// acceptBelow is the largest multiple of codeSpace that fits in 64 bits.
// Draws at or above it are thrown away, so that each code stands for exactly
// 1844 of the accepted draws and every code is equally likely; a plain
// modulo would favour the codes below 2^64 mod 10^16.
const acceptBelow = math.MaxUint64 / codeSpace * codeSpace

// maxDraws bounds the rejection loop. A fair source is rejected with a
// chance below 4 in 10,000 per draw, so this many rejections in a row say
// that the source is broken, not unlucky.
const maxDraws = 32

// maxCodeInput bounds what [Normalize] looks at, so that a huge request
// costs nothing.
const maxCodeInput = 64

// masked is what a [Plaintext] shows when it is printed, logged or encoded.
const masked = "[activation code]"

// Plaintext is an activation code in the clear, or what a phone offered as
// one. Printing, logging or encoding it shows "[activation code]" instead
// of the digits (it implements [fmt.Formatter], [slog.LogValuer] and
// [encoding.TextMarshaler] to that end), so that a code which reaches a log
// line or a JSON body by mistake does not leak. Use [Plaintext.Reveal] or
// [Plaintext.Grouped] where the code is meant to be shown.
type Plaintext string

// Reveal returns the code as it is, 16 digits for a valid code.
func (p Plaintext) Reveal() string { return string(p) }

// Grouped returns a valid code in four groups of four digits joined by
// dashes, such as "1234-5678-9012-3456", the form people read and type;
// [Normalize] accepts it back. Anything else comes back unchanged.
func (p Plaintext) Grouped() string {
	if !validCode(p) {
		return string(p)
	}
	s := string(p)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// String hides the code.
func (Plaintext) String() string { return masked }

// GoString hides the code.
func (Plaintext) GoString() string { return masked }

// Format hides the code whatever the verb.
func (Plaintext) Format(f fmt.State, _ rune) { io.WriteString(f, masked) }

// LogValue hides the code from log/slog handlers.
func (Plaintext) LogValue() slog.Value { return slog.StringValue(masked) }

// MarshalText hides the code from encoders such as encoding/json.
func (Plaintext) MarshalText() ([]byte, error) { return []byte(masked), nil }

// GenerateCode returns a new activation code: 16 decimal digits, every one
// of the 10^16 values equally likely. It reads 8 bytes at a time from r and
// discards draws that would make some codes likelier than others. A nil r
// means [crypto/rand.Reader]. It fails with the reader's error, or with
// [ErrRandom] when r never gives an acceptable draw.
func GenerateCode(r io.Reader) (Plaintext, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [8]byte
	for range maxDraws {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("onboarding: generating a code: %w", err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v < acceptBelow {
			return Plaintext(fmt.Sprintf("%0*d", CodeDigits, v%codeSpace)), nil
		}
	}
	return "", fmt.Errorf("onboarding: generating a code: %w", ErrRandom)
}

// errCodeFormat does not repeat the input, which may be a real code.
var errCodeFormat = fmt.Errorf("%w: code: an activation code is %d digits", ErrInvalid,
	CodeDigits)

// Normalize turns what a person typed or a phone sent into a code: ASCII
// spaces and dashes are dropped, and exactly 16 ASCII digits must remain.
// Anything else (letters, tabs, other scripts' digits, other dashes, the
// wrong number of digits) is refused with [ErrInvalid]; a code is never
// guessed at.
func Normalize(input string) (Plaintext, error) {
	if len(input) > maxCodeInput {
		return "", errCodeFormat
	}
	var b [CodeDigits]byte
	n := 0
	// Bytes, not runes: every byte of a multi-byte character is outside
	// the accepted set, so non-ASCII input is refused as it should be.
	for i := 0; i < len(input); i++ {
		switch c := input[i]; {
		case c == ' ' || c == '-':
		case '0' <= c && c <= '9' && n < CodeDigits:
			b[n] = c
			n++
		default:
			return "", errCodeFormat
		}
	}
	if n != CodeDigits {
		return "", errCodeFormat
	}
	return Plaintext(b[:]), nil
}

// validCode reports whether p is exactly 16 ASCII digits.
func validCode(p Plaintext) bool {
	if len(p) != CodeDigits {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// Device name prefixes. A phone provisioned with its MAC address is named
// "SEP" and the MAC; one provisioned without it gets a dummy name, "BAT" and
// 12 random hexadecimal digits, until it is activated.
const (
	PrefixMAC   = "SEP"
	PrefixDummy = "BAT"
)

// ParseMAC returns a MAC address as 12 upper-case hexadecimal digits. It
// accepts that form in either case, pairs separated by colons or dashes
// ("00:1B:54:AA:BB:CC"), and groups of four separated by dots
// ("001b.54aa.bbcc"). Multicast, broadcast and all-zero addresses are
// refused: no phone has one.
func ParseMAC(s string) (string, error) {
	var digits string
	switch len(s) {
	case 12:
		digits = s
	case 17:
		sep := s[2]
		if sep != ':' && sep != '-' {
			return "", errMAC
		}
		for i := 2; i < 17; i += 3 {
			if s[i] != sep {
				return "", errMAC
			}
		}
		digits = strings.ReplaceAll(s, string(sep), "")
	case 14:
		if s[4] != '.' || s[9] != '.' {
			return "", errMAC
		}
		digits = strings.ReplaceAll(s, ".", "")
	default:
		return "", errMAC
	}
	b, err := hex.DecodeString(digits)
	if err != nil || len(b) != 6 {
		return "", errMAC
	}
	if b[0]&1 == 1 || [6]byte(b) == [6]byte{} {
		return "", errMAC
	}
	return strings.ToUpper(digits), nil
}

var errMAC = fmt.Errorf("%w: mac: want 12 hexadecimal digits of a unicast address",
	ErrInvalid)

// validName reports whether name is a phone name this package handles:
// prefix "SEP" or "BAT" and 12 upper-case hexadecimal digits.
func validName(name string) bool {
	if len(name) != 15 || (name[:3] != PrefixMAC && name[:3] != PrefixDummy) {
		return false
	}
	for i := 3; i < 15; i++ {
		c := name[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// dummyName returns a new dummy device name from r.
func dummyName(r io.Reader) (string, error) {
	var b [6]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("onboarding: generating a dummy name: %w", err)
	}
	return PrefixDummy + strings.ToUpper(hex.EncodeToString(b[:])), nil
}

// Input bounds. A model is short printable ASCII, as phones report it; an
// owner is a user ID of the directory.
const (
	maxModel = 64
	maxOwner = 128
)

// cleanModel trims a model name and checks it.
func cleanModel(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxModel {
		return "", fmt.Errorf("%w: model: want 1 to %d characters", ErrInvalid, maxModel)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "", fmt.Errorf("%w: model: want printable ASCII", ErrInvalid)
		}
	}
	return s, nil
}

// checkOwner checks a user ID. Whether the user exists is for the caller
// to know; this package keeps no users.
func checkOwner(s string) error {
	switch {
	case s == "" || len(s) > maxOwner:
		return fmt.Errorf("%w: owner: want 1 to %d bytes", ErrInvalid, maxOwner)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Errorf("%w: owner: want text without control characters", ErrInvalid)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%w: owner: leading or trailing space", ErrInvalid)
	}
	return nil
}

// quoteName quotes a name for an error message, bounded in length.
func quoteName(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

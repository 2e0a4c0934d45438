package reachability

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHostAccepts(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	name253 := strings.Join([]string{label63, label63, label63, strings.Repeat("b", 61)}, ".")

	tests := []struct {
		in      string
		want    Target
		wantStr string
	}{
		// DNS names, normalized to lower case
		{"pbx.example.com", Target{Host: "pbx.example.com"}, "pbx.example.com"},
		{"PBX.Example.COM:8443", Target{Host: "pbx.example.com", Port: 8443},
			"pbx.example.com:8443"},
		{"a-b.c", Target{Host: "a-b.c"}, "a-b.c"},
		{"localhost", Target{Host: "localhost"}, "localhost"},
		{"xn--bcher-kva.example", Target{Host: "xn--bcher-kva.example"}, "xn--bcher-kva.example"},
		{"1e100.net", Target{Host: "1e100.net"}, "1e100.net"},
		{"0x7f.example", Target{Host: "0x7f.example"}, "0x7f.example"},
		{label63, Target{Host: label63}, label63},
		{name253, Target{Host: name253}, name253},
		{"host:65535", Target{Host: "host", Port: 65535}, "host:65535"},
		{"host:1", Target{Host: "host", Port: 1}, "host:1"},

		// IPv4, dotted quad only
		{"10.1.2.3", Target{Host: "10.1.2.3", Addr: netip.MustParseAddr("10.1.2.3")}, "10.1.2.3"},
		{"10.1.2.3:80", Target{Host: "10.1.2.3", Addr: netip.MustParseAddr("10.1.2.3"), Port: 80},
			"10.1.2.3:80"},
		{"0.0.0.0", Target{Host: "0.0.0.0", Addr: netip.MustParseAddr("0.0.0.0")}, "0.0.0.0"},

		// IPv6: bracketed, bracketed with port, bare without port
		{"[2001:db8::1]", Target{Host: "2001:db8::1", Addr: netip.MustParseAddr("2001:db8::1")},
			"[2001:db8::1]"},
		{"[2001:DB8:0::1]:8080", Target{Host: "2001:db8::1",
			Addr: netip.MustParseAddr("2001:db8::1"), Port: 8080}, "[2001:db8::1]:8080"},
		{"2001:db8::1", Target{Host: "2001:db8::1", Addr: netip.MustParseAddr("2001:db8::1")},
			"[2001:db8::1]"},
		{"::ffff:127.0.0.1", Target{Host: "::ffff:127.0.0.1",
			Addr: netip.MustParseAddr("::ffff:127.0.0.1")}, "[::ffff:127.0.0.1]"},
	}
	for _, tt := range tests {
		t.Run("accepts "+tt.in, func(t *testing.T) {
			got, err := ParseHost(tt.in)
			if err != nil {
				t.Fatalf("ParseHost(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool {
				return a == b
			})); diff != "" {
				t.Errorf("ParseHost(%q) (-want +got):\n%s", tt.in, diff)
			}
			if got.String() != tt.wantStr {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantStr)
			}
		})
	}
}

func TestParseHostRefuses(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"over-long input", strings.Repeat("a", 400)},
		{"name of 254 bytes", strings.Repeat("abcdefghi.", 25) + "abcd"},
		{"label of 64 bytes", strings.Repeat("a", 64) + ".example"},
		{"leading hyphen", "-pbx.example"},
		{"trailing hyphen", "pbx-.example"},
		{"empty label", "pbx..example"},
		{"leading dot", ".pbx.example"},
		{"trailing dot", "pbx.example."},
		{"underscore", "pbx_1.example"},

		// other IPv4 spellings
		{"octal octet", "0177.0.0.1"},
		{"leading zero", "127.0.0.01"},
		{"zero-padded quad", "127.000.000.001"},
		{"hex octet", "0x7f.0.0.1"},
		{"hex last label", "127.0.0.0x1"},
		{"hex integer", "0x7f000001"},
		{"bare 0x", "10.0x"},
		{"decimal integer", "2130706433"},
		{"short form two parts", "127.1"},
		{"short form three parts", "127.0.1"},
		{"five parts", "1.2.3.4.5"},
		{"octet over 255", "256.0.0.1"},
		{"trailing dot after quad", "127.0.0.1."},
		{"quad in brackets", "[127.0.0.1]"},

		// IPv6 shapes
		{"zone", "fe80::1%eth0"},
		{"encoded zone", "[fe80::1%25eth0]"},
		{"port without brackets", "::1:80:"},
		{"missing ]", "[::1"},
		{"stray ]", "::1]"},
		{"text after ]", "[::1]x"},
		{"empty brackets", "[]"},
		{"name in brackets", "[localhost]"},

		// ports
		{"empty port", "host:"},
		{"port 0", "host:0"},
		{"port too big", "host:65536"},
		{"port leading zero", "host:080"},
		{"port sign", "host:+80"},
		{"port of six digits", "host:000080"},
		{"two ports", "host:80:81"},
		{"port only", ":80"},
		{"bracket port 0", "[::1]:0"},

		// not a host at all
		{"user info", "user@127.0.0.1"},
		{"user and password", "u:p@host"},
		{"path", "127.0.0.1/admin"},
		{"query", "127.0.0.1?next=1"},
		{"fragment", "127.0.0.1#top"},
		{"percent encoding", "%31%32%37.0.0.1"},
		{"scheme", "http://127.0.0.1/"},
		{"backslash", `127.0.0.1\@evil`},
		{"space inside", "pbx .example"},
		{"leading space", " 127.0.0.1"},
		{"trailing newline", "127.0.0.1\n"},
		{"tab", "pbx\t.example"},
		{"NUL", "127.0.0.1\x00.example"},
		{"DEL", "pbx\x7f"},
		{"non-ASCII letters", "bücher.example"},
		{"fullwidth digits", "１２７.0.0.1"},
		{"comma", "10.0.0.1,10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			got, err := ParseHost(tt.in)
			if !errors.Is(err, ErrInvalidHost) {
				t.Fatalf("ParseHost(%q) = %+v, %v; want ErrInvalidHost", tt.in, got, err)
			}
		})
	}
}

// Every way of writing a number where an IPv4 address goes is refused, not
// only the ones listed above.
func TestParseHostRefusesEveryNumericSpelling(t *testing.T) {
	for i := range 256 {
		for _, s := range []string{
			fmt.Sprintf("0%d.0.0.1", i),       // leading zero: octal to inet_aton
			fmt.Sprintf("127.%d", i),          // short forms
			fmt.Sprintf("127.0.%d", i),        //
			fmt.Sprintf("0x%x.0.0.1", i),      // hex octet
			fmt.Sprintf("127.0.0.0x%x", i),    // hex last octet
			fmt.Sprintf("0X%X.0.0.1", i),      // upper-case hex
			fmt.Sprintf("%d", 2130706432+i),   // 127.0.0.i as one decimal number
			fmt.Sprintf("0x7f0000%02x", i),    // as one hex number
			fmt.Sprintf("127.0.0.%d.", i),     // trailing dot
			fmt.Sprintf("127.0.0.%d", 256+i),  // octet overflow
			fmt.Sprintf("127.0.0.00%d", i%10), // zero padding
		} {
			if _, err := ParseHost(s); !errors.Is(err, ErrInvalidHost) {
				t.Errorf("ParseHost(%q) = %v, want ErrInvalidHost", s, err)
			}
		}
	}
}

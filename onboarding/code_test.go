package onboarding_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ucselfcare/portal/onboarding"
)

// chiSquare returns the statistic of counts against a uniform expectation.
func chiSquare(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	want := float64(total) / float64(len(counts))
	var x float64
	for _, c := range counts {
		d := float64(c) - want
		x += d * d / want
	}
	return x
}

// digitCounts draws n codes from r and counts each digit at each position.
func digitCounts(tb testing.TB, r io.Reader, n int) [onboarding.CodeDigits][]int {
	tb.Helper()
	var counts [onboarding.CodeDigits][]int
	for i := range counts {
		counts[i] = make([]int, 10)
	}
	for range n {
		code, err := onboarding.GenerateCode(r)
		if err != nil {
			tb.Fatalf("GenerateCode: %v", err)
		}
		for i, c := range code.Reveal() {
			counts[i][c-'0']++
		}
	}
	return counts
}

// Critical values of the chi-square distribution: 9 degrees of freedom
// (one position) and 144 (all 16 positions, independent), each exceeded by
// chance with a probability near 10^-7, so that a correct generator fails
// this test about once in a million runs.
const (
	chi9Bound   = 50.0
	chi144Bound = 250.0
)

// Every digit at every position is equally likely, with crypto/rand as the
// source. The same statistic flags a source whose draws are uniform over
// 1.5 × 10^16 values, the modulo bias that rejection sampling prevents, so
// the test can fail.
func TestGenerateCodeUniform(t *testing.T) {
	const draws = 20000
	check := func(t *testing.T, r io.Reader) (worst, sum float64) {
		counts := digitCounts(t, r, draws)
		for _, c := range counts {
			x := chiSquare(c)
			worst, sum = max(worst, x), sum+x
		}
		return worst, sum
	}

	t.Run("crypto/rand gives uniform digits", func(t *testing.T) {
		worst, sum := check(t, nil)
		if worst > chi9Bound || sum > chi144Bound {
			t.Errorf("chi-square: worst position %.1f (bound %.0f), all positions %.1f "+
				"(bound %.0f)", worst, chi9Bound, sum, chi144Bound)
		}
	})
	t.Run("a modulo-biased source is caught", func(t *testing.T) {
		worst, _ := check(t, biasedReader{})
		if worst <= chi9Bound {
			t.Errorf("chi-square of a biased source: worst position %.1f, want > %.0f",
				worst, chi9Bound)
		}
	})
}

// biasedReader gives 8-byte draws uniform over [0, 1.5 × 10^16): reduced
// modulo 10^16 they make codes below 5 × 10^15 twice as likely.
type biasedReader struct{}

func (biasedReader) Read(p []byte) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(15e15))
	if err != nil {
		return 0, err
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v.Uint64())
	return copy(p, b[:]), nil
}

// draws returns a reader that gives each value as one 8-byte draw.
func draws(vs ...uint64) io.Reader {
	var b bytes.Buffer
	for _, v := range vs {
		binary.Write(&b, binary.BigEndian, v)
	}
	return &b
}

// repeatReader gives the same byte forever.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

type failingReader struct{}

var errSource = errors.New("entropy source failed")

func (failingReader) Read([]byte) (int, error) { return 0, errSource }

// The rejection boundary, computed here independently of the package: the
// largest multiple of 10^16 not above 2^64.
var acceptBelow = (math.MaxUint64 / uint64(1e16)) * uint64(1e16)

func TestGenerateCodeRejection(t *testing.T) {
	tests := []struct {
		name    string
		r       io.Reader
		want    string
		wantErr error
	}{
		{"zero gives all zeros", draws(0), "0000000000000000", nil},
		{"a small draw is zero-padded", draws(42), "0000000000000042", nil},
		{"the last accepted draw gives all nines", draws(acceptBelow - 1),
			"9999999999999999", nil},
		{"the boundary is rejected and the next draw used", draws(acceptBelow, 7),
			"0000000000000007", nil},
		{"the largest draw is rejected", draws(math.MaxUint64, acceptBelow, 1e16+5),
			"0000000000000005", nil},
		{"draws reduce modulo 10^16", draws(3*1e16 + 1234), "0000000000001234", nil},
		{"a source stuck on rejected values is reported", repeatReader(0xff), "",
			onboarding.ErrRandom},
		{"a short source is an error", bytes.NewReader([]byte{1, 2, 3}), "",
			io.ErrUnexpectedEOF},
		{"a failing source is an error", failingReader{}, "", errSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := onboarding.GenerateCode(tt.r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("GenerateCode: err = %v, want %v", err, tt.wantErr)
			}
			if got.Reveal() != tt.want {
				t.Errorf("GenerateCode = %q, want %q", got.Reveal(), tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	const code = "1234567890123456"
	tests := []struct {
		name  string
		input string
		ok    bool
	}{
		{"plain digits are accepted", code, true},
		{"groups with dashes are accepted", "1234-5678-9012-3456", true},
		{"groups with spaces are accepted", "1234 5678 9012 3456", true},
		{"surrounding and doubled spaces are dropped", "  1234  5678-9012 -3456 ", true},
		{"a letter is refused", "1234-5678-9012-345a", false},
		{"a tab is refused", "1234\t5678901234 56", false},
		{"a dot is refused", "1234.5678.9012.3456", false},
		{"an en dash is refused", "1234\u20135678\u201390123456", false},
		{"Arabic-Indic digits are refused", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", false},
		{"fullwidth digits are refused", "１２３４５６７８９０１２３４５６", false},
		{"15 digits are refused", code[:15], false},
		{"17 digits are refused", code + "7", false},
		{"an empty code is refused", "", false},
		{"only separators are refused", "---- ----", false},
		{"a huge input is refused", strings.Repeat(" ", 1000) + code, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := onboarding.Normalize(tt.input)
			if !tt.ok {
				if !errors.Is(err, onboarding.ErrInvalid) {
					t.Fatalf("Normalize(%q) = %q, %v; want ErrInvalid", tt.input,
						got.Reveal(), err)
				}
				if strings.Contains(err.Error(), tt.input) && tt.input != "" {
					t.Errorf("the error repeats the input: %v", err)
				}
				return
			}
			if err != nil || got.Reveal() != code {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.input, got.Reveal(), err, code)
			}
		})
	}
}

func TestGroupedRoundTrip(t *testing.T) {
	for range 100 {
		code, err := onboarding.GenerateCode(nil)
		if err != nil {
			t.Fatal(err)
		}
		g := code.Grouped()
		if len(g) != 19 || g[4] != '-' || g[9] != '-' || g[14] != '-' {
			t.Fatalf("Grouped() = %q, want four groups of four", g)
		}
		back, err := onboarding.Normalize(g)
		if err != nil || back != code {
			t.Fatalf("Normalize(Grouped()) = %q, %v; want the code", back.Reveal(), err)
		}
	}
}

// A code printed, logged or encoded by mistake shows as a mask.
func TestPlaintextIsMasked(t *testing.T) {
	code := onboarding.Plaintext("1234567890123456")
	rc := onboarding.ReadyCode{Device: "SEP001B54AABBCC", Code: code,
		ExpiresAt: time.Unix(0, 0)}
	at := onboarding.Attempt{MAC: "001B54AABBCC", Code: code, Source: "192.0.2.1"}

	var logs bytes.Buffer
	text := slog.New(slog.NewTextHandler(&logs, nil))
	jsonl := slog.New(slog.NewJSONHandler(&logs, nil))
	for _, l := range []*slog.Logger{text, jsonl} {
		l.Info("code", "code", code, "row", rc, "attempt", at)
		l.Info("group", slog.Group("g", "code", code))
	}
	js, err := json.Marshal(rc)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":       fmt.Sprintf("%v", code),
		"%s":       fmt.Sprintf("%s", code),
		"%q":       fmt.Sprintf("%q", code),
		"%d":       fmt.Sprintf("%d", code),
		"%x":       fmt.Sprintf("%x", code),
		"%+v row":  fmt.Sprintf("%+v", rc),
		"%#v row":  fmt.Sprintf("%#v", rc),
		"%v try":   fmt.Sprintf("%v", at),
		"Sprint":   fmt.Sprint(code),
		"String":   code.String(),
		"slog":     logs.String(),
		"json row": string(js),
	}
	for name, out := range outputs {
		if strings.Contains(out, "1234") || strings.Contains(out, "3456") {
			t.Errorf("%s shows the code: %s", name, out)
		}
		if !strings.Contains(out, "[activation code]") && name != "%x" && name != "slog" {
			t.Errorf("%s shows no mask: %s", name, out)
		}
	}
	if code.Reveal() != "1234567890123456" || code.Grouped() != "1234-5678-9012-3456" {
		t.Errorf("Reveal, Grouped = %q, %q", code.Reveal(), code.Grouped())
	}
}

func TestParseMAC(t *testing.T) {
	const want = "001B54AABBCC"
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"upper-case digits are accepted", "001B54AABBCC", true},
		{"lower-case digits are upper-cased", "001b54aabbcc", true},
		{"colon pairs are accepted", "00:1b:54:aa:bb:cc", true},
		{"dash pairs are accepted", "00-1B-54-AA-BB-CC", true},
		{"dotted fours are accepted", "001b.54aa.bbcc", true},
		{"mixed separators are refused", "00:1b-54:aa:bb:cc", false},
		{"a non-hex digit is refused", "001B54AABBCG", false},
		{"11 digits are refused", "001B54AABBC", false},
		{"a space is refused", "001B54 ABBCC", false},
		{"a multicast address is refused", "011B54AABBCC", false},
		{"broadcast is refused", "FFFFFFFFFFFF", false},
		{"all zeros are refused", "000000000000", false},
		{"an empty MAC is refused", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := onboarding.ParseMAC(tt.in)
			if !tt.ok {
				if !errors.Is(err, onboarding.ErrInvalid) {
					t.Errorf("ParseMAC(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || got != want {
				t.Errorf("ParseMAC(%q) = %q, %v; want %q", tt.in, got, err, want)
			}
		})
	}
}

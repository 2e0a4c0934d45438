package selfcare

import (
	"strings"
	"testing"
)

// The rules below are also tested through the service; these truth tables
// pin down the edges of each pattern, one line per case.

func TestIsCommonPassword(t *testing.T) {
	tests := []struct {
		pw   string
		want bool
	}{
		// The stem as listed, and each way of dressing it.
		{"password", true},
		{"PassWord", true},
		{"passw0rd", true},
		{"p4$$w0rd", true},
		{"P@ssw0rd2026!", true},
		{"Correct-Horse-Battery-Staple", true},
		{"pass word", true},
		{"pass_word-1", true},
		{"password!!!", true},
		{"hell0", true},      // the digit belongs to the stem
		{"he11o123", true},   // 1 for l, then a tail
		{"1l0veyou", true},   // 1 for i, 0 for o
		{"qwerty123", true},  // a walk and a tail
		{"1qaz2wsx", true},   // digits inside a walk are not a tail
		{"123456789", true},  // digits alone: the whole is the stem
		{"Summer2026", true}, // season and year
		{"CISCO!", true},

		// Not listed, or listed only as a part.
		{"", false},
		{"2026!!", false},
		{"passwords are long", false},
		{"mypassword is secret", false},
		{"drowssap", false},
		{"summertime", false},
		{"paaassword", false},
		{"xpassword", false},
		{"Blue-river-01", false},
		{"Corr3ct-Horse!", false},
		{strings.Repeat("password", 20), false},
	}
	for _, tt := range tests {
		if got := isCommonPassword(tt.pw); got != tt.want {
			t.Errorf("isCommonPassword(%q) = %t, want %t", tt.pw, got, tt.want)
		}
	}
}

// TestCommonPasswordStemsAreFound checks the list against its own reader: a
// stem that its folding cannot find again, bare or with a year, is dead.
func TestCommonPasswordStemsAreFound(t *testing.T) {
	for _, w := range commonPasswordBases {
		if strings.ToLower(w) != w || strings.TrimSpace(w) != w {
			t.Errorf("stem %q is not written in lower case without outer spaces", w)
		}
		for _, pw := range []string{w, strings.ToUpper(w) + "2026!"} {
			if !isCommonPassword(pw) {
				t.Errorf("isCommonPassword(%q) = false for a listed stem", pw)
			}
		}
	}
}

func TestKeypadWalk(t *testing.T) {
	tests := []struct {
		pin  string
		want bool
	}{
		// One line, each way.
		{"123", true}, {"321", true}, {"147", true}, {"963", true},
		{"159", true}, {"753", true}, {"2580", true}, {"0852", true},
		{"580", true}, {"085", true},
		// Lines end to end, with a pair allowed only at the end.
		{"147258", true}, {"14725836", true}, {"78945612", true},
		{"74185296", true}, {"36925814", true}, {"25802580", true},
		{"15935714", true}, {"123654789", true},
		// Not lines: too short, a lone key or a pair not at the end, a
		// jump, a bend.
		{"", false}, {"12", false}, {"14", false}, {"1472", false},
		{"1472583690", false}, {"14725369", false}, {"147259", false},
		{"13572468", false}, {"124", false}, {"1235", false},
		{"80461973", false},
	}
	for _, tt := range tests {
		if got := keypadWalk(tt.pin); got != tt.want {
			t.Errorf("keypadWalk(%q) = %t, want %t", tt.pin, got, tt.want)
		}
	}
}

func TestRepeatedGroup(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"1212", true}, {"121", false}, {"408408", true}, {"40840840", true},
		{"12312312", true}, {"12121212", true}, {"1357913579", true},
		{"13579135", false}, // one and a half times is no repetition
		{"11111111", false}, // left to the run and distinct-digit rules
		{"", false}, {"1", false}, {"12", false}, {"13572468", false},
	}
	for _, tt := range tests {
		if got := repeatedGroup(tt.s); got != tt.want {
			t.Errorf("repeatedGroup(%q) = %t, want %t", tt.s, got, tt.want)
		}
	}
}

func TestHoldsExtension(t *testing.T) {
	tests := []struct {
		pin, ext string
		want     bool
	}{
		{"2001", "2001", true},
		{"1002", "2001", true},
		{"52001739", "2001", true},
		{"10022001", "2001", true},
		{"20011002", "2001", true},
		{"20091637", "2001", false},
		{"14085250199", "+1 408-525-0199", true},
		{"94085250199", "+1 408-525-0199", false},
		{"31200", "200", true},
		{"12", "12", true},      // a short extension only as the whole PIN
		{"31245", "12", false},  // but not inside one
		{"13572468", "", false}, // no digits, no rule
		{"13572468", "ext", false},
	}
	for _, tt := range tests {
		if got := holdsExtension(tt.pin, tt.ext); got != tt.want {
			t.Errorf("holdsExtension(%q, %q) = %t, want %t", tt.pin, tt.ext, got, tt.want)
		}
	}
}

// BenchmarkIsCommonPassword measures the check on a typical new password
// and on the longest input the service may see, which must cost no more
// than a typical one beyond reading it.
func BenchmarkIsCommonPassword(b *testing.B) {
	for _, bc := range []struct{ name, pw string }{
		{"typical", "Blue-river-2026!"},
		{"common", "P@ssw0rd2026!"},
		{"4KiB", strings.Repeat("Ab1-", maxSecretBytes/4)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				isCommonPassword(bc.pw)
			}
		})
	}
}

// BenchmarkTrivialPIN measures every trivial-PIN rule on one 8-digit PIN.
func BenchmarkTrivialPIN(b *testing.B) {
	u := User{ID: "alice.martin", FirstName: "Alice", LastName: "Martin"}
	exts := []string{"40855", "2001", "+1 408-525-0199"}
	for b.Loop() {
		trivialPIN(u, "80461973", exts)
	}
}

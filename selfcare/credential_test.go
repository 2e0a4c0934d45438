package selfcare_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

// Messages of the credential rules, as a person reads them.
const (
	msgPwCommon    = "This password is too common or too easy to guess."
	msgPwShort     = "The password must be at least 8 characters long."
	msgPwLong      = "The password must be at most 128 characters long."
	msgPwIsID      = "The password must not be your user ID."
	msgPwHasID     = "The password must not contain your user ID."
	msgPwRepeat    = "The password must not repeat a character more than 3 times in a row."
	msgPwSequence  = "The password must not be a straight sequence such as abcdefgh or 12345678."
	msgPwName      = "The password must not contain your name."
	msgPwExtension = "The password must not contain your extension."
	msgPwControl   = "The password must not contain control characters."
	msgPwCurrent   = "The new password must differ from the current one."
	msgPwHistory   = "The new password must differ from your last 12 passwords."

	msgPINDigits    = "The PIN must contain digits (0-9) only."
	msgPINShort     = "The PIN must be at least 8 digits long."
	msgPINLong      = "The PIN must be at most 128 digits long."
	msgPINRun       = "The PIN must not repeat a digit more than twice in a row."
	msgPINDistinct  = "The PIN must use at least 3 different digits."
	msgPINStraight  = "The PIN must not be a run of consecutive digits such as 1234 or 9876."
	msgPINExtension = "The PIN must not contain your extension or your extension reversed."
	msgPINGroup     = "The PIN must not repeat a group of digits, such as 12121212 or 40840840."
	msgPINName      = "The PIN must not spell your name on the keypad."
	msgPINCurrent   = "The new PIN must differ from the current one."
	msgPINKeypad    = "The PIN must not be made of straight lines on the keypad, " +
		"such as 2580 or 14725836."
)

// fieldErrors returns the fields of a ValidationError, or fails the test.
func fieldErrors(tb testing.TB, err error) []selfcare.FieldError {
	tb.Helper()
	if err == nil {
		return nil
	}
	var ve *selfcare.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, selfcare.ErrInvalid) {
		tb.Fatalf("error %v is not a ValidationError matching ErrInvalid", err)
	}
	return ve.Fields
}

// expect builds the field errors for one field.
func expect(field string, msgs ...string) []selfcare.FieldError {
	var out []selfcare.FieldError
	for _, m := range msgs {
		out = append(out, selfcare.FieldError{Field: field, Message: m})
	}
	return out
}

func TestChangePasswordPolicy(t *testing.T) {
	long := strings.Repeat("Ab1-", 32) // 128 characters, no rule broken
	noTrivial := selfcare.Config{Policy: selfcare.CredentialPolicy{AllowTrivial: true}}
	tests := []struct {
		name string
		cfg  selfcare.Config
		next string
		want []string // messages; none means accepted
	}{
		// Length.
		{name: "7 characters are too short", next: "tulip#4", want: []string{msgPwShort}},
		{name: "8 characters are enough", next: "tulip#42"},
		{name: "64 characters are accepted", next: long[:64]},
		{name: "128 characters are accepted", next: long},
		{name: "129 characters are too long", next: long + "x", want: []string{msgPwLong}},
		{name: "length counts characters, not bytes", next: "çàéüöñ€ß"},
		{name: "configured minimum applies", next: "tulip#42-x",
			cfg:  selfcare.Config{Policy: selfcare.CredentialPolicy{MinPasswordLength: 12}},
			want: []string{"The password must be at least 12 characters long."}},
		{name: "spaces are fine", next: "four words in here"},

		// The user ID.
		// (This user ID holds the user's names, so the name rule fires too.)
		{name: "user ID in other case is refused", next: "ALICE.MARTIN",
			want: []string{msgPwIsID, msgPwName}},
		{name: "password containing the user ID is refused", next: "my-alice.martin-pw",
			want: []string{msgPwHasID, msgPwName}},

		// Trivial rules.
		{name: "a character 4 times in a row is refused", next: "paaaassword9",
			want: []string{msgPwRepeat}},
		{name: "a character 3 times in a row is fine", next: "paaassword9"},
		{name: "ascending letters are refused", next: "abcdefgh", want: []string{msgPwSequence}},
		{name: "ascending digits are refused", next: "12345678",
			want: []string{msgPwCommon, msgPwSequence}},
		{name: "descending digits are refused", next: "87654321",
			want: []string{msgPwCommon, msgPwSequence}},
		{name: "upper-case sequence is refused", next: "HGFEDCBA", want: []string{msgPwSequence}},
		{name: "almost a sequence is fine", next: "abcdefgx"},
		{name: "first name is refused", next: "xAlice2024x", want: []string{msgPwName}},
		{name: "extension is refused", next: "pw40855pw", want: []string{msgPwExtension}},
		{name: "control character is refused", next: "tab\there12",
			want: []string{msgPwControl}},
		{name: "trivial rules can be switched off", next: "abcdefgh", cfg: noTrivial},
		{name: "user ID rule holds without trivial check", next: "alice.martin",
			cfg: noTrivial, want: []string{msgPwIsID}},

		// Common passwords (ASVS 6.2.4): a listed stem whatever the case,
		// look-alike digits and symbols, separators or tail of digits.
		{name: "password is refused", next: "password", want: []string{msgPwCommon}},
		{name: "PASSWORD is refused", next: "PASSWORD", want: []string{msgPwCommon}},
		{name: "passw0rd is refused", next: "passw0rd", want: []string{msgPwCommon}},
		{name: "P@ssw0rd2026! is refused", next: "P@ssw0rd2026!", want: []string{msgPwCommon}},
		{name: "Pa$$-word with a space and a tail is refused", next: "Pa$$-word 1",
			want: []string{msgPwCommon}},
		{name: "qwertyuiop is refused", next: "qwertyuiop", want: []string{msgPwCommon}},
		{name: "1qaz2wsx is refused", next: "1qaz2wsx", want: []string{msgPwCommon}},
		{name: "iloveyou1 is refused", next: "iloveyou1", want: []string{msgPwCommon}},
		{name: "letmein!! is refused", next: "letmein!!", want: []string{msgPwCommon}},
		{name: "Welcome1 is refused", next: "Welcome1", want: []string{msgPwCommon}},
		{name: "changeme123 is refused", next: "changeme123", want: []string{msgPwCommon}},
		{name: "trustno1 is refused", next: "trustno1", want: []string{msgPwCommon}},
		{name: "season and year is refused", next: "Summer2026!", want: []string{msgPwCommon}},
		{name: "month and year is refused", next: "October-2025", want: []string{msgPwCommon}},
		{name: "product name and digits is refused", next: "Cisco123!",
			want: []string{msgPwCommon}},
		{name: "portal name and year is refused", next: "SelfCare2026",
			want: []string{msgPwCommon}},
		{name: "voicemail is refused", next: "Voicemail#1", want: []string{msgPwCommon}},
		{name: "a digit ending the stem is read as a letter", next: "He11o-123",
			want: []string{msgPwCommon}},
		{name: "common password is refused without trivial check", next: "Welcome1",
			cfg: noTrivial, want: []string{msgPwCommon}},
		{name: "digits alone are refused without trivial check", next: "12345678",
			cfg: noTrivial, want: []string{msgPwCommon}},
		{name: "a passphrase of common words is fine", next: "password sunshine dragon"},
		{name: "a common word inside a longer password is fine", next: "my-password-is-long"},
		{name: "a stem with letters after it is fine", next: "summertime-blues"},
		{name: "look-alikes of an unlisted word are fine", next: "Tr0ub4dor&3"},

		// Reuse.
		{name: "current password is refused", next: testPassword,
			want: []string{msgPwCurrent}},
		{name: "several rules are all reported", next: "aaaa",
			want: []string{msgPwShort, msgPwRepeat}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			f.addAlice()
			tok, p := f.login(testUser, testPassword)
			before, err := f.store.User(f.ctx, testUser)
			if err != nil {
				t.Fatal(err)
			}

			err = f.svc.ChangePassword(f.ctx, p, testPassword, tt.next, testAddr)
			want := expect(selfcare.FieldNewPassword, tt.want...)
			if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
				t.Fatalf("ChangePassword field errors (-want +got):\n%s", diff)
			}

			after, err := f.store.User(f.ctx, testUser)
			if err != nil {
				t.Fatal(err)
			}
			changed := after.PasswordHash != before.PasswordHash
			if changed != (len(tt.want) == 0) {
				t.Errorf("hash changed = %t, want %t", changed, len(tt.want) == 0)
			}
			if len(tt.want) > 0 {
				e := f.lastAudit(selfcare.ActionPasswordChange)
				if e.Outcome != selfcare.OutcomeDenied {
					t.Errorf("refusal audited as %q", e.Outcome)
				}
				return
			}
			if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
				t.Errorf("session after change: %v", err)
			}
			f.login(testUser, tt.next)
		})
	}
}

func TestChangePasswordHistory(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	_, p := f.login(testUser, testPassword)
	pw := func(i int) string { return fmt.Sprintf("Blue-river-%02d", i) }

	// Twelve changes: testPassword, then pw(1) ... pw(12), the current one.
	current := testPassword
	for i := 1; i <= 12; i++ {
		if err := f.svc.ChangePassword(f.ctx, p, current, pw(i), testAddr); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		current = pw(i)
	}

	tests := []struct {
		name string
		next string
		want []string
	}{
		{name: "current password is refused", next: pw(12), want: []string{msgPwCurrent}},
		{name: "previous password is refused", next: pw(11), want: []string{msgPwHistory}},
		{name: "12th latest password is refused", next: pw(1), want: []string{msgPwHistory}},
		{name: "13th latest password is allowed again", next: testPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.svc.ChangePassword(f.ctx, p, current, tt.next, testAddr)
			want := expect(selfcare.FieldNewPassword, tt.want...)
			if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChangePasswordNeedsTheCurrentOne(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	_, p := f.login(testUser, testPassword)

	for i := range 2 {
		err := f.svc.ChangePassword(f.ctx, p, "nope", "Blue-river-01", testAddr)
		if !errors.Is(err, selfcare.ErrWrongPassword) || errors.Is(err, selfcare.ErrLocked) {
			t.Fatalf("attempt %d: %v, want ErrWrongPassword alone", i, err)
		}
	}
	// The third wrong answer locks the account, like a failed login.
	err := f.svc.ChangePassword(f.ctx, p, "nope", "Blue-river-01", testAddr)
	if !errors.Is(err, selfcare.ErrWrongPassword) {
		t.Fatalf("third attempt: %v, want ErrWrongPassword", err)
	}
	err = f.svc.ChangePassword(f.ctx, p, testPassword, "Blue-river-01", testAddr)
	if !errors.Is(err, selfcare.ErrLocked) || !errors.Is(err, selfcare.ErrWrongPassword) {
		t.Fatalf("locked account: %v, want ErrLocked and ErrWrongPassword", err)
	}
	if _, _, err := f.svc.Login(f.ctx, testUser, testPassword, testAddr); err !=
		selfcare.ErrLoginFailed {
		t.Fatalf("Login while locked: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, nil, testPassword, "x", testAddr); !errors.Is(err,
		selfcare.ErrUnauthenticated) {
		t.Errorf("nil principal: %v, want ErrUnauthenticated", err)
	}
}

func TestChangePasswordClearsMustChange(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addUser(selfcare.User{ID: "fresh", MustChangePassword: true}, testPassword, testPIN,
		[]string{acl.GroupStandardCCMEndUsers})
	tok, p := f.login("fresh", testPassword)
	if !p.MustChangePassword() {
		t.Fatal("MustChangePassword() = false for a flagged user")
	}
	if _, err := f.svc.Phones(f.ctx, p); !errors.Is(err, selfcare.ErrPasswordChangeRequired) {
		t.Errorf("Phones before the change: %v, want ErrPasswordChangeRequired", err)
	}
	if err := f.svc.ChangePIN(f.ctx, p, testPassword, "13572468", testAddr); !errors.Is(err,
		selfcare.ErrPasswordChangeRequired) {
		t.Errorf("ChangePIN before the change: %v, want ErrPasswordChangeRequired", err)
	}
	if err := f.svc.ChangePassword(f.ctx, p, testPassword, "Blue-river-01", testAddr); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Authenticate(f.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.MustChangePassword() {
		t.Error("MustChangePassword() still true after the change")
	}
	if _, err := f.svc.Phones(f.ctx, p); err != nil {
		t.Errorf("Phones after the change: %v", err)
	}
}

func TestChangePINPolicy(t *testing.T) {
	short := selfcare.Config{Policy: selfcare.CredentialPolicy{MinPINLength: 3}}
	// varied is 128 random digits that break no rule.
	const varied = "1588139986987973091141707536455681518844729405576169871689768469" +
		"7880932081967273177848648876634400297875347787680457178472671475"
	tests := []struct {
		name string
		cfg  selfcare.Config
		pin  string
		want []string
	}{
		// Form and length, with the default policy.
		{name: "8 varied digits are accepted", pin: "13572468"},
		{name: "7 digits are too short", pin: "1357246", want: []string{msgPINShort}},
		{name: "128 digits are accepted", pin: varied},
		{name: "129 digits are too long", pin: varied + "5", want: []string{msgPINLong}},
		{name: "a letter is refused", pin: "1357a468", want: []string{msgPINDigits}},
		{name: "a space is refused", pin: "1357 468", want: []string{msgPINDigits}},
		{name: "non-ASCII digits are refused", pin: "１３５７２４６８",
			want: []string{msgPINDigits}},
		{name: "empty is refused as required", pin: "",
			want: []string{"Enter a new PIN; it is required."}},
		{name: "same as the current PIN is refused", pin: testPIN,
			want: []string{msgPINCurrent}},

		// Each trivial rule, with a minimum of 3 so that short patterns reach
		// the rules.
		{name: "a digit 3 times in a row is refused", cfg: short, pin: "11123",
			want: []string{msgPINRun}},
		{name: "a digit twice in a row is fine", cfg: short, pin: "113355"},
		{name: "2 distinct digits are refused", cfg: short, pin: "1221",
			want: []string{msgPINDistinct}},
		{name: "ascending run is refused", cfg: short, pin: "34567",
			want: []string{msgPINStraight}},
		{name: "descending run is refused", cfg: short, pin: "76543",
			want: []string{msgPINStraight}},
		{name: "ascending run through 0 is refused", cfg: short, pin: "7890123",
			want: []string{msgPINStraight}},
		{name: "descending run through 9 is refused", cfg: short, pin: "3210987",
			want: []string{msgPINStraight}},
		{name: "extension is refused", cfg: short, pin: "40855",
			want: []string{msgPINExtension}},
		{name: "reversed extension is refused", cfg: short, pin: "55804",
			want: []string{msgPINExtension}},
		{name: "second line's extension is refused", cfg: short, pin: "2001",
			want: []string{msgPINExtension}},
		{name: "extension with its prefix is refused", cfg: short, pin: "14085250199",
			want: []string{msgPINExtension}},
		{name: "extension inside the PIN is refused", pin: "52001739",
			want: []string{msgPINExtension}},
		{name: "extension and its reverse is refused", pin: "10022001",
			want: []string{msgPINExtension}},
		{name: "extension after its reverse is refused", pin: "20011002",
			want: []string{msgPINExtension}},
		{name: "5-digit extension inside the PIN is refused", pin: "94085571",
			want: []string{msgPINExtension}},
		{name: "reversed 5-digit extension inside the PIN is refused", pin: "35580419",
			want: []string{msgPINExtension}},
		{name: "part of the extension is fine", pin: "20091637"},
		{name: "repeated group of 3 is refused", cfg: short, pin: "408408",
			want: []string{msgPINGroup}},
		{name: "repeated group of 2 is refused", cfg: short, pin: "121212",
			want: []string{msgPINDistinct, msgPINGroup}},
		{name: "repeated group of 5 is refused", cfg: short, pin: "1357913579",
			want: []string{msgPINGroup}},
		{name: "group of 3 cut short is refused", pin: "40840840", want: []string{msgPINGroup}},
		{name: "group of 2 over 8 digits is refused", pin: "12121212",
			want: []string{msgPINDistinct, msgPINGroup}},
		{name: "group of 4 over 8 digits is refused", pin: "13571357",
			want: []string{msgPINGroup}},
		{name: "row group cut short is refused", pin: "12312312",
			want: []string{msgPINGroup, msgPINKeypad}},
		{name: "a group seen once and a half is fine", pin: "13579135"},
		{name: "column 2580 is refused", cfg: short, pin: "2580", want: []string{msgPINKeypad}},
		{name: "column 0852 is refused", cfg: short, pin: "0852", want: []string{msgPINKeypad}},
		{name: "column 147 is refused", cfg: short, pin: "147", want: []string{msgPINKeypad}},
		{name: "column 963 is refused", cfg: short, pin: "963", want: []string{msgPINKeypad}},
		{name: "diagonal 159 is refused", cfg: short, pin: "159", want: []string{msgPINKeypad}},
		{name: "diagonal 753 is refused", cfg: short, pin: "753", want: []string{msgPINKeypad}},
		{name: "row 456 is refused", cfg: short, pin: "456",
			want: []string{msgPINStraight, msgPINKeypad}},
		{name: "two keypad lines are refused", cfg: short, pin: "147258",
			want: []string{msgPINKeypad}},
		{name: "two columns and a pair are refused", pin: "14725836",
			want: []string{msgPINKeypad}},
		{name: "rows down and a pair are refused", pin: "78945612",
			want: []string{msgPINKeypad}},
		{name: "columns upwards and a pair are refused", pin: "74185296",
			want: []string{msgPINKeypad}},
		{name: "columns from the right are refused", pin: "36925814",
			want: []string{msgPINKeypad}},
		{name: "diagonals and a column are refused", pin: "15935714",
			want: []string{msgPINKeypad}},
		{name: "2580 twice is refused", pin: "25802580",
			want: []string{msgPINGroup, msgPINKeypad}},
		{name: "a keypad line then a jump is fine", cfg: short, pin: "147259"},
		{name: "a pair in the middle is fine", pin: "14725369"},
		{name: "first name on the keypad is refused", cfg: short, pin: "25423",
			want: []string{msgPINName}},
		{name: "last name on the keypad is refused", cfg: short, pin: "627846",
			want: []string{msgPINName}},
		{name: "full name on the keypad is refused", cfg: short, pin: "25423627846",
			want: []string{msgPINName}},
		{name: "surname first on the keypad is refused", cfg: short, pin: "62784625423",
			want: []string{msgPINName}},
		{name: "trivial rules can be switched off", pin: "2580",
			cfg: selfcare.Config{Policy: selfcare.CredentialPolicy{MinPINLength: 4,
				AllowTrivial: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			f.addUser(selfcare.User{ID: testUser, FirstName: "Alice", LastName: "Martin"},
				testPassword, testPIN, []string{acl.GroupStandardCCMEndUsers},
				"40855", "2001", "+1 408-525-0199")
			_, p := f.login(testUser, testPassword)
			before, err := f.store.User(f.ctx, testUser)
			if err != nil {
				t.Fatal(err)
			}

			err = f.svc.ChangePIN(f.ctx, p, testPassword, tt.pin, testAddr)
			want := expect(selfcare.FieldNewPIN, tt.want...)
			if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
				t.Fatalf("ChangePIN field errors (-want +got):\n%s", diff)
			}

			after, err := f.store.User(f.ctx, testUser)
			if err != nil {
				t.Fatal(err)
			}
			changed := after.PINHash != before.PINHash
			if changed != (len(tt.want) == 0) {
				t.Errorf("PIN hash changed = %t, want %t", changed, len(tt.want) == 0)
			}
			if changed {
				ok, _, err := selfcare.VerifySecret(after.PINHash, tt.pin, cheapHash)
				if err != nil || !ok {
					t.Errorf("stored PIN hash does not verify: %v, %v", ok, err)
				}
			}
		})
	}
}

func TestChangePINNeedsThePassword(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	_, p := f.login(testUser, testPassword)
	err := f.svc.ChangePIN(f.ctx, p, testPIN, "13572468", testAddr)
	if !errors.Is(err, selfcare.ErrWrongPassword) {
		t.Fatalf("ChangePIN with the PIN as password: %v, want ErrWrongPassword", err)
	}
	if e := f.lastAudit(selfcare.ActionPINChange); e.Outcome != selfcare.OutcomeDenied {
		t.Errorf("refusal audited as %q", e.Outcome)
	}
}

// TestPolicyShowsTheLimits checks that the pages can show the limits that
// the rules apply: the defaults, and configured values in their place.
func TestPolicyShowsTheLimits(t *testing.T) {
	type limits struct{ MinPw, MaxPw, MinPIN, MaxPIN int }
	tests := []struct {
		name string
		cfg  selfcare.CredentialPolicy
		want limits
	}{
		{name: "defaults are shown", want: limits{8, 128, 8, 128}},
		{name: "configured limits are shown",
			cfg: selfcare.CredentialPolicy{MinPasswordLength: 12, MaxPasswordLength: 64,
				MinPINLength: 6, MaxPINLength: 12},
			want: limits{12, 64, 6, 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, selfcare.Config{Policy: tt.cfg})
			p := f.svc.Policy()
			got := limits{p.MinPasswordLength, p.MaxPasswordLength, p.MinPINLength,
				p.MaxPINLength}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Policy() limits (-want +got):\n%s", diff)
			}

			// The limits shown are the limits applied.
			f.addAlice()
			_, pr := f.login(testUser, testPassword)
			short := "1357924680135"[:got.MinPIN-1]
			err := f.svc.ChangePIN(f.ctx, pr, testPassword, short, testAddr)
			want := expect(selfcare.FieldNewPIN, fmt.Sprintf(
				"The PIN must be at least %d digits long.", got.MinPIN))
			if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
				t.Errorf("PIN one digit short (-want +got):\n%s", diff)
			}
		})
	}
}

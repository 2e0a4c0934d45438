package selfcare_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

// wrong makes n failed logins of user from testAddr.
func (f *fixture) wrong(user string, n int) {
	f.tb.Helper()
	for i := range n {
		_, _, err := f.svc.Login(f.ctx, user, fmt.Sprintf("not-it-%d", i), testAddr)
		if err != selfcare.ErrLoginFailed {
			f.tb.Fatalf("wrong password %d: got %v, want ErrLoginFailed", i, err)
		}
	}
}

// TestLogin is the truth table of Login. Every refusal must be exactly
// ErrLoginFailed, whatever the cause, while the audit trail names the cause;
// every row, refused or not, must run exactly one password verification.
func TestLogin(t *testing.T) {
	const otherAddr = "198.51.100.7"
	tests := []struct {
		name  string
		cfg   selfcare.Config
		setup func(f *fixture)
		user  string
		pass  string
		addr  string
		// cause is the audit detail of the refusal; "" means success.
		cause string
	}{
		// The plain cases.
		{name: "right password logs in", pass: testPassword},
		{name: "wrong password is refused", pass: "Corr3ct-Horse?",
			cause: "wrong password"},
		{name: "unknown user is refused", user: "bob", pass: testPassword,
			cause: "unknown user"},
		{name: "user ID differing in case is unknown", user: "Alice.Martin",
			pass: testPassword, cause: "unknown user"},
		{name: "over-long user ID is unknown", user: strings.Repeat("a", 200),
			pass: testPassword, cause: "unknown user"},
		{name: "empty password is refused", pass: "", cause: "wrong password"},
		{name: "huge password is refused", pass: strings.Repeat("x", 10000),
			cause: "wrong password"},

		// The account's state.
		{name: "disabled user is refused", pass: testPassword, cause: "account disabled",
			setup: func(f *fixture) {
				if err := f.svc.SetUserDisabled(f.ctx, "", testUser, true); err != nil {
					f.tb.Fatal(err)
				}
			}},
		{name: "user without password is refused", user: "nopw", pass: "",
			cause: "no password set", setup: func(f *fixture) {
				f.addUser(selfcare.User{ID: "nopw"}, "", testPIN,
					[]string{acl.GroupStandardCCMEndUsers})
			}},
		{name: "user without PIN is refused", user: "nopin", pass: testPassword,
			cause: "no PIN set", setup: func(f *fixture) {
				f.addUser(selfcare.User{ID: "nopin"}, testPassword, "",
					[]string{acl.GroupStandardCCMEndUsers})
			}},
		{name: "must-change user logs in", user: "fresh", pass: testPassword,
			setup: func(f *fixture) {
				f.addUser(selfcare.User{ID: "fresh", MustChangePassword: true},
					testPassword, testPIN, []string{acl.GroupStandardCCMEndUsers})
			}},

		// Self Care access.
		{name: "user in no group is refused", user: "nogroup", pass: testPassword,
			cause: "no Self Care role", setup: func(f *fixture) {
				f.addUser(selfcare.User{ID: "nogroup"}, testPassword, testPIN, nil)
			}},
		{name: "admin group without the End Users role is refused", user: "admin",
			pass: testPassword, cause: "no Self Care role", setup: func(f *fixture) {
				f.addUser(selfcare.User{ID: "admin"}, testPassword, testPIN,
					[]string{acl.GroupStandardCCMAdminUsers})
			}},
		{name: "custom group carrying the End Users role logs in", user: "helpdesk",
			pass: testPassword, setup: func(f *fixture) {
				g, err := f.svc.Directory().CreateGroup(f.ctx, "Help Desk", 1,
					[]string{acl.RoleStandardCCMEndUsers})
				if err != nil {
					f.tb.Fatal(err)
				}
				f.addUser(selfcare.User{ID: "helpdesk"}, testPassword, testPIN,
					[]string{g.ID})
			}},
		{name: "custom group with only CCMUSER Administration is refused",
			user: "portalonly", pass: testPassword, cause: "no Self Care role",
			setup: func(f *fixture) {
				g, err := f.svc.Directory().CreateGroup(f.ctx, "Portal Only", 1,
					[]string{acl.RoleStandardCCMUSERAdministration})
				if err != nil {
					f.tb.Fatal(err)
				}
				f.addUser(selfcare.User{ID: "portalonly"}, testPassword, testPIN,
					[]string{g.ID})
			}},

		// Lockout.
		{name: "right password after 2 failures logs in", pass: testPassword,
			setup: func(f *fixture) { f.wrong(testUser, 2) }},
		{name: "right password after 3 failures is refused as locked",
			pass: testPassword, cause: "account locked out",
			setup: func(f *fixture) { f.wrong(testUser, 3) }},
		{name: "lockout still holds at 29 minutes", pass: testPassword,
			cause: "account locked out", setup: func(f *fixture) {
				f.wrong(testUser, 3)
				f.clock.Advance(29 * time.Minute)
			}},
		{name: "lockout ends after 30 minutes", pass: testPassword,
			setup: func(f *fixture) {
				f.wrong(testUser, 3)
				f.clock.Advance(30 * time.Minute)
			}},
		{name: "attempts during a lockout do not extend it", pass: testPassword,
			setup: func(f *fixture) {
				f.wrong(testUser, 3)
				f.clock.Advance(20 * time.Minute)
				f.wrong(testUser, 2)
				f.clock.Advance(10 * time.Minute)
			}},
		{name: "a fresh allowance follows a lockout", pass: testPassword,
			// A window longer than the lockout would otherwise still
			// hold the old failures.
			cfg: selfcare.Config{Policy: selfcare.CredentialPolicy{
				ResetFailedAfter: 2 * time.Hour}},
			setup: func(f *fixture) {
				f.wrong(testUser, 3)
				f.clock.Advance(31 * time.Minute)
				f.wrong(testUser, 2)
			}},
		{name: "counter resets after 30 minutes", pass: testPassword,
			setup: func(f *fixture) {
				f.wrong(testUser, 2)
				f.clock.Advance(31 * time.Minute)
				f.wrong(testUser, 2)
			}},
		{name: "counter within 30 minutes locks", pass: testPassword,
			cause: "account locked out", setup: func(f *fixture) {
				f.wrong(testUser, 2)
				f.clock.Advance(29 * time.Minute)
				f.wrong(testUser, 1)
			}},
		{name: "lockout until unlocked holds after a day", pass: testPassword,
			cause: "account locked out",
			cfg: selfcare.Config{Policy: selfcare.CredentialPolicy{
				LockoutDuration: selfcare.LockoutUntilUnlocked}},
			setup: func(f *fixture) {
				f.wrong(testUser, 3)
				f.clock.Advance(24 * time.Hour)
			}},
		{name: "lockout until unlocked ends at unlock", pass: testPassword,
			cfg: selfcare.Config{Policy: selfcare.CredentialPolicy{
				LockoutDuration: selfcare.LockoutUntilUnlocked}},
			setup: func(f *fixture) {
				f.wrong(testUser, 3)
				if err := f.svc.Unlock(f.ctx, "admin", testUser); err != nil {
					f.tb.Fatal(err)
				}
			}},
		{name: "no threshold never locks", pass: testPassword,
			cfg: selfcare.Config{Policy: selfcare.CredentialPolicy{
				FailedLogonThreshold: selfcare.NoLimit}},
			setup: func(f *fixture) { f.wrong(testUser, 10) }},
		{name: "locked account with wrong password is refused as locked",
			pass: "guess", cause: "account locked out",
			setup: func(f *fixture) { f.wrong(testUser, 3) }},

		// Address throttle.
		{name: "throttled address is refused", pass: testPassword,
			cause: "address throttled", setup: func(f *fixture) {
				for i := range 20 {
					f.wrong(fmt.Sprintf("guess%d", i), 1)
				}
			}},
		{name: "other address is not throttled", pass: testPassword, addr: otherAddr,
			setup: func(f *fixture) {
				for i := range 20 {
					f.wrong(fmt.Sprintf("guess%d", i), 1)
				}
			}},
		{name: "throttle ends after its window", pass: testPassword,
			setup: func(f *fixture) {
				for i := range 20 {
					f.wrong(fmt.Sprintf("guess%d", i), 1)
				}
				f.clock.Advance(15 * time.Minute)
			}},
		{name: "19 failures do not throttle", pass: testPassword,
			setup: func(f *fixture) {
				for i := range 19 {
					f.wrong(fmt.Sprintf("guess%d", i), 1)
				}
			}},
		{name: "address with port counts as the address", pass: testPassword,
			addr: testAddr + ":40000", cause: "address throttled",
			setup: func(f *fixture) {
				for i := range 20 {
					f.wrong(fmt.Sprintf("guess%d", i), 1)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			f.addAlice()
			if tt.setup != nil {
				tt.setup(f)
			}
			user, addr := tt.user, tt.addr
			if user == "" {
				user = testUser
			}
			if addr == "" {
				addr = testAddr
			}

			before := selfcare.Verifications(f.svc)
			tok, p, err := f.svc.Login(f.ctx, user, tt.pass, addr)
			if n := selfcare.Verifications(f.svc) - before; n != 1 {
				t.Errorf("Login ran %d verifications, want exactly 1", n)
			}

			if tt.cause == "" {
				if err != nil {
					t.Fatalf("Login: %v, want success", err)
				}
				if tok == "" || p == nil || p.User.ID != user || !p.Grant.SelfCare() {
					t.Fatalf("Login = %q, %+v; want a token and %q's principal",
						tok, p, user)
				}
				if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
					t.Errorf("Authenticate(new token): %v", err)
				}
				return
			}
			if err != selfcare.ErrLoginFailed {
				t.Fatalf("Login error = %v, want exactly ErrLoginFailed", err)
			}
			if tok != "" || p != nil {
				t.Errorf("refused Login returned %q, %v", tok, p)
			}
			e := f.lastAudit(selfcare.ActionLoginFailed)
			if !strings.HasPrefix(e.Detail, tt.cause) || e.Outcome != selfcare.OutcomeDenied {
				t.Errorf("audit = %q/%q, want detail %q, outcome denied",
					e.Detail, e.Outcome, tt.cause)
			}
		})
	}
}

func TestLoginAuditsTheLockingFailure(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	f.wrong(testUser, 3)
	if e := f.lastAudit(selfcare.ActionLoginFailed); e.Detail != "wrong password; account now locked" {
		t.Errorf("third failure audited as %q", e.Detail)
	}
}

func TestLoginClearsTheCounterOnSuccess(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	f.wrong(testUser, 2)
	f.login(testUser, testPassword)
	// Two more failures would lock if the first two still counted.
	f.wrong(testUser, 2)
	f.login(testUser, testPassword)
}

func TestLoginIssuesANewTokenEachTime(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	seen := map[string]bool{}
	for range 5 {
		tok, _ := f.login(testUser, testPassword)
		if seen[tok] {
			t.Fatalf("token %q issued twice", tok)
		}
		seen[tok] = true
		// 32 random bytes in unpadded base64url: 43 characters, 256 bits.
		if len(tok) < 43 {
			t.Errorf("token %q is %d characters, want at least 43", tok, len(tok))
		}
	}
	for tok := range seen {
		if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
			t.Errorf("Authenticate: %v; every login's session must stay open", err)
		}
	}
}

func TestLoginStoresOnlyTheTokenHash(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	tok, p := f.login(testUser, testPassword)
	if _, err := f.store.Session(f.ctx, []byte(tok)); !errors.Is(err, selfcare.ErrNotFound) {
		t.Errorf("store.Session(raw token) error = %v, want ErrNotFound", err)
	}
	if !f.sessionStored(tok) {
		t.Fatal("no session stored under the token's SHA-256")
	}
	if strings.Contains(string(p.Session.TokenHash), tok) || len(p.Session.TokenHash) != 32 {
		t.Errorf("session holds %x, want only a 32-byte hash", p.Session.TokenHash)
	}
}

func TestLoginWhileBusyFailsWithoutCounting(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	for range 5 {
		if _, _, err := f.svc.Login(ctx, testUser, "guess", testAddr); !errors.Is(err,
			selfcare.ErrBusy) {
			t.Fatalf("Login with an ended context: %v, want ErrBusy", err)
		}
	}
	f.login(testUser, testPassword)
}

func TestLoginUpgradesAWeakHash(t *testing.T) {
	// Alice's hash is made with cheap parameters; a service with stronger
	// ones must replace it at her next login and still let her in.
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	old, err := f.store.User(f.ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	strong := selfcare.HashParams{Memory: 128, Iterations: 2, Parallelism: 1}
	svc := selfcare.New(f.store, selfcare.Config{Now: f.clock.Now, Hash: strong})
	tok, _, err := svc.Login(f.ctx, testUser, testPassword, testAddr)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	u, err := f.store.User(f.ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash == old.PasswordHash ||
		!strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Errorf("hash after login = %q, want one with m=128,t=2", u.PasswordHash)
	}
	if !u.PasswordChangedAt.Equal(old.PasswordChangedAt) {
		t.Errorf("PasswordChangedAt moved from %v to %v", old.PasswordChangedAt,
			u.PasswordChangedAt)
	}
	if _, err := svc.Authenticate(f.ctx, tok); err != nil {
		t.Errorf("the login's own session ended: %v", err)
	}
	if _, _, err := svc.Login(f.ctx, testUser, testPassword, testAddr); err != nil {
		t.Errorf("Login with the upgraded hash: %v", err)
	}
}

func TestLoginParallelGuessesGetOnlyTheThreshold(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	const guessers = 24
	errs := make(chan error, guessers)
	for i := range guessers {
		go func() {
			_, _, err := f.svc.Login(f.ctx, testUser, fmt.Sprintf("guess-%d", i), testAddr)
			errs <- err
		}()
	}
	for range guessers {
		if err := <-errs; err != selfcare.ErrLoginFailed {
			t.Fatalf("Login: %v, want ErrLoginFailed", err)
		}
	}
	es, err := f.svc.Audit(f.ctx, selfcare.AuditFilter{Action: selfcare.ActionLoginFailed,
		Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range es {
		if strings.HasPrefix(e.Detail, "wrong password") {
			checked++
		}
	}
	if checked != 3 {
		t.Errorf("%d of %d parallel guesses were judged on the password, want 3",
			checked, guessers)
	}
}

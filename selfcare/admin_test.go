package selfcare_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

const msgLocale = "The locale must look like en_US: a language of 2 or 3 letters, " +
	"then optionally _ and a region of 2 letters or 3 digits."

func TestCreateUserValidation(t *testing.T) {
	tests := []struct {
		name     string
		user     selfcare.User
		password string
		pin      string
		want     []selfcare.FieldError
	}{
		{name: "plain user is created", user: selfcare.User{ID: "bob"}},
		{name: "user with credentials is created", user: selfcare.User{ID: "bob"},
			password: testPassword, pin: testPIN},
		{name: "128-character ID is accepted", user: selfcare.User{ID: strings.Repeat("é", 128)}},
		{name: "empty ID is refused", user: selfcare.User{},
			want: []selfcare.FieldError{{Field: "userId", Message: "Enter a user ID."}}},
		{name: "129-character ID is refused", user: selfcare.User{ID: strings.Repeat("b", 129)},
			want: []selfcare.FieldError{{Field: "userId",
				Message: "The user ID must be at most 128 characters long."}}},
		{name: "ID with a space is refused", user: selfcare.User{ID: "bob smith"},
			want: []selfcare.FieldError{{Field: "userId",
				Message: "The user ID must not contain spaces."}}},
		{name: "ID with a slash is refused", user: selfcare.User{ID: "corp/bob"},
			want: []selfcare.FieldError{{Field: "userId",
				Message: "The user ID must not contain a slash."}}},
		{name: "ID with a control character is refused", user: selfcare.User{ID: "bob\x00"},
			want: []selfcare.FieldError{{Field: "userId",
				Message: "The user ID must not contain control characters."}}},
		{name: "rank 10 is accepted", user: selfcare.User{ID: "bob", Rank: 10}},
		{name: "rank 11 is refused", user: selfcare.User{ID: "bob", Rank: 11},
			want: []selfcare.FieldError{{Field: "rank",
				Message: "The user rank must be between 1 and 10."}}},
		{name: "trivial password is refused", user: selfcare.User{ID: "bob"},
			password: "12345678", want: []selfcare.FieldError{
				{Field: "password", Message: msgPwCommon},
				{Field: "password", Message: msgPwSequence}}},
		{name: "common password is refused", user: selfcare.User{ID: "bob"},
			password: "Welcome1", want: []selfcare.FieldError{{Field: "password",
				Message: msgPwCommon}}},

		// Names and locale reach terminals, logs and phone displays.
		{name: "names and locale of 64 characters are accepted",
			user: selfcare.User{ID: "bob", FirstName: strings.Repeat("é", 64),
				LastName: strings.Repeat("Ø", 64), Locale: "es_419"}},
		{name: "names with accents, spaces and hyphens are accepted",
			user: selfcare.User{ID: "bob", FirstName: "Zoë Anne", LastName: "O'Brien-Núñez",
				Locale: "pt_BR"}},
		{name: "escape sequence in the first name is refused",
			user: selfcare.User{ID: "bob", FirstName: "\x1b[2J\x1b[31mBob"},
			want: []selfcare.FieldError{{Field: "firstName",
				Message: "The first name must not contain control, format or line-break characters."}}},
		{name: "line break in the last name is refused",
			user: selfcare.User{ID: "bob", LastName: "Smith\nroot logged in"},
			want: []selfcare.FieldError{{Field: "lastName",
				Message: "The last name must not contain control, format or line-break characters."}}},
		{name: "Unicode line separator in the first name is refused",
			user: selfcare.User{ID: "bob", FirstName: "Bob\u2028Smith"},
			want: []selfcare.FieldError{{Field: "firstName",
				Message: "The first name must not contain control, format or line-break characters."}}},
		{name: "carriage return in the locale is refused",
			user: selfcare.User{ID: "bob", Locale: "en_US\r"},
			want: []selfcare.FieldError{{Field: "locale",
				Message: msgLocale}}},
		{name: "65-character first name is refused",
			user: selfcare.User{ID: "bob", FirstName: strings.Repeat("é", 65)},
			want: []selfcare.FieldError{{Field: "firstName",
				Message: "The first name must be at most 64 characters long."}}},
		{name: "65-character locale is refused",
			user: selfcare.User{ID: "bob", Locale: strings.Repeat("x", 65)},
			want: []selfcare.FieldError{{Field: "locale",
				Message: msgLocale}}},
		{name: "locale with markup is refused",
			user: selfcare.User{ID: "bob", Locale: "xx_<>"},
			want: []selfcare.FieldError{{Field: "locale", Message: msgLocale}}},
		{name: "empty locale becomes the default", user: selfcare.User{ID: "bob"}},
		{name: "right-to-left override in the first name is refused",
			user: selfcare.User{ID: "bob", FirstName: "\u202eevil"},
			want: []selfcare.FieldError{{Field: "firstName",
				Message: "The first name must not contain control, format or line-break characters."}}},
		{name: "zero-width space in the last name is refused",
			user: selfcare.User{ID: "bob", LastName: "Sm\u200bith"},
			want: []selfcare.FieldError{{Field: "lastName",
				Message: "The last name must not contain control, format or line-break characters."}}},
		{name: "last name that is not UTF-8 is refused",
			user: selfcare.User{ID: "bob", LastName: "M\xffller"},
			want: []selfcare.FieldError{{Field: "lastName",
				Message: "The last name holds bytes that are not text."}}},
		{name: "every bad field is named",
			user: selfcare.User{ID: "bob", FirstName: "\x00", LastName: "\t", Locale: "\x7f"},
			want: []selfcare.FieldError{
				{Field: "firstName",
					Message: "The first name must not contain control, format or line-break characters."},
				{Field: "lastName",
					Message: "The last name must not contain control, format or line-break characters."},
				{Field: "locale", Message: msgLocale}}},
		{name: "trivial PIN is refused", user: selfcare.User{ID: "bob"}, pin: "11111111",
			want: []selfcare.FieldError{
				{Field: "pin", Message: msgPINRun}, {Field: "pin", Message: msgPINDistinct}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, selfcare.Config{})
			err := f.svc.CreateUser(f.ctx, "", tt.user, tt.password, tt.pin)
			if diff := cmp.Diff(tt.want, fieldErrors(t, err)); diff != "" {
				t.Fatalf("CreateUser field errors (-want +got):\n%s", diff)
			}
			_, err = f.store.User(f.ctx, tt.user.ID)
			if created := err == nil; created != (tt.want == nil) {
				t.Fatalf("user created = %t, want %t", created, tt.want == nil)
			}
			if tt.want != nil {
				return
			}
			e := f.lastAudit(selfcare.ActionUserCreate)
			if e.Actor != "cli" || e.Target != tt.user.ID {
				t.Errorf("audit = %+v, want actor cli, target %q", e, tt.user.ID)
			}
		})
	}
}

// TestCreateUserRankZeroMeansDefault pins down the documented meaning of
// the zero rank for Go callers.
func TestCreateUserRankZeroMeansDefault(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	if err := f.svc.CreateUser(f.ctx, "", selfcare.User{ID: "bob"}, "", ""); err != nil {
		t.Fatal(err)
	}
	u, err := f.store.User(f.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if u.Rank != acl.DefaultRank {
		t.Errorf("rank = %d, want acl.DefaultRank (%d)", u.Rank, acl.DefaultRank)
	}
}

// TestAdminErrorsNameTheOperationOnce checks the whole message: each layer
// below names the operation too, and the service must not repeat it.
func TestAdminErrorsNameTheOperationOnce(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	f.addUser(selfcare.User{ID: "low", Rank: 5}, testPassword, testPIN, nil)
	const (
		endUsers = acl.GroupStandardCCMEndUsers
		audit    = acl.GroupStandardAuditUsers
	)
	tests := []struct {
		name string
		call func() error
		is   error
		want string
	}{
		{name: "existing user is named once",
			call: func() error {
				return f.svc.CreateUser(f.ctx, "", selfcare.User{ID: testUser}, "", "")
			},
			is:   selfcare.ErrExists,
			want: `selfcare: create user "alice.martin": selfcare: already exists`},
		{name: "removing a non-member is named once",
			call: func() error { return f.svc.RemoveGroupMember(f.ctx, "", audit, testUser) },
			is:   acl.ErrNotAMember,
			want: `selfcare: remove group member "alice.martin" from "standard-audit-users": ` +
				`acl: user is not a member of the group`},
		{name: "adding an unknown user is named once",
			call: func() error { return f.svc.AddGroupMember(f.ctx, "", endUsers, "nobody") },
			is:   selfcare.ErrNotFound,
			want: `selfcare: add group member "nobody" to "standard-ccm-end-users": ` +
				`selfcare: not found`},
		{name: "adding to an unknown group is named once",
			call: func() error { return f.svc.AddGroupMember(f.ctx, "", "nogroup", testUser) },
			is:   acl.ErrNotFound,
			want: `selfcare: add group member "alice.martin" to "nogroup": acl: not found`},
		{name: "a rank refusal says the rank",
			call: func() error { return f.svc.AddGroupMember(f.ctx, "", endUsers, "low") },
			is:   acl.ErrRank,
			want: `selfcare: add group member "low" to "standard-ccm-end-users": ` +
				`user rank 5: acl: user rank is not allowed in this group`},
		{name: "password of an unknown user is named once",
			call: func() error {
				return f.svc.SetUserPassword(f.ctx, "", "nobody", "Blue-river-01", false)
			},
			is:   selfcare.ErrNotFound,
			want: `selfcare: set user password "nobody": selfcare: not found`},
		{name: "PIN of an unknown user is named once",
			call: func() error { return f.svc.SetUserPIN(f.ctx, "", "nobody", "13572468") },
			is:   selfcare.ErrNotFound,
			want: `selfcare: set user PIN "nobody": selfcare: not found`},
		{name: "disabling an unknown user is named once",
			call: func() error { return f.svc.SetUserDisabled(f.ctx, "", "nobody", true) },
			is:   selfcare.ErrNotFound,
			want: `selfcare: set user disabled "nobody": selfcare: not found`},
		{name: "unlocking an unknown user is named once",
			call: func() error { return f.svc.Unlock(f.ctx, "", "nobody") },
			is:   selfcare.ErrNotFound,
			want: `selfcare: unlock "nobody": selfcare: not found`},
		{name: "a device of an unknown owner is named once",
			call: func() error {
				return f.svc.PutDevice(f.ctx, "", selfcare.Device{Name: "SEPA", Owner: "nobody"})
			},
			is:   selfcare.ErrNotFound,
			want: `selfcare: put device "SEPA": owner "nobody": selfcare: not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.is) {
				t.Fatalf("error %v, want one matching %v", err, tt.is)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error text\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCreateUserTwiceFails(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	err := f.svc.CreateUser(f.ctx, "", selfcare.User{ID: testUser}, "", "")
	if !errors.Is(err, selfcare.ErrExists) {
		t.Errorf("second CreateUser: %v, want ErrExists", err)
	}
}

func TestSetUserPasswordEndsSessionsAndForcesChange(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	tok, _ := f.login(testUser, testPassword)
	if err := f.svc.SetUserPassword(f.ctx, "admin", testUser, "Temp-pass-99", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, tok); !errors.Is(err, selfcare.ErrUnauthenticated) {
		t.Errorf("session after reset: %v, want ErrUnauthenticated", err)
	}
	_, p := f.login(testUser, "Temp-pass-99")
	if !p.MustChangePassword() {
		t.Error("MustChangePassword() = false after a reset with mustChange")
	}
	err := f.svc.SetUserPassword(f.ctx, "admin", "nobody", "Temp-pass-99", false)
	if !errors.Is(err, selfcare.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
	if err := f.svc.SetUserPassword(f.ctx, "admin", testUser, "short", false); !errors.Is(err,
		selfcare.ErrInvalid) {
		t.Errorf("short password: %v, want ErrInvalid", err)
	}
}

func TestSetUserPIN(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	if err := f.svc.SetUserPIN(f.ctx, "admin", testUser, "40855"); !errors.Is(err,
		selfcare.ErrInvalid) {
		t.Errorf("extension as PIN: %v, want ErrInvalid", err)
	}
	if err := f.svc.SetUserPIN(f.ctx, "admin", testUser, "13572468"); err != nil {
		t.Fatal(err)
	}
	u, err := f.store.User(f.ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := selfcare.VerifySecret(u.PINHash, "13572468", cheapHash); !ok || err != nil {
		t.Errorf("stored PIN does not verify: %t, %v", ok, err)
	}
}

func TestAddGroupMemberChecksRank(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addUser(selfcare.User{ID: "low", Rank: 5}, testPassword, testPIN, nil)
	err := f.svc.AddGroupMember(f.ctx, "admin", acl.GroupStandardCCMEndUsers, "low")
	if !errors.Is(err, acl.ErrRank) {
		t.Fatalf("rank-5 user into a rank-1 group: %v, want acl.ErrRank", err)
	}
	if e := f.lastAudit(selfcare.ActionGroupMemberAdd); e.Outcome != selfcare.OutcomeFailed {
		t.Errorf("refused membership audited as %q", e.Outcome)
	}
	err = f.svc.AddGroupMember(f.ctx, "admin", acl.GroupStandardCCMEndUsers, "nobody")
	if !errors.Is(err, selfcare.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
}

// TestLosingAccessEndsSessionsAtOnce checks that a membership change that
// takes access away ends the user's sessions at once rather than when they
// are next used: a session left idle must not come back to life when the
// access is given back.
func TestLosingAccessEndsSessionsAtOnce(t *testing.T) {
	const (
		endUsers = acl.GroupStandardCCMEndUsers
		admins   = acl.GroupStandardCCMAdminUsers
		audit    = acl.GroupStandardAuditUsers
	)
	tests := []struct {
		name   string
		groups []string // alice's groups besides Standard CCM End Users
		copy   bool     // put alice in a custom copy of Standard CCM End Users too
		admin  bool     // open an administration session as well
		remove string
		// detail is the audited cause; "" means the sessions must survive.
		detail string
	}{
		{name: "removing the only Self Care group ends every session",
			remove: endUsers, detail: "no Self Care role"},
		{name: "removing one of two Self Care groups keeps the sessions",
			copy: true, remove: endUsers},
		{name: "removing a group without the role keeps the sessions",
			groups: []string{audit}, remove: audit},
		{name: "removing administration access ends every session",
			groups: []string{admins}, admin: true, remove: admins,
			detail: "no administration access"},
		{name: "removing Self Care from an administrator ends every session",
			groups: []string{admins}, admin: true, remove: endUsers,
			detail: "no Self Care role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, selfcare.Config{})
			f.addUser(selfcare.User{ID: testUser, FirstName: "Alice", LastName: "Martin"},
				testPassword, testPIN, append([]string{endUsers}, tt.groups...), "40855")
			if tt.copy {
				g, err := f.svc.Directory().CopyGroup(f.ctx, endUsers, "Portal Users")
				if err != nil {
					t.Fatal(err)
				}
				if err := f.svc.AddGroupMember(f.ctx, "", g.ID, testUser); err != nil {
					t.Fatal(err)
				}
			}
			tok1, _ := f.login(testUser, testPassword)
			tok2, _ := f.login(testUser, testPassword)
			tokens := []string{tok1, tok2}
			if tt.admin {
				tok, _, err := f.svc.AdminLogin(f.ctx, testUser, testPassword, testAddr)
				if err != nil {
					t.Fatal(err)
				}
				tokens = append(tokens, tok)
			}

			err := f.svc.RemoveGroupMember(f.ctx, "admin", tt.remove, testUser)
			if err != nil {
				t.Fatal(err)
			}
			ended := tt.detail != ""
			for i, tok := range tokens {
				if stored := f.sessionStored(tok); stored == ended {
					t.Errorf("session %d stored = %t right after the removal, want %t",
						i, stored, !ended)
				}
			}
			if !ended {
				return
			}
			e := f.lastAudit(selfcare.ActionSessionEnded)
			want := selfcare.AuditEvent{Actor: "admin", Action: selfcare.ActionSessionEnded,
				Target: testUser, Outcome: selfcare.OutcomeOK, Detail: tt.detail}
			e.ID, e.Time = 0, time.Time{}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}

			// Giving the access back must not revive an idle session.
			if err := f.svc.AddGroupMember(f.ctx, "admin", tt.remove, testUser); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Authenticate(f.ctx, tok1); !errors.Is(err,
				selfcare.ErrUnauthenticated) {
				t.Errorf("Authenticate after the access came back: %v, want "+
					"ErrUnauthenticated", err)
			}
		})
	}
}

// TestAddingAGroupKeepsSessions checks that gaining a group ends nothing.
func TestAddingAGroupKeepsSessions(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	tok, _ := f.login(testUser, testPassword)
	err := f.svc.AddGroupMember(f.ctx, "", acl.GroupStandardAuditUsers, testUser)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
		t.Errorf("Authenticate after joining a group: %v", err)
	}
}

func TestUnlockUnknownUser(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	if err := f.svc.Unlock(f.ctx, "", "nobody"); !errors.Is(err, selfcare.ErrNotFound) {
		t.Errorf("Unlock(nobody): %v, want ErrNotFound", err)
	}
}

func TestPutDeviceValidation(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	line := selfcare.Line{Index: 1, Extension: "1001"}
	tests := []struct {
		name string
		dev  selfcare.Device
		want error
	}{
		{name: "valid device is stored",
			dev: selfcare.Device{Name: "SEP001122334455", Owner: testUser,
				Lines: []selfcare.Line{line}}},
		{name: "empty name is refused", dev: selfcare.Device{Owner: testUser},
			want: selfcare.ErrInvalid},
		{name: "line index 0 is refused",
			dev: selfcare.Device{Name: "SEPA", Owner: testUser,
				Lines: []selfcare.Line{{Index: 0, Extension: "1"}}},
			want: selfcare.ErrInvalid},
		{name: "duplicate line index is refused",
			dev: selfcare.Device{Name: "SEPA", Owner: testUser,
				Lines: []selfcare.Line{line, line}},
			want: selfcare.ErrInvalid},
		{name: "line break in a label is refused",
			dev: selfcare.Device{Name: "SEPA", Owner: testUser,
				Lines: []selfcare.Line{{Index: 1, Extension: "1", Label: "a\r\nb"}}},
			want: selfcare.ErrInvalid},
		{name: "unknown owner is refused",
			dev:  selfcare.Device{Name: "SEPA", Owner: "nobody"},
			want: selfcare.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.svc.PutDevice(f.ctx, "", tt.dev); !errors.Is(err, tt.want) ||
				(tt.want == nil && err != nil) {
				t.Errorf("PutDevice: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPhonesAreTheUsersOwn(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	f.addUser(selfcare.User{ID: "bob"}, testPassword, testPIN,
		[]string{acl.GroupStandardCCMEndUsers}, "2002")
	_, p := f.login(testUser, testPassword)
	ds, err := f.svc.Phones(f.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
	}
	if diff := cmp.Diff([]string{"SEPALICEMARTIN"}, names); diff != "" {
		t.Errorf("Phones (-want +got):\n%s", diff)
	}
	if _, err := f.svc.Phones(f.ctx, nil); !errors.Is(err, selfcare.ErrUnauthenticated) {
		t.Errorf("Phones(nil): %v, want ErrUnauthenticated", err)
	}
}

// TestSecretsStayOutOfLogsAndAudit runs every credential path with a
// debug logger and then looks for each secret in the log and the trail.
func TestSecretsStayOutOfLogsAndAudit(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, selfcare.Config{Logger: logger})
	f.addAlice()

	const (
		wrongPw  = "Wr0ng-Guess-77"
		newPw    = "Blue-river-55"
		badPw    = "qrstuvwx" // refused as a sequence
		newPIN   = "13572468"
		adminPw  = "Temp-pass-42"
		adminPIN = "97318642"
	)
	secrets := []string{testPassword, testPIN, wrongPw, newPw, badPw, newPIN, adminPw,
		adminPIN}

	f.wrong(testUser, 1)
	_, _, _ = f.svc.Login(f.ctx, "nobody", wrongPw, testAddr)
	tok, p := f.login(testUser, testPassword)
	secrets = append(secrets, tok)
	_ = f.svc.ChangePassword(f.ctx, p, wrongPw, newPw, testAddr)
	_ = f.svc.ChangePassword(f.ctx, p, testPassword, badPw, testAddr)
	if err := f.svc.ChangePassword(f.ctx, p, testPassword, newPw, testAddr); err != nil {
		t.Fatal(err)
	}
	_ = f.svc.ChangePIN(f.ctx, p, newPw, "1111", testAddr)
	if err := f.svc.ChangePIN(f.ctx, p, newPw, newPIN, testAddr); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetUserPassword(f.ctx, "", testUser, adminPw, true); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetUserPIN(f.ctx, "", testUser, adminPIN); err != nil {
		t.Fatal(err)
	}

	es, err := f.svc.Audit(f.ctx, selfcare.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) < 10 || logs.Len() == 0 {
		t.Fatalf("only %d audit events and %d bytes of log: the scenario did not run",
			len(es), logs.Len())
	}
	var trail strings.Builder
	for _, e := range es {
		trail.WriteString(strings.Join([]string{e.Actor, e.Action, e.Target, e.Outcome,
			e.Detail, e.RemoteAddr}, "|"))
		trail.WriteByte('\n')
	}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log holds the secret %q", s)
		}
		if strings.Contains(trail.String(), s) {
			t.Errorf("audit trail holds the secret %q", s)
		}
	}
}

package selfcare_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

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
			password: "12345678", want: []selfcare.FieldError{{Field: "password",
				Message: msgPwSequence}}},
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

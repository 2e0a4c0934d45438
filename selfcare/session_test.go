package selfcare_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

// TestAuthenticateTimeouts walks a session through the idle and absolute
// timeouts with the injected clock. Each step advances the clock and then
// authenticates.
func TestAuthenticateTimeouts(t *testing.T) {
	type step struct {
		advance time.Duration
		ok      bool
	}
	tests := []struct {
		name  string
		cfg   selfcare.Config
		steps []step
	}{
		{name: "used within 30 minutes stays open",
			steps: []step{{29 * time.Minute, true}, {29 * time.Minute, true}}},
		{name: "exactly 30 idle minutes still open",
			steps: []step{{30 * time.Minute, true}}},
		{name: "idle for 31 minutes ends",
			steps: []step{{31 * time.Minute, false}}},
		{name: "idle timeout counts from the last use",
			steps: []step{{20 * time.Minute, true}, {20 * time.Minute, true},
				{31 * time.Minute, false}}},
		{name: "active all day ends after 8 hours",
			steps: append(repeat(step{25 * time.Minute, true}, 19), // 7h55m
				step{5 * time.Minute, true}, // 8h exactly
				step{1 * time.Minute, false})},
		{name: "configured idle timeout applies",
			cfg:   selfcare.Config{IdleTimeout: 5 * time.Minute},
			steps: []step{{4 * time.Minute, true}, {6 * time.Minute, false}}},
		{name: "configured absolute timeout applies",
			cfg: selfcare.Config{AbsoluteTimeout: time.Hour},
			steps: []step{{25 * time.Minute, true}, {25 * time.Minute, true},
				{11 * time.Minute, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			f.addAlice()
			tok, _ := f.login(testUser, testPassword)
			for i, s := range tt.steps {
				f.clock.Advance(s.advance)
				p, err := f.svc.Authenticate(f.ctx, tok)
				if s.ok {
					if err != nil || p.User.ID != testUser {
						t.Fatalf("step %d: Authenticate = %v, %v; want alice", i, p, err)
					}
					continue
				}
				if !errors.Is(err, selfcare.ErrUnauthenticated) {
					t.Fatalf("step %d: Authenticate error = %v, want ErrUnauthenticated",
						i, err)
				}
				if f.sessionStored(tok) {
					t.Errorf("step %d: expired session still stored", i)
				}
			}
		})
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestAuthenticateTouchesAtMostOncePerMinute(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	tok, _ := f.login(testUser, testPassword)
	h := sha256.Sum256([]byte(tok))
	lastSeen := func() time.Time {
		s, err := f.store.Session(f.ctx, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return s.LastSeen
	}

	f.clock.Advance(30 * time.Second)
	if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got := lastSeen(); !got.Equal(start) {
		t.Errorf("LastSeen after 30s = %v, want unchanged %v", got, start)
	}
	f.clock.Advance(31 * time.Second)
	if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got, want := lastSeen(), start.Add(61*time.Second); !got.Equal(want) {
		t.Errorf("LastSeen after 61s = %v, want %v", got, want)
	}
}

func TestAuthenticateRefusesBadTokens(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	tok, _ := f.login(testUser, testPassword)
	for name, bad := range map[string]string{
		"empty":           "",
		"unknown":         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"truncated":       tok[:len(tok)-1],
		"huge":            string(make([]byte, 4096)),
		"the stored hash": string(func() []byte { h := sha256.Sum256([]byte(tok)); return h[:] }()),
	} {
		if _, err := f.svc.Authenticate(f.ctx, bad); !errors.Is(err,
			selfcare.ErrUnauthenticated) {
			t.Errorf("%s token: error = %v, want ErrUnauthenticated", name, err)
		}
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	tok, _ := f.login(testUser, testPassword)
	other, _ := f.login(testUser, testPassword)
	if err := f.svc.Logout(f.ctx, tok); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, tok); !errors.Is(err, selfcare.ErrUnauthenticated) {
		t.Errorf("Authenticate after logout: %v, want ErrUnauthenticated", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, other); err != nil {
		t.Errorf("the other session ended too: %v", err)
	}
	if err := f.svc.Logout(f.ctx, tok); err != nil {
		t.Errorf("second Logout: %v, want nil", err)
	}
	if e := f.lastAudit(selfcare.ActionLogout); e.Actor != testUser {
		t.Errorf("logout audited for %q", e.Actor)
	}
}

func TestDisablingEndsSessions(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	a, _ := f.login(testUser, testPassword)
	b, _ := f.login(testUser, testPassword)
	if err := f.svc.SetUserDisabled(f.ctx, "admin", testUser, true); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{a, b} {
		if _, err := f.svc.Authenticate(f.ctx, tok); !errors.Is(err,
			selfcare.ErrUnauthenticated) {
			t.Errorf("Authenticate after disabling: %v, want ErrUnauthenticated", err)
		}
		if f.sessionStored(tok) {
			t.Error("session of a disabled user still stored")
		}
	}
	if err := f.svc.SetUserDisabled(f.ctx, "admin", testUser, false); err != nil {
		t.Fatal(err)
	}
	f.login(testUser, testPassword)
}

func TestLosingTheRoleEndsSessions(t *testing.T) {
	t.Run("through the service", func(t *testing.T) {
		f := newFixture(t, selfcare.Config{})
		f.addAlice()
		tok, _ := f.login(testUser, testPassword)
		err := f.svc.RemoveGroupMember(f.ctx, "admin", acl.GroupStandardCCMEndUsers, testUser)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(f.ctx, tok); !errors.Is(err,
			selfcare.ErrUnauthenticated) {
			t.Errorf("Authenticate after removal: %v, want ErrUnauthenticated", err)
		}
		if e := f.lastAudit(selfcare.ActionSessionEnded); e.Detail != "no Self Care role" {
			t.Errorf("session end audited as %q", e.Detail)
		}
	})
	t.Run("by another process sharing the store", func(t *testing.T) {
		f := newFixture(t, selfcare.Config{})
		f.addAlice()
		tok, _ := f.login(testUser, testPassword)
		// Written straight to the store, as another portal process would:
		// this service's resolver learns of it only through Sync.
		if err := f.store.RemoveMember(f.ctx, acl.GroupStandardCCMEndUsers, testUser); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(f.ctx, tok); !errors.Is(err,
			selfcare.ErrUnauthenticated) {
			t.Errorf("Authenticate after removal elsewhere: %v, want ErrUnauthenticated", err)
		}
	})
}

func TestChangePasswordKeepsOnlyTheCurrentSession(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	current, p := f.login(testUser, testPassword)
	other, _ := f.login(testUser, testPassword)
	const next = "Blue-river-07"
	if err := f.svc.ChangePassword(f.ctx, p, testPassword, next, testAddr); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, current); err != nil {
		t.Errorf("current session ended: %v", err)
	}
	if _, err := f.svc.Authenticate(f.ctx, other); !errors.Is(err, selfcare.ErrUnauthenticated) {
		t.Errorf("other session: %v, want ErrUnauthenticated", err)
	}
	if _, _, err := f.svc.Login(f.ctx, testUser, testPassword, testAddr); err !=
		selfcare.ErrLoginFailed {
		t.Errorf("Login with the old password: %v, want ErrLoginFailed", err)
	}
	f.login(testUser, next)
}

func TestPurgeExpiredSessions(t *testing.T) {
	f := newFixture(t, selfcare.Config{})
	f.addAlice()
	old, _ := f.login(testUser, testPassword)
	f.clock.Advance(20 * time.Minute)
	fresh, _ := f.login(testUser, testPassword)
	f.clock.Advance(11 * time.Minute)
	n, err := f.svc.PurgeExpiredSessions(f.ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgeExpiredSessions = %d, %v; want 1", n, err)
	}
	if f.sessionStored(old) || !f.sessionStored(fresh) {
		t.Error("purge removed the wrong session")
	}
}

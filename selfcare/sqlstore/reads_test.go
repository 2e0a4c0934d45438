package sqlstore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// Test secrets; they pass the default credential policy.
const (
	readsPassword = "Corr3ct-Horse!"
	readsPIN      = "80461973"
)

func TestSessionUserMatchesTheSeparateReads(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "portal.db"))
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if err := s.CreateUser(ctx, selfcare.User{ID: "ann", FirstName: "Ann", Rank: 2,
		PasswordHash: "h", PasswordChangedAt: at, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRole(ctx, acl.Role{ID: "r1", Name: "Role"}); err != nil {
		t.Fatal(err) // moves the generation off its first value
	}
	for _, x := range []selfcare.Session{
		{TokenHash: []byte("ann-token"), UserID: "ann", CreatedAt: at,
			AuthenticatedAt: at, LastSeen: at.Add(time.Minute), RemoteAddr: "192.0.2.7"},
		// No foreign key ties a session to its user: the read must cope.
		{TokenHash: []byte("gone-token"), UserID: "gone", CreatedAt: at,
			AuthenticatedAt: at, LastSeen: at},
	} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	gen, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		hash    string
		wantErr error
	}{
		{"session of a user returns both and the generation", "ann-token", nil},
		{"session of a missing user returns a zero user", "gone-token", nil},
		{"unknown token is not found", "nobody", selfcare.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SessionUser(ctx, []byte(tt.hash))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SessionUser: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			want := selfcare.SessionRead{Generation: gen}
			if want.Session, err = s.Session(ctx, []byte(tt.hash)); err != nil {
				t.Fatal(err)
			}
			want.User, err = s.User(ctx, want.Session.UserID)
			if err != nil && !errors.Is(err, selfcare.ErrNotFound) {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SessionUser (-separate reads +joined):\n%s", diff)
			}
		})
	}
}

// TestAuthenticateSeesAnotherProcessAtOnce checks that the generation read
// with the session still lets every request see a change that another
// process made: the caches reload, and nothing of the session or the user
// is kept between requests.
func TestAuthenticateSeesAnotherProcessAtOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	cfg := selfcare.Config{Hash: selfcare.HashParams{Memory: 64, Iterations: 1,
		Parallelism: 1}}
	storeA := open(t, path)
	svcA := selfcare.New(storeA, cfg)
	other := open(t, path)
	svcB := selfcare.New(other, cfg)

	if err := svcA.Directory().EnsureStandard(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ann", "bob"} {
		if err := svcA.CreateUser(ctx, "", selfcare.User{ID: id}, readsPassword,
			readsPIN); err != nil {
			t.Fatal(err)
		}
		if err := svcA.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers,
			id); err != nil {
			t.Fatal(err)
		}
	}
	login := func(t *testing.T, id string) string {
		t.Helper()
		tok, _, err := svcA.Login(ctx, id, readsPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svcB.Authenticate(ctx, tok); err != nil {
			t.Fatalf("before the change: %v", err)
		}
		return tok
	}

	t.Run("a parameter change applies to the next request", func(t *testing.T) {
		tok := login(t, "ann")
		if _, err := svcA.SetParam(ctx, selfcare.LocalCaller("admin"),
			params.KeyShowCallForwarding, params.HideAllSettings); err != nil {
			t.Fatal(err)
		}
		p, err := svcB.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		err = svcB.CheckFeature(ctx, p, params.FeatureCallForwardAll)
		if !errors.Is(err, params.ErrFeatureHidden) {
			t.Errorf("CheckFeature after the change: %v, want %v", err,
				params.ErrFeatureHidden)
		}
	})

	t.Run("losing the Self Care role ends the session", func(t *testing.T) {
		tok := login(t, "bob")
		// Straight to the store, as a directory tool would: the service
		// would also end bob's sessions, and hide whether B's cached
		// grant is dropped.
		if err := storeA.RemoveMember(ctx, acl.GroupStandardCCMEndUsers,
			"bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := svcB.Authenticate(ctx, tok); !errors.Is(err,
			selfcare.ErrUnauthenticated) {
			t.Errorf("Authenticate after the change: %v, want %v", err,
				selfcare.ErrUnauthenticated)
		}
	})

	t.Run("a logout elsewhere ends the session", func(t *testing.T) {
		tok := login(t, "ann")
		if err := svcA.Logout(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := svcB.Authenticate(ctx, tok); !errors.Is(err,
			selfcare.ErrUnauthenticated) {
			t.Errorf("Authenticate after the logout: %v, want %v", err,
				selfcare.ErrUnauthenticated)
		}
	})
}

// The store offers the joined read that Authenticate prefers.
var _ selfcare.SessionUserStore = (*sqlstore.Store)(nil)

func TestOwnedLineForwardingMatchesTheSeparateReads(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "portal.db"))
	for _, id := range []string{"ann", "ben"} {
		if err := s.CreateUser(ctx, selfcare.User{ID: id, PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []selfcare.Device{
		{Name: "SEPANN", Owner: "ann", Lines: []selfcare.Line{{Index: 1, Extension: "4021"},
			{Index: 2, Extension: "4022"}}},
		{Name: "SEPBEN", Owner: "ben", Lines: []selfcare.Line{{Index: 1, Extension: "4031"}}},
		// A line shared by two phones of one owner is still one line.
		{Name: "SEPANN2", Owner: "ann", Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}},
	} {
		if err := s.PutDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	f := selfcare.CallForwarding{Extension: "4021"}
	f.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{Destination: "4031"}
	f.Rules[params.ForwardBusyExternal] = selfcare.ForwardRule{Voicemail: true}
	if _, err := s.UpdateLineForwarding(ctx, f, nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, user, ext string
		wantErr         error
	}{
		{"own line with forwarding reads it", "ann", "4021", nil},
		{"own line without forwarding reads version 0", "ann", "4022", nil},
		{"another user's line is not found", "ann", "4031", selfcare.ErrNotFound},
		{"a missing line is not found", "ann", "4099", selfcare.ErrNotFound},
		{"a missing user owns nothing", "nobody", "4021", selfcare.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.OwnedLineForwarding(ctx, tt.user, tt.ext)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			want, err := s.LineForwarding(ctx, tt.ext)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("OwnedLineForwarding (-LineForwarding +got):\n%s", diff)
			}
		})
	}
}

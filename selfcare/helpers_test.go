package selfcare_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// cheapHash keeps tests fast; one test and the benchmarks use the defaults.
var cheapHash = selfcare.HashParams{Memory: 64, Iterations: 1, Parallelism: 1}

// The credentials of the standard test user.
const (
	testUser     = "alice.martin"
	testPassword = "Corr3ct-Horse!"
	testPIN      = "80461973"
	testAddr     = "192.0.2.10"
)

// start is the fake clock's first reading, at microsecond precision like
// the stores.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clock is an injected clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a service on a memstore with the standard acl catalogue.
type fixture struct {
	tb    testing.TB
	ctx   context.Context
	store *memstore.Store
	clock *clock
	svc   *selfcare.Service
}

// newFixture builds a fixture; cfg's zero Now and Hash become the fake
// clock and cheapHash.
func newFixture(tb testing.TB, cfg selfcare.Config) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, ctx: context.Background(), store: memstore.New(),
		clock: &clock{t: start}}
	if cfg.Now == nil {
		cfg.Now = f.clock.Now
	}
	if cfg.Hash == (selfcare.HashParams{}) {
		cfg.Hash = cheapHash
	}
	f.svc = selfcare.New(f.store, cfg)
	if err := f.svc.Directory().EnsureStandard(f.ctx); err != nil {
		tb.Fatalf("EnsureStandard: %v", err)
	}
	return f
}

// addUser creates the user with the password and PIN, puts them in the
// groups and gives them a phone with one line per extension.
func (f *fixture) addUser(u selfcare.User, password, pin string, groups []string,
	exts ...string) {
	f.tb.Helper()
	if err := f.svc.CreateUser(f.ctx, "", u, password, pin); err != nil {
		f.tb.Fatalf("CreateUser(%q): %v", u.ID, err)
	}
	for _, g := range groups {
		if err := f.svc.AddGroupMember(f.ctx, "", g, u.ID); err != nil {
			f.tb.Fatalf("AddGroupMember(%q, %q): %v", g, u.ID, err)
		}
	}
	if len(exts) == 0 {
		return
	}
	d := selfcare.Device{Name: "SEP" + strings.ToUpper(strings.ReplaceAll(u.ID, ".", "")),
		Owner: u.ID, Model: "Cisco 8841"}
	for i, e := range exts {
		d.Lines = append(d.Lines, selfcare.Line{Index: i + 1, Extension: e})
	}
	if err := f.svc.PutDevice(f.ctx, "", d); err != nil {
		f.tb.Fatalf("PutDevice: %v", err)
	}
}

// addAlice adds the standard end user, a member of Standard CCM End Users
// with extension 40855.
func (f *fixture) addAlice() {
	f.tb.Helper()
	f.addUser(selfcare.User{ID: testUser, FirstName: "Alice", LastName: "Martin"},
		testPassword, testPIN, []string{acl.GroupStandardCCMEndUsers}, "40855")
}

// login logs in and fails the test on an error.
func (f *fixture) login(user, password string) (string, *selfcare.Principal) {
	f.tb.Helper()
	tok, p, err := f.svc.Login(f.ctx, user, password, testAddr)
	if err != nil {
		f.tb.Fatalf("Login(%q): %v", user, err)
	}
	return tok, p
}

// lastAudit returns the newest audit event with the action.
func (f *fixture) lastAudit(action string) selfcare.AuditEvent {
	f.tb.Helper()
	es, err := f.svc.Audit(f.ctx, selfcare.AuditFilter{Action: action, Limit: 1})
	if err != nil {
		f.tb.Fatalf("Audit: %v", err)
	}
	if len(es) == 0 {
		f.tb.Fatalf("no audit event %q", action)
	}
	return es[0]
}

// sessionStored reports whether the store holds a session for token.
func (f *fixture) sessionStored(token string) bool {
	f.tb.Helper()
	h := sha256.Sum256([]byte(token))
	_, err := f.store.Session(f.ctx, h[:])
	switch {
	case err == nil:
		return true
	case errors.Is(err, selfcare.ErrNotFound):
		return false
	}
	f.tb.Fatalf("Session: %v", err)
	return false
}

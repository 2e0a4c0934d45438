package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// childEnv tells TestProcessChild which database to open and what to do.
const (
	childPathEnv = "SQLSTORE_CHILD_PATH"
	childDoEnv   = "SQLSTORE_CHILD_DO"
)

// TestProcessChild is the other process of TestReadCacheSeesOtherProcesses:
// it opens the store, makes one change and closes it, as the admin command
// line does. It does nothing when run on its own.
func TestProcessChild(t *testing.T) {
	path := os.Getenv(childPathEnv)
	if path == "" {
		t.Skip("the child of TestReadCacheSeesOtherProcesses")
	}
	ctx := t.Context()
	s, err := sqlstore.Open(ctx, path, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.User(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	switch do := os.Getenv(childDoEnv); do {
	case "rename":
		u.FirstName = "Renamed"
		err = s.UpdateProfile(ctx, u)
	case "disable":
		err = s.SetDisabled(ctx, "ann", true)
	default:
		t.Fatalf("unknown change %q", do)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadCacheSeesOtherProcesses warms the read cache of this process,
// then lets other processes change the database one after the other, each
// opening and closing its own store, and reads after each: the change must
// be seen at once. Two stores in one process cannot show this: record
// locks are per process.
func TestReadCacheSeesOtherProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	s := open(t, path)
	if s.CacheHits() < 0 {
		t.Fatal("the store reads without its cache on this system")
	}
	at := time.Now().UTC()
	if err := s.CreateUser(ctx, selfcare.User{ID: "ann", FirstName: "Ann",
		PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	tok := []byte("ann-token")
	if err := s.CreateSession(ctx, selfcare.Session{TokenHash: tok, UserID: "ann",
		CreatedAt: at, AuthenticatedAt: at, LastSeen: at}); err != nil {
		t.Fatal(err)
	}
	read := func() selfcare.User {
		t.Helper()
		var rd selfcare.SessionRead
		for range 2 { // the second read comes from the cache
			var err error
			if rd, err = s.SessionUser(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		return rd.User
	}
	child := func(do string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestProcessChild$",
			"-test.count=1")
		cmd.Env = append(os.Environ(), childPathEnv+"="+path, childDoEnv+"="+do)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child %s: %v\n%s", do, err, out)
		}
	}

	hits := s.CacheHits()
	if u := read(); u.FirstName != "Ann" || s.CacheHits() == hits {
		t.Fatalf("before: %q, %d cache hits", u.FirstName, s.CacheHits()-hits)
	}
	child("rename")
	if u := read(); u.FirstName != "Renamed" {
		t.Fatalf("after another process renamed the user: %q", u.FirstName)
	}
	// The tester's sequence: a second change by a second process after
	// this one has read the first.
	// Disabling ends the user's sessions in the same transaction.
	child("disable")
	if _, err := s.SessionUser(ctx, tok); !errors.Is(err, selfcare.ErrNotFound) {
		t.Fatalf("session after another process disabled its user: %v, want "+
			"ErrNotFound", err)
	}
	// And this process still writes to a sound database, and sees it.
	u, err := s.User(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "ann", false); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, selfcare.Session{TokenHash: tok, UserID: "ann",
		CreatedAt: at, AuthenticatedAt: at, LastSeen: at}); err != nil {
		t.Fatal(err)
	}
	if got := read(); !u.Disabled || got.Disabled || got.FirstName != "Renamed" {
		t.Fatalf("after its own changes: disabled before %v, now %v, name %q",
			u.Disabled, got.Disabled, got.FirstName)
	}
}

package sqlstore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// TestReadCacheSeesEveryCommit reads a session and a line's forwarding
// through store a, twice, so that the second read comes from its cache,
// then changes them through store b, another process's view of the same
// file, and through a itself: each change must be seen by a's very next
// read.
func TestReadCacheSeesEveryCommit(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	a, b := open(t, path), open(t, path)
	if a.CacheHits() < 0 {
		t.Fatal("the store reads without its cache on this system")
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.CreateUser(ctx, selfcare.User{ID: "ann", PasswordHash: "h"}))
	must(a.PutDevice(ctx, selfcare.Device{Name: "SEPANN", Owner: "ann",
		Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}}))
	tok := []byte("ann-token")
	must(a.CreateSession(ctx, selfcare.Session{TokenHash: tok, UserID: "ann",
		CreatedAt: at, AuthenticatedAt: at, LastSeen: at}))

	// readTwice reads both through a twice and checks that the second
	// read was a cache hit that answered what the first did.
	readTwice := func(what string) (selfcare.SessionRead, selfcare.CallForwarding) {
		t.Helper()
		var (
			rds  [2]selfcare.SessionRead
			fwds [2]selfcare.CallForwarding
		)
		for i := range 2 {
			hits := a.CacheHits()
			var err error
			rds[i], err = a.SessionUser(ctx, tok)
			must(err)
			fwds[i], err = a.OwnedLineForwarding(ctx, "ann", "4021")
			must(err)
			if got, want := a.CacheHits()-hits, 2*i; got != want {
				t.Fatalf("%s, read %d: %d cache hits, want %d", what, i+1, got, want)
			}
		}
		if rds[0].User.FirstName != rds[1].User.FirstName ||
			fwds[0] != fwds[1] {
			t.Fatalf("%s: the cache answered differently: %+v %+v", what, rds, fwds)
		}
		return rds[1], fwds[1]
	}

	readTwice("at first")

	// Another process changes the user and the forwarding.
	u, err := b.User(ctx, "ann")
	must(err)
	u.FirstName = "Annie"
	must(b.UpdateProfile(ctx, u))
	f := selfcare.CallForwarding{Extension: "4021"}
	f.Rules[params.ForwardAllCalls] = selfcare.ForwardRule{Destination: "4031"}
	_, err = b.UpdateLineForwarding(ctx, f, nil)
	must(err)
	rd, fwd := readTwice("after another process's commits")
	if rd.User.FirstName != "Annie" || fwd.Rule(params.ForwardAllCalls).Destination != "4031" {
		t.Fatalf("stale after another process's commits: %q, %+v", rd.User.FirstName, fwd)
	}

	// This process's own commit.
	u.FirstName = "Ann"
	must(a.UpdateProfile(ctx, u))
	if rd, _ = readTwice("after its own commit"); rd.User.FirstName != "Ann" {
		t.Fatalf("stale after its own commit: %q", rd.User.FirstName)
	}

	// A logout elsewhere ends the session at the next read; the phone
	// given to someone else is no longer ann's line.
	must(b.DeleteSession(ctx, tok))
	if _, err := a.SessionUser(ctx, tok); !errors.Is(err, selfcare.ErrNotFound) {
		t.Fatalf("session after a logout elsewhere: %v, want ErrNotFound", err)
	}
	must(b.CreateUser(ctx, selfcare.User{ID: "ben", PasswordHash: "h"}))
	must(b.PutDevice(ctx, selfcare.Device{Name: "SEPANN", Owner: "ben",
		Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}}))
	if _, err := a.OwnedLineForwarding(ctx, "ann", "4021"); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Fatalf("forwarding of a phone given away elsewhere: %v, want ErrNotFound", err)
	}
}

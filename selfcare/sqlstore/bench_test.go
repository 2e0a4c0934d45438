package sqlstore_test

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

// hash returns a token hash for session i.
func hash(i int) []byte {
	h := sha256.Sum256(fmt.Append(nil, "token", i))
	return h[:]
}

func BenchmarkSessionLookup(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	const sessions = 10_000
	if err := s.CreateUser(ctx, selfcare.User{ID: "alice"}); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := range sessions {
		x := selfcare.Session{TokenHash: hash(i), UserID: "alice", CreatedAt: now, LastSeen: now}
		if err := s.CreateSession(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Session(ctx, hash(i%sessions)); err != nil {
			b.Fatal(err)
		}
		i += 7
	}
}

func BenchmarkAddFailure(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AddFailure(ctx, "user:alice", time.Now(), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUserGroups(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	if err := s.PutRole(ctx, acl.Role{ID: "r0"}); err != nil {
		b.Fatal(err)
	}
	const groups, users = 100, 2000
	for g := range groups {
		err := s.PutGroup(ctx, acl.Group{ID: fmt.Sprintf("g%03d", g), RoleIDs: []string{"r0"}})
		if err != nil {
			b.Fatal(err)
		}
	}
	for u := range users {
		for k := range 3 {
			g := fmt.Sprintf("g%03d", (u*7+k*31)%groups)
			if err := s.AddMember(ctx, g, fmt.Sprintf("user%05d", u)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		gs, err := s.UserGroups(ctx, fmt.Sprintf("user%05d", i%users))
		if err != nil || len(gs) != 3 {
			b.Fatalf("UserGroups: %d groups, %v", len(gs), err)
		}
		i++
	}
}

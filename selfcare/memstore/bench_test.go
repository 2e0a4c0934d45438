package memstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// loaded returns a store holding the acl data of a large site: 1,000 groups
// and 100,000 users in three groups each.
func loaded(tb testing.TB) *memstore.Store {
	tb.Helper()
	ctx := context.Background()
	s := memstore.New()
	if err := s.PutRole(ctx, acl.Role{ID: "r0", Name: "role"}); err != nil {
		tb.Fatal(err)
	}
	const groups, users = 1000, 100_000
	for g := range groups {
		err := s.PutGroup(ctx, acl.Group{ID: fmt.Sprintf("g%04d", g), RoleIDs: []string{"r0"}})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for u := range users {
		for k := range 3 {
			g := fmt.Sprintf("g%04d", (u*7+k*331)%groups)
			if err := s.AddMember(ctx, g, fmt.Sprintf("user%06d", u)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return s
}

func BenchmarkUserGroups(b *testing.B) {
	s := loaded(b)
	ctx := context.Background()
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprintf("user%06d", i*97)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		gs, err := s.UserGroups(ctx, names[i%len(names)])
		if err != nil || len(gs) != 3 {
			b.Fatalf("UserGroups: %d groups, %v", len(gs), err)
		}
		i++
	}
}

func BenchmarkRolesByID(b *testing.B) {
	s := loaded(b)
	ctx := context.Background()
	ids := []string{"r0", "r-missing"}
	b.ReportAllocs()
	for b.Loop() {
		if rs, err := s.RolesByID(ctx, ids); err != nil || len(rs) != 1 {
			b.Fatalf("RolesByID: %d roles, %v", len(rs), err)
		}
	}
}

func BenchmarkGeneration(b *testing.B) {
	s := memstore.New()
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Generation(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

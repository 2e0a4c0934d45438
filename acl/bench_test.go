package acl_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// Sizes of the cold-path benchmark: a large site in one store.
const (
	benchUsers      = 100_000
	benchGroups     = 1_000
	benchRoles      = 50
	benchUserGroups = 10 // groups of the measured user
	benchTarget     = "target-user"
)

// bigStore fills a store directly, skipping the directory's checks, which
// would only slow the set-up: 50 roles of 3 privileges, 1,000 groups of 3
// roles, 100,000 users in 2 groups each and one user in 10.
func bigStore(tb testing.TB) *memstore.Store {
	tb.Helper()
	ctx := context.Background()
	s := memstore.New()
	resources := acl.Resources()
	for i := range benchRoles {
		r := acl.Role{ID: fmt.Sprintf("role-%03d", i), Name: fmt.Sprintf("role %d", i)}
		for j := range 3 {
			res := resources[(i+j)%len(resources)]
			r.Privileges = append(r.Privileges, acl.Privilege{Resource: res, Access: acl.Access(1 + (i+j)%2)})
		}
		if err := s.PutRole(ctx, r); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range benchGroups {
		g := acl.Group{ID: fmt.Sprintf("group-%04d", i), Name: fmt.Sprintf("group %d", i), MinRank: 10}
		for j := range 3 {
			g.RoleIDs = append(g.RoleIDs, fmt.Sprintf("role-%03d", (i*7+j*11)%benchRoles))
		}
		if err := s.PutGroup(ctx, g); err != nil {
			tb.Fatal(err)
		}
	}
	for u := range benchUsers {
		user := fmt.Sprintf("user-%06d", u)
		for _, g := range []int{u % benchGroups, (u*31 + 7) % benchGroups} {
			if err := s.AddMember(ctx, fmt.Sprintf("group-%04d", g), user); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for i := range benchUserGroups {
		if err := s.AddMember(ctx, fmt.Sprintf("group-%04d", i*97), benchTarget); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// BenchmarkBaselineMapLookup is the floor that the cached path is compared
// with: one lookup in a map of users to immutable grant-like values, and
// one field check.
func BenchmarkBaselineMapLookup(b *testing.B) {
	type entry struct{ admin bool }
	m := make(map[string]*entry, 1000)
	for i := range 1000 {
		m[fmt.Sprintf("user-%06d", i)] = &entry{admin: i%2 == 0}
	}
	key := "user-000500"
	n := 0
	for b.Loop() {
		if e := m[key]; e != nil && e.admin {
			n++
		}
	}
	if n == 0 {
		b.Fatal("lookup never hit")
	}
}

// BenchmarkAllowedCached is the per-request decision once the user's grant
// is cached.
func BenchmarkAllowedCached(b *testing.B) {
	f := newFixture(b, acl.Maximum)
	f.join(b, "admin", phoneAdmin, endUsers)
	ctx := context.Background()
	if ok, err := f.res.Allowed(ctx, "admin", devR, up); !ok || err != nil {
		b.Fatalf("control: Allowed = %v, %v", ok, err)
	}
	for b.Loop() {
		ok, err := f.res.Allowed(ctx, "admin", devR, up)
		if !ok || err != nil {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAllowedCachedParallel is the same decision from every CPU at
// once, as under load.
func BenchmarkAllowedCachedParallel(b *testing.B) {
	f := newFixture(b, acl.Maximum)
	f.join(b, "admin", phoneAdmin, endUsers)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := f.res.Allowed(ctx, "admin", devR, up); !ok || err != nil {
				b.Error("refused")
				return
			}
		}
	})
}

// BenchmarkGrantCold resolves, from the store, a user in 10 of 1,000
// groups among 100,000 users; the grant is dropped before every round.
func BenchmarkGrantCold(b *testing.B) {
	s := bigStore(b)
	r := acl.NewResolver(s, acl.ResolverConfig{})
	ctx := context.Background()
	for b.Loop() {
		r.Invalidate(benchTarget)
		g, err := r.Grant(ctx, benchTarget)
		if err != nil || len(g.Groups()) != benchUserGroups {
			b.Fatalf("Grant = %v, %v", g.Groups(), err)
		}
	}
}

// The two store reads of the cold path, measured alone, to say where its
// time goes.

func BenchmarkStoreUserGroups(b *testing.B) {
	s := bigStore(b)
	ctx := context.Background()
	for b.Loop() {
		if gs, err := s.UserGroups(ctx, benchTarget); err != nil || len(gs) != benchUserGroups {
			b.Fatal(len(gs), err)
		}
	}
}

func BenchmarkStoreRolesByID(b *testing.B) {
	s := bigStore(b)
	ctx := context.Background()
	gs, err := s.UserGroups(ctx, benchTarget)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.RoleIDs...)
	}
	for b.Loop() {
		if rs, err := s.RolesByID(ctx, ids); err != nil || len(rs) == 0 {
			b.Fatal(len(rs), err)
		}
	}
}

// BenchmarkSyncUnchanged is the per-request Sync when nothing changed.
func BenchmarkSyncUnchanged(b *testing.B) {
	f := newFixture(b, acl.Maximum)
	ctx := context.Background()
	for b.Loop() {
		if err := f.res.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

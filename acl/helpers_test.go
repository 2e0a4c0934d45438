package acl_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// fixture is a store holding the standard catalogue, with a directory that
// invalidates res, as the portal wires them in one process.
type fixture struct {
	store *memstore.Store
	dir   *acl.Directory
	res   *acl.Resolver
}

func newFixture(tb testing.TB, policy acl.OverlapPolicy) *fixture {
	tb.Helper()
	s := memstore.New()
	res := acl.NewResolver(s, acl.ResolverConfig{Policy: policy})
	dir := acl.NewDirectory(s, acl.DirectoryConfig{Resolver: res})
	if err := dir.EnsureStandard(context.Background()); err != nil {
		tb.Fatalf("EnsureStandard: %v", err)
	}
	return &fixture{store: s, dir: dir, res: res}
}

// groupID returns the ID of the group with the given name.
func (f *fixture) groupID(tb testing.TB, name string) string {
	tb.Helper()
	g, err := f.dir.GroupByName(context.Background(), name)
	if err != nil {
		tb.Fatalf("GroupByName(%q): %v", name, err)
	}
	return g.ID
}

// join puts user, of the default rank, in each named group.
func (f *fixture) join(tb testing.TB, user string, groupNames ...string) {
	tb.Helper()
	for _, n := range groupNames {
		err := f.dir.AddMember(context.Background(), f.groupID(tb, n), user, acl.DefaultRank)
		if err != nil {
			tb.Fatalf("AddMember(%q, %q): %v", n, user, err)
		}
	}
}

func (f *fixture) createRole(tb testing.TB, name string, privs ...acl.Privilege) acl.Role {
	tb.Helper()
	r, err := f.dir.CreateRole(context.Background(), name, privs)
	if err != nil {
		tb.Fatalf("CreateRole(%q): %v", name, err)
	}
	return r
}

func (f *fixture) createGroup(tb testing.TB, name string, roleIDs ...string) acl.Group {
	tb.Helper()
	g, err := f.dir.CreateGroup(context.Background(), name, acl.LowestRank, roleIDs)
	if err != nil {
		tb.Fatalf("CreateGroup(%q): %v", name, err)
	}
	return g
}

func mustGrant(tb testing.TB, r *acl.Resolver, user string) *acl.Grant {
	tb.Helper()
	g, err := r.Grant(context.Background(), user)
	if err != nil {
		tb.Fatalf("Grant(%q): %v", user, err)
	}
	return g
}

// countingStore counts the reads a cold resolution makes, to tell a cached
// grant from a fresh one without relying on timing.
type countingStore struct {
	acl.Store
	userGroups atomic.Int64
}

func (s *countingStore) UserGroups(ctx context.Context, userID string) ([]acl.Group, error) {
	s.userGroups.Add(1)
	return s.Store.UserGroups(ctx, userID)
}

// gateStore lets a test hold one resolution between its read of the store
// and its return, which is where a stale grant could slip into the cache.
type gateStore struct {
	acl.Store
	mu      sync.Mutex
	armed   bool
	read    chan struct{} // closed once the held call has read
	release chan struct{} // closed by the test to let it go on
}

func (s *gateStore) arm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = true
	s.read = make(chan struct{})
	s.release = make(chan struct{})
}

func (s *gateStore) UserGroups(ctx context.Context, userID string) ([]acl.Group, error) {
	gs, err := s.Store.UserGroups(ctx, userID)

	s.mu.Lock()
	held := s.armed
	s.armed = false
	read, release := s.read, s.release
	s.mu.Unlock()
	if held {
		close(read)
		<-release
	}
	return gs, err
}

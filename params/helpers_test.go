package params_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// memStore is the smallest params.Store: maps under a mutex, a generation
// that every change advances, and a switch that makes every call fail.
// The real stores live in selfcare/memstore and selfcare/sqlstore.
type memStore struct {
	mu       sync.Mutex
	gen      uint64
	vals     map[string]string
	servers  []params.Server
	profiles map[string]params.UserProfile
	// assigned names profiles that some user holds, standing in for the
	// users table of a real store.
	assigned map[string]bool
	err      error

	loads atomic.Int64 // ParamValues calls
}

var _ params.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{
		vals:     map[string]string{},
		profiles: map[string]params.UserProfile{},
		assigned: map[string]bool{},
	}
}

// fail makes every later call return err; nil heals the store.
func (s *memStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *memStore) ParamValues(context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads.Add(1)
	if s.err != nil {
		return nil, s.err
	}
	return maps.Clone(s.vals), nil
}

func (s *memStore) Servers(context.Context) ([]params.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	return slices.Clone(s.servers), nil
}

func (s *memStore) Generation(context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	return s.gen, nil
}

// current returns the generation, for a write that plans nothing.
func (s *memStore) current() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

func (s *memStore) UpdateParams(_ context.Context, gen uint64, changes []params.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return s.err
	case len(changes) == 0:
		return nil
	case gen != s.gen:
		return params.ErrConflict
	}
	for _, c := range changes {
		if c.Reset {
			delete(s.vals, c.Key)
		} else {
			s.vals[c.Key] = c.New
		}
	}
	s.gen++
	return nil
}

// setRaw stores a value without validation, as a damaged or older store
// might hold it.
func (s *memStore) setRaw(key, raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vals[key] = raw
	s.gen++
}

func (s *memStore) SetServers(_ context.Context, gen uint64, servers []params.Server) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return s.err
	case gen != s.gen:
		return params.ErrConflict
	}
	s.servers = slices.Clone(servers)
	s.gen++
	return nil
}

func (s *memStore) PutProfile(_ context.Context, p params.UserProfile) (params.UserProfile,
	bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return params.UserProfile{}, false, s.err
	}
	for name := range s.profiles {
		if name != p.Name && strings.EqualFold(name, p.Name) {
			return params.UserProfile{}, false, params.ErrExists
		}
	}
	old, replaced := s.profiles[p.Name]
	s.profiles[p.Name] = p
	return old, replaced, nil
}

func (s *memStore) DeleteProfile(_ context.Context, name string) (params.UserProfile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return params.UserProfile{}, s.err
	case s.assigned[name]:
		return params.UserProfile{}, params.ErrInUse
	}
	old, ok := s.profiles[name]
	if !ok {
		return params.UserProfile{}, params.ErrNotFound
	}
	delete(s.profiles, name)
	return old, nil
}

func (s *memStore) Profile(_ context.Context, name string) (params.UserProfile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return params.UserProfile{}, s.err
	}
	p, ok := s.profiles[name]
	if !ok {
		return params.UserProfile{}, params.ErrNotFound
	}
	return p, nil
}

func (s *memStore) Profiles(context.Context) ([]params.UserProfile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	out := slices.Collect(maps.Values(s.profiles))
	slices.SortFunc(out, func(a, b params.UserProfile) int {
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// testCluster is a publisher and two subscribers.
func testCluster(tb testing.TB) params.Cluster {
	tb.Helper()
	c, err := params.NewCluster(
		params.Server{Name: "cucm-pub.example.com", Publisher: true},
		params.Server{Name: "cucm-sub1.example.com"},
		params.Server{Name: "cucm-sub2.example.com"},
	)
	if err != nil {
		tb.Fatalf("NewCluster: %v", err)
	}
	return c
}

// withSet returns v with key set to raw, failing the test on refusal.
func withSet(tb testing.TB, v params.Values, c params.Cluster, key, raw string) params.Values {
	tb.Helper()
	plan, err := v.PlanSet(key, raw, c)
	if err != nil {
		tb.Fatalf("PlanSet(%q, %q): %v", key, raw, err)
	}
	next, err := v.Apply(plan, c)
	if err != nil {
		tb.Fatalf("Apply(%v): %v", plan, err)
	}
	return next
}

// mustValues builds a snapshot that must have no refused value.
func mustValues(tb testing.TB, raw map[string]string, c params.Cluster) params.Values {
	tb.Helper()
	v, err := params.NewValues(raw, c)
	if err != nil {
		tb.Fatalf("NewValues(%v): %v", raw, err)
	}
	return v
}

// syncCache runs one Sync that must succeed.
func syncCache(tb testing.TB, c *params.Cache) {
	tb.Helper()
	if err := c.Sync(context.Background()); err != nil {
		tb.Fatalf("Sync: %v", err)
	}
}

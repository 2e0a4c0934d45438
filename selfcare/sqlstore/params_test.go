package sqlstore_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// TestTwoStoresShareParameters is the multi-process case of the parameter
// cache: a change through one handle moves the generation that the other
// reads, and the other reads the change itself, so that a params.Cache on
// either reloads.
func TestTwoStoresShareParameters(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := open(t, path), open(t, path)

	cache := params.NewCache(b, params.CacheConfig{})
	if err := cache.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if !cache.Features().ChangePIN {
		t.Fatal("Show Change PIN is off before anyone set it")
	}

	if err := a.UpdateParams(ctx, generation(t, a), []params.Change{
		{Key: params.KeyShowChangePIN, Old: "true", New: "false"}}); err != nil {
		t.Fatal(err)
	}
	if err := cache.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if cache.Features().ChangePIN {
		t.Error("b's cache still shows Change PIN after a hid it")
	}

	pub := []params.Server{{Name: "cucm-pub", Publisher: true}, {Name: "cucm-sub"}}
	if err := a.SetServers(ctx, generation(t, a), pub); err != nil {
		t.Fatal(err)
	}
	if err := cache.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := cache.Snapshot().Cluster.Len(); got != 2 {
		t.Errorf("b's cache sees %d servers, want 2", got)
	}

	// A profile and an assignment made through b hold for a.
	if err := b.CreateUser(ctx, selfcare.User{ID: "alice"}); err != nil {
		t.Fatal(err)
	}
	prof := params.UserProfile{Name: "Hot Desk", AllowEMMaxLoginTime: true}
	if _, _, err := b.PutProfile(ctx, prof); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AssignProfile(ctx, "alice", prof.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeleteProfile(ctx, prof.Name); !errors.Is(err, params.ErrInUse) {
		t.Errorf("a deletes a profile that b assigned: %v, want ErrInUse", err)
	}
}

// TestServerNamesIgnoreCase pins the schema's rule that two server names
// differing only in case are one server, as params.Cluster has it.
func TestServerNamesIgnoreCase(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "portal.db"))
	err := s.SetServers(t.Context(), generation(t, s), []params.Server{
		{Name: "CUCM-PUB", Publisher: true}, {Name: "cucm-pub"}})
	if err == nil {
		t.Fatal("two servers differing in case only were stored")
	}
	got, err := s.Servers(t.Context())
	if err != nil || len(got) != 0 {
		t.Errorf("Servers after a refused SetServers = %v, %v; want none", got, err)
	}
}

// generation returns the store's generation, for a write that needs no
// plan.
func generation(tb testing.TB, s *sqlstore.Store) uint64 {
	tb.Helper()
	g, err := s.Generation(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

package params_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/params"
)

func TestCacheBeforeTheFirstSync(t *testing.T) {
	c := params.NewCache(newMemStore(), params.CacheConfig{})
	s := c.Snapshot()
	if s.Loaded || s.Cluster.Len() != 0 || c.Values().IsSet(params.KeyShowRingSettings) ||
		c.Features() != params.FeaturesOf(params.Defaults()) {
		t.Errorf("fresh cache: %+v, want unloaded defaults", s)
	}
}

func TestCacheFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	cl := testCluster(t)
	if err := store.SetServers(ctx, store.current(), cl.Servers()); err != nil {
		t.Fatal(err)
	}
	c := params.NewCache(store, params.CacheConfig{})
	syncCache(t, c)
	if !c.Snapshot().Loaded || c.Snapshot().Cluster.Len() != 3 {
		t.Fatalf("after Sync: %+v", c.Snapshot())
	}

	// Another process changes a parameter: the next Sync sees it.
	plan, err := c.Values().PlanSet(params.KeyShowChangePIN, "false", cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.UpdateParams(ctx, store.current(), plan); err != nil {
		t.Fatal(err)
	}
	if !c.Features().ChangePIN {
		t.Fatal("the cache changed before Sync")
	}
	syncCache(t, c)
	if c.Features().ChangePIN {
		t.Error("Sync did not pick up Show Change PIN = false")
	}

	// Nothing changed: Sync does not reload.
	loads := store.loads.Load()
	for range 5 {
		syncCache(t, c)
	}
	if n := store.loads.Load() - loads; n != 0 {
		t.Errorf("%d reloads without a change", n)
	}

	// A server change reaches the snapshot's cluster.
	next, err := c.Snapshot().Cluster.With(params.Server{Name: "cucm-sub3.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetServers(ctx, store.current(), next.Servers()); err != nil {
		t.Fatal(err)
	}
	syncCache(t, c)
	if _, ok := c.Snapshot().Cluster.Server("cucm-sub3.example.com"); !ok {
		t.Error("the new server is not in the snapshot")
	}
}

func TestCacheKeepsTheSnapshotOnStoreErrors(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	if err := store.UpdateParams(ctx, store.current(), []params.Change{
		{Key: params.KeyShowRingSettings, New: "true"}}); err != nil {
		t.Fatal(err)
	}
	c := params.NewCache(store, params.CacheConfig{})
	syncCache(t, c)

	boom := errors.New("disk on fire")
	store.fail(boom)
	if err := c.Sync(ctx); !errors.Is(err, boom) {
		t.Errorf("Sync = %v, want the store's error", err)
	}
	if !c.Features().RingSettings || !c.Snapshot().Loaded {
		t.Error("a failed Sync dropped the snapshot")
	}
	store.fail(nil)
	syncCache(t, c)
}

func TestCacheLogsRefusedStoredValues(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	store.setRaw(params.KeyActivationTTL, "9999")
	store.setRaw(params.KeyShowCallForwarding, "cfa-only")
	// Servers that are not a cluster: two publishers.
	if err := store.SetServers(ctx, store.current(), []params.Server{
		{Name: "a", Publisher: true}, {Name: "b", Publisher: true}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := params.NewCache(store, params.CacheConfig{Logger: log})

	if err := c.Sync(ctx); err != nil {
		t.Fatalf("Sync = %v; refused values are logged, not returned", err)
	}
	v := c.Values()
	if v.ActivationTTL() != params.Defaults().ActivationTTL() ||
		v.ShowCallForwarding() != params.CallForwardCFAOnly {
		t.Error("the valid value was dropped or the refused one applied")
	}
	if c.Snapshot().Cluster.Len() != 0 {
		t.Error("an invalid server list was used")
	}
	out := buf.String()
	for _, want := range []string{"level=WARN", "Activation Time to Live (Hours)",
		"stored servers", "level=DEBUG"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestCacheConcurrentSync runs readers and syncers against a writer under
// the race detector; every snapshot a reader sees must be consistent, and
// the last Sync must see the last write.
func TestCacheConcurrentSync(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	c := params.NewCache(store, params.CacheConfig{})
	const writes = 200

	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := c.Sync(ctx); err != nil {
					t.Error(err)
					return
				}
				s := c.Snapshot()
				// Features are derived from the Values of the same
				// snapshot, never from another one.
				if s.Features != params.FeaturesOf(s.Values) {
					t.Error("a snapshot's features do not match its values")
					return
				}
			}
		})
	}
	for i := range writes {
		val := "false"
		if i%2 == 1 {
			val = "true"
		}
		if err := store.UpdateParams(ctx, store.current(), []params.Change{
			{Key: params.KeyShowRingSettings, New: val}}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()

	syncCache(t, c)
	if !c.Features().RingSettings { // the last write (199) was "true"
		t.Error("the last write is not visible after a final Sync")
	}
	if got, _ := store.Generation(ctx); c.Snapshot().Generation != got {
		t.Errorf("snapshot at generation %d, store at %d", c.Snapshot().Generation, got)
	}
}

func TestMemStoreProfiles(t *testing.T) {
	// The fake is only a test aid, but the cache tests lean on it, so the
	// profile methods that the wiring will copy are exercised once here.
	ctx := context.Background()
	s := newMemStore()
	p := params.UserProfile{Name: "Jabber", AllowEMMaxLoginTime: true}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if old, replaced, err := s.PutProfile(ctx, p); err != nil || replaced ||
		old != (params.UserProfile{}) {
		t.Fatalf("PutProfile of a new profile = %+v, %t, %v", old, replaced, err)
	}
	if got, err := s.Profile(ctx, "Jabber"); err != nil || got != p {
		t.Errorf("Profile = %+v, %v", got, err)
	}
	s.assigned["Jabber"] = true
	if _, err := s.DeleteProfile(ctx, "Jabber"); !errors.Is(err, params.ErrInUse) {
		t.Errorf("DeleteProfile of an assigned profile = %v, want ErrInUse", err)
	}
	delete(s.assigned, "Jabber")
	if old, err := s.DeleteProfile(ctx, "Jabber"); err != nil || old != p {
		t.Fatalf("DeleteProfile = %+v, %v; want what it deleted", old, err)
	}
	if _, err := s.Profile(ctx, "Jabber"); !errors.Is(err, params.ErrNotFound) {
		t.Errorf("Profile after delete = %v, want ErrNotFound", err)
	}
	if ps, err := s.Profiles(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Profiles = %v, %v", ps, err)
	}
}

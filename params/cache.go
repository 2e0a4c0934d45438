package params

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// CacheConfig configures a [Cache]. The zero value is usable.
type CacheConfig struct {
	// Logger receives a debug record per reload and a warning when the
	// store holds values or servers that do not validate; nil discards.
	Logger *slog.Logger
}

// Snapshot is the state of the parameters at one store generation. Its
// parts are immutable, so a request can keep one for its whole life and
// see consistent values.
type Snapshot struct {
	Values   Values
	Cluster  Cluster
	Features Features
	// Generation is the store generation the snapshot was loaded at.
	Generation uint64
	// Loaded is false until the first successful [Cache.Sync]; until then
	// every parameter has its default and the cluster is empty.
	Loaded bool
}

// Cache holds the current [Snapshot] and reloads it when the store's
// generation moves, which is how a process learns of changes made by
// itself or by another process sharing the database. Reads are lock-free.
// It is safe for concurrent use.
type Cache struct {
	store ValueStore
	log   *slog.Logger
	cur   atomic.Pointer[Snapshot]
	// mu serialises reloads, so that a slow reload cannot replace the
	// result of a later one.
	mu sync.Mutex
}

// NewCache returns a cache over store holding the defaults; call
// [Cache.Sync] to load.
func NewCache(store ValueStore, cfg CacheConfig) *Cache {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Cache{store: store, log: log}
	c.cur.Store(&Snapshot{Values: Defaults(), Features: FeaturesOf(Defaults())})
	return c
}

// Snapshot returns the current snapshot.
func (c *Cache) Snapshot() Snapshot { return *c.cur.Load() }

// Values returns the current values.
func (c *Cache) Values() Values { return c.cur.Load().Values }

// Features returns the current feature set.
func (c *Cache) Features() Features { return c.cur.Load().Features }

// Sync reloads the snapshot when the store's generation differs from the
// one it was loaded at; callers call it once per request, before reading.
// On a store error the previous snapshot stays in force and the error is
// returned; values and servers that the store holds but that do not
// validate are logged, not returned, since the defaults stand in for them.
func (c *Cache) Sync(ctx context.Context) error {
	gen, err := c.store.Generation(ctx)
	if err != nil {
		return fmt.Errorf("params: sync: %w", err)
	}
	if s := c.cur.Load(); s.Loaded && s.Generation == gen {
		return nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	// Another Sync may have reloaded while this one waited, perhaps at a
	// newer generation than gen; asking again keeps the label exact.
	gen, err = c.store.Generation(ctx)
	if err != nil {
		return fmt.Errorf("params: sync: %w", err)
	}
	if s := c.cur.Load(); s.Loaded && s.Generation == gen {
		return nil
	}

	// The generation was read before the data, so a change that lands
	// while loading leaves the snapshot labelled older than its data, and
	// the next Sync reloads; the reverse order could miss that change.
	servers, err := c.store.Servers(ctx)
	if err != nil {
		return fmt.Errorf("params: sync: servers: %w", err)
	}
	raw, err := c.store.ParamValues(ctx)
	if err != nil {
		return fmt.Errorf("params: sync: values: %w", err)
	}
	cl, err := NewCluster(servers...)
	if err != nil {
		c.log.Warn("params: stored servers do not form a valid cluster; using none",
			"err", err)
	}
	v, err := NewValues(raw, cl)
	if err != nil {
		c.log.Warn("params: stored values refused; their defaults apply", "err", err)
	}
	c.cur.Store(&Snapshot{
		Values: v, Cluster: cl, Features: FeaturesOf(v),
		Generation: gen, Loaded: true,
	})
	c.log.Debug("params: reloaded", "generation", gen)
	return nil
}

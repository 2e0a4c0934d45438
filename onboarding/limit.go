package onboarding

import (
	"context"
	"sync"
	"time"
)

// Counter counts failed redemptions per key (a source address, the whole
// site) so that every process sharing a store sees the same counts. The
// selfcare failure counters fit it with a small adapter.
type Counter interface {
	// AddFailure counts one failure for key at now, atomically, and
	// returns how many count in the current window, this one included.
	// A window starts with the first failure counted and lasts window; a
	// failure after it starts a new window, counting from 1.
	AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int,
		error)
	// UndoFailure takes back one failure of key, never going below zero.
	UndoFailure(ctx context.Context, key string) error
}

// Keys of the [Counter]. The prefix keeps them apart from other counters
// kept in the same table, such as failed logins.
const (
	keySource = "onboarding:source:"
	keyGlobal = "onboarding:all"
	// maxSourceKey bounds a source address used as a key.
	maxSourceKey = 64
)

// memCounter is the Counter used when the configuration gives none. It
// counts for one process only.
type memCounter struct {
	mu      sync.Mutex
	windows map[string]*memWindow
	// pruneAt is the size at which old windows are dropped; it grows when
	// a pruning frees little, so that pruning stays cheap on average.
	pruneAt int
}

type memWindow struct {
	start  time.Time
	length time.Duration
	n      int
}

const memCounterPrune = 1024

func newMemCounter() *memCounter {
	return &memCounter{windows: make(map[string]*memWindow), pruneAt: memCounterPrune}
}

func (c *memCounter) AddFailure(_ context.Context, key string, now time.Time,
	window time.Duration) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.windows[key]
	if w == nil || now.Sub(w.start) >= w.length {
		if w == nil && len(c.windows) >= c.pruneAt {
			c.prune(now)
		}
		w = &memWindow{start: now, length: window}
		c.windows[key] = w
	}
	w.n++
	return w.n, nil
}

func (c *memCounter) UndoFailure(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.windows[key]; w != nil && w.n > 0 {
		w.n--
	}
	return nil
}

// prune drops the windows that have ended.
func (c *memCounter) prune(now time.Time) {
	for k, w := range c.windows {
		if now.Sub(w.start) >= w.length {
			delete(c.windows, k)
		}
	}
	c.pruneAt = max(memCounterPrune, 2*len(c.windows))
}

package sqlstore

import (
	"bytes"
	"sync"

	"github.com/ucselfcare/portal/selfcare"
)

// readCache keeps the answers of the two reads every authenticated request
// makes (the session with its user, and a line's forwarding with its
// owner check) for as long as nothing at all is committed to the database
// by any process: each lookup first reads the commit counter, and a
// counter that moved empties the cache. A logout, a password change, a
// disabled account or a changed forward elsewhere is therefore seen at
// the very next request, as without the cache.
type readCache struct {
	commits *commitCounter

	mu sync.Mutex
	// stamp is the counter the entries were read at.
	stamp    uint32
	sessions map[string]selfcare.SessionRead
	owned    map[ownedKey]selfcare.CallForwarding
	// hits counts answers from the cache, for tests.
	hits int
}

// ownedKey names one owner and line.
type ownedKey struct{ user, ext string }

// maxCached bounds each map; beyond it answers are read and not kept.
const maxCached = 4096

func newReadCache(c *commitCounter) *readCache {
	return &readCache{commits: c, sessions: make(map[string]selfcare.SessionRead),
		owned: make(map[ownedKey]selfcare.CallForwarding)}
}

// begin reads the counter and forgets every entry read before a commit
// that has happened since. It returns the counter, which the caller hands
// to the put method for what it then reads from the database.
func (c *readCache) begin() uint32 {
	at := c.commits.count()
	if at != c.stamp {
		clear(c.sessions)
		clear(c.owned)
		c.stamp = at
	}
	return at
}

func (c *readCache) session(tokenHash []byte) (selfcare.SessionRead, uint32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.begin()
	rd, ok := c.sessions[string(tokenHash)]
	if ok {
		c.hits++
		rd.Session.TokenHash = bytes.Clone(rd.Session.TokenHash)
	}
	return rd, at, ok
}

// putSession keeps rd, read from the database after the counter was at,
// unless something was committed since then.
func (c *readCache) putSession(tokenHash []byte, rd selfcare.SessionRead, at uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at != c.stamp || len(c.sessions) >= maxCached {
		return
	}
	rd.Session.TokenHash = bytes.Clone(rd.Session.TokenHash)
	c.sessions[string(tokenHash)] = rd
}

func (c *readCache) forwarding(k ownedKey) (selfcare.CallForwarding, uint32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.begin()
	f, ok := c.owned[k]
	if ok {
		c.hits++
	}
	return f, at, ok
}

func (c *readCache) putForwarding(k ownedKey, f selfcare.CallForwarding, at uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at != c.stamp || len(c.owned) >= maxCached {
		return
	}
	c.owned[k] = f
}

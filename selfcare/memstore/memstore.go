// Package memstore keeps everything the portal stores in process memory. It
// implements [selfcare.Store] (and so [acl.Store]) for tests, demos and
// benchmarks; its contents are lost when the process ends.
//
// Like every store it passes selfcare/storetest: values are copied on the
// way in and on the way out, so callers never share a slice with the store,
// and times are kept in UTC truncated to the microsecond, the precision that
// the SQL store keeps. No operation waits for I/O, so none looks at its
// context.
package memstore

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

// Store is an in-memory [selfcare.Store]. The zero value is not usable; call
// [New]. A Store is safe for concurrent use.
type Store struct {
	// mu guards every map and slice below. One lock keeps multi-part
	// changes, such as a password change that ends sessions, atomic.
	mu sync.RWMutex

	// gen is written only while mu is held for writing, but read without
	// the lock so that cache checks in the acl resolver never wait.
	gen atomic.Uint64

	roles  map[string]acl.Role
	groups map[string]acl.Group
	// members and userGroups index the same memberships from both ends,
	// so that UserGroups costs only the number of the user's groups.
	members    index // group ID -> user IDs
	userGroups index // user ID -> group IDs

	users   map[string]selfcare.User
	history map[string][]string // user ID -> previous hashes, newest first

	devices     map[string]selfcare.Device
	userDevices index // owner -> device names

	sessions     map[string]selfcare.Session // string(token hash) -> session
	userSessions index                       // user ID -> string(token hash)

	failures map[string]selfcare.Failures

	// activation is what device activation keeps (onboarding.go).
	activation activationData

	// params is the parameters, servers, profiles and Extension Mobility
	// choices (params.go).
	params paramData

	// forwarding is call forwarding by directory number (forwarding.go);
	// nil until the first save.
	forwarding map[string]selfcare.CallForwarding
	// speedDials is speed dials by phone name (speeddial.go).
	speedDials map[string]selfcare.SpeedDials
	// dnd is Do Not Disturb by user ID (dnd.go).
	dnd map[string]selfcare.DoNotDisturb
	// phoneSettings is what users set on phones, by phone name, and
	// languages the display language versions by user (phonesettings.go).
	phoneSettings map[string]selfcare.PhoneSettings
	languages     map[string]languageMark
	// conferencing is Conference Now by user ID (conferencing.go).
	conferencing map[string]selfcare.Conferencing
	// destPolicy is the administrator's destination policy (destpolicy.go).
	destPolicy selfcare.ConfiguredDestinationPolicy
	// lineSettings is line settings by phone and line index
	// (linesettings.go).
	lineSettings map[lineKey]selfcare.LineSettings
	// remoteDest is remote destinations by user (remotedest.go).
	remoteDest remoteDestData
	// phoneServices is the catalogue by ID, and subscriptions the phones'
	// subscriptions by phone name, then service ID (services.go).
	phoneServices map[string]selfcare.PhoneService
	subscriptions map[string]map[string]selfcare.ServiceSubscription
	// contacts is phone contacts by phone name (contacts.go).
	contacts map[string]contactBook

	audit  []selfcare.AuditEvent // in append order, so IDs increase
	lastID int64
}

var (
	_ selfcare.Store = (*Store)(nil)
	_ acl.Store      = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		roles:        make(map[string]acl.Role),
		groups:       make(map[string]acl.Group),
		members:      make(index),
		userGroups:   make(index),
		users:        make(map[string]selfcare.User),
		history:      make(map[string][]string),
		devices:      make(map[string]selfcare.Device),
		userDevices:  make(index),
		sessions:     make(map[string]selfcare.Session),
		userSessions: make(index),
		failures:     make(map[string]selfcare.Failures),
	}
}

// set is a set of IDs.
type set map[string]struct{}

// index maps a key to a set of IDs.
type index map[string]set

// add puts id in the set held in m under key, creating the set if needed.
func (m index) add(key, id string) {
	s, ok := m[key]
	if !ok {
		s = make(set)
		m[key] = s
	}
	s[id] = struct{}{}
}

// remove takes id out of the set under key and drops the set once empty,
// so that maps do not fill with empty sets of departed keys.
func (m index) remove(key, id string) {
	s := m[key]
	delete(s, id)
	if len(s) == 0 {
		delete(m, key)
	}
}

// sorted returns the members of s in ascending order.
func (s set) sorted() []string {
	if len(s) == 0 {
		return nil
	}
	out := make([]string, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// stamp brings t to the precision that every store keeps.
func stamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// clone returns a copy of s that shares no backing array with it; an empty
// slice comes back nil, as it does from a database.
func clone[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return append([]T(nil), s...)
}

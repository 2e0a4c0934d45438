package acl

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// OverlapPolicy settles a resource that two of a user's roles grant at
// different levels. It mirrors the enterprise parameter "Effective Access
// Privileges For Overlapping User Groups and Roles".
type OverlapPolicy uint8

// Overlap policies. The zero value is [Maximum], the default.
const (
	// Maximum grants the highest level any of the user's roles grants.
	Maximum OverlapPolicy = iota
	// Minimum grants the lowest level among the roles that name the
	// resource. A role that does not name a resource does not lower it:
	// otherwise every user in two groups would lose nearly everything.
	Minimum
)

// DefaultOverlapPolicy is the policy of a [Resolver] whose config leaves it
// unset.
const DefaultOverlapPolicy = Maximum

// String returns "maximum" or "minimum".
func (p OverlapPolicy) String() string {
	switch p {
	case Maximum:
		return "maximum"
	case Minimum:
		return "minimum"
	}
	return fmt.Sprintf("OverlapPolicy(%d)", uint8(p))
}

// ParseOverlapPolicy parses the names returned by [OverlapPolicy.String],
// ignoring case, so that the parameter's display values "Maximum" and
// "Minimum" parse too. Anything else is [ErrInvalid].
func ParseOverlapPolicy(s string) (OverlapPolicy, error) {
	switch strings.ToLower(s) {
	case "maximum":
		return Maximum, nil
	case "minimum":
		return Minimum, nil
	}
	return Maximum, fmt.Errorf("overlap policy %q: %w", s, ErrInvalid)
}

// Grant is what one user may do: the groups they are in, the roles those
// groups carry, and the privileges that result. A Grant never changes after
// it is made, so it may be shared and kept; a nil *Grant allows nothing.
type Grant struct {
	user     string
	groups   []string    // sorted
	roles    []string    // sorted
	privs    []Privilege // sorted by resource, Read or Update only
	selfCare bool
}

// User returns the ID of the user the grant belongs to.
func (g *Grant) User() string {
	if g == nil {
		return ""
	}
	return g.user
}

// Allows reports whether the grant gives access a, or more, on resource r.
// Asking for [NoAccess] or an unknown level yields false: it is a caller bug,
// and failing closed makes it visible.
func (g *Grant) Allows(r Resource, a Access) bool {
	if g == nil || a < Read || a > Update {
		return false
	}
	i, ok := slices.BinarySearchFunc(g.privs, r, func(p Privilege, r Resource) int {
		return strings.Compare(string(p.Resource), string(r))
	})
	return ok && g.privs[i].Access >= a
}

// Access returns the level the grant gives on r; [NoAccess] when none.
func (g *Grant) Access(r Resource) Access {
	if g == nil {
		return NoAccess
	}
	i, ok := slices.BinarySearchFunc(g.privs, r, func(p Privilege, r Resource) int {
		return strings.Compare(string(p.Resource), string(r))
	})
	if !ok {
		return NoAccess
	}
	return g.privs[i].Access
}

// HasRole reports whether one of the user's groups carries the role.
func (g *Grant) HasRole(roleID string) bool {
	if g == nil {
		return false
	}
	_, ok := slices.BinarySearch(g.roles, roleID)
	return ok
}

// SelfCare reports whether the user may log in to the Self Care portal: one
// of their groups, standard or custom, carries the role
// [RoleStandardCCMEndUsers]. Other roles, even those with privileges on
// [ResourceSelfCare], do not open the portal.
func (g *Grant) SelfCare() bool {
	return g != nil && g.selfCare
}

// Roles returns the IDs of the user's roles, sorted. The slice is a copy.
func (g *Grant) Roles() []string {
	if g == nil {
		return nil
	}
	return slices.Clone(g.roles)
}

// Groups returns the IDs of the user's groups, sorted. The slice is a copy.
func (g *Grant) Groups() []string {
	if g == nil {
		return nil
	}
	return slices.Clone(g.groups)
}

// Privileges returns the effective privileges sorted by resource, without
// resources the user has no access to. The slice is a copy.
func (g *Grant) Privileges() []Privilege {
	if g == nil {
		return nil
	}
	return slices.Clone(g.privs)
}

// ResolverConfig configures a [Resolver]. The zero value is usable.
type ResolverConfig struct {
	// Policy settles overlapping roles; the zero value is
	// [DefaultOverlapPolicy].
	Policy OverlapPolicy
	// Logger receives debug records of cache drops; nil discards them.
	Logger *slog.Logger
}

// Resolver computes users' grants from a [Store] and keeps them in memory.
// It is safe for concurrent use.
//
// The cache is kept right in two ways. Changes made in this process through
// a [Directory] configured with the resolver invalidate it at once. Changes
// made by another process sharing the store are seen when [Resolver.Sync]
// notices that the store's generation moved; callers call Sync once per
// request, before the first [Resolver.Grant].
type Resolver struct {
	store Store
	log   *slog.Logger

	// grants maps a user ID to *Grant. A sync.Map keeps the cached path
	// lock-free and free of allocations under many concurrent readers.
	// TODO(acl): unbounded, one entry per user seen since the last drop;
	// fine for a site's users, not for a directory of millions.
	grants sync.Map

	// mu orders every write to grants against every invalidation. Without
	// it, a resolution that read the store before an invalidation could
	// store its stale grant after it.
	mu sync.Mutex
	// epoch counts invalidations; a resolution stores its grant only when
	// the epoch did not move while it read the store.
	epoch  uint64
	policy OverlapPolicy
	// gen is the store generation the cache was last checked against;
	// synced is false until the first Sync.
	gen    uint64
	synced bool
}

// NewResolver returns a resolver that reads store.
func NewResolver(store Store, cfg ResolverConfig) *Resolver {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{store: store, log: log, policy: cfg.Policy}
}

// Policy returns the overlap policy in force.
func (r *Resolver) Policy() OverlapPolicy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.policy
}

// SetPolicy changes the overlap policy and drops every cached grant, which
// the old policy computed.
func (r *Resolver) SetPolicy(p OverlapPolicy) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == r.policy {
		return
	}
	r.policy = p
	r.invalidateAllLocked()
}

// Invalidate drops the cached grant of one user. It is enough after a change
// of that user's memberships; after a change to a group or a role, call
// [Resolver.InvalidateAll].
func (r *Resolver) Invalidate(userID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.epoch++
	r.grants.Delete(userID)
}

// InvalidateAll drops every cached grant.
func (r *Resolver) InvalidateAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invalidateAllLocked()
}

func (r *Resolver) invalidateAllLocked() {
	r.epoch++
	r.grants.Clear()
}

// Sync drops every cached grant when the store's generation changed since
// the last Sync, which is how this process learns of changes that another
// process made in a shared database. The first Sync always drops the cache,
// since what was cached before it was never checked against a generation.
func (r *Resolver) Sync(ctx context.Context) error {
	gen, err := r.store.Generation(ctx)
	if err != nil {
		return fmt.Errorf("acl: sync: %w", err)
	}
	r.SyncAt(gen)
	return nil
}

// SyncAt is [Resolver.Sync] with the generation already read from the
// resolver's store, for a caller that reads it once per request and hands
// it to every cache that shares it. gen must have been read from the same
// store, and read for this request: a generation kept from an earlier one
// would hide another process's change.
func (r *Resolver) SyncAt(gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.synced && gen == r.gen {
		return
	}
	// A grant cached after this point was read after gen was, so it is at
	// least as new as gen; one being read now is discarded by the epoch.
	if r.synced {
		r.log.Debug("acl: store generation moved, dropping cached grants",
			"from", r.gen, "to", gen)
	}
	r.gen, r.synced = gen, true
	r.invalidateAllLocked()
}

// Allowed reports whether the user has access a, or more, on resource r.
func (r *Resolver) Allowed(ctx context.Context, userID string, res Resource,
	a Access) (bool, error) {

	g, err := r.Grant(ctx, userID)
	if err != nil {
		return false, err
	}
	return g.Allows(res, a), nil
}

// Grant returns the user's grant, from the cache when possible. A user who
// is in no group, or who is unknown, gets a grant that allows nothing; an
// error means only that the store failed.
func (r *Resolver) Grant(ctx context.Context, userID string) (*Grant, error) {
	if v, ok := r.grants.Load(userID); ok {
		return v.(*Grant), nil
	}

	r.mu.Lock()
	epoch, policy := r.epoch, r.policy
	r.mu.Unlock()

	g, err := resolve(ctx, r.store, userID, policy)
	if err != nil {
		return nil, err
	}

	// Cache only when no invalidation happened while the store was read;
	// the grant is still returned, since this request began before the
	// change that made it stale.
	r.mu.Lock()
	if r.epoch == epoch {
		r.grants.Store(userID, g)
	}
	r.mu.Unlock()
	return g, nil
}

// resolve reads the user's groups and their roles and combines them.
func resolve(ctx context.Context, s Store, userID string, policy OverlapPolicy) (*Grant, error) {
	groups, err := s.UserGroups(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("acl: resolve %q: groups: %w", userID, err)
	}
	g := &Grant{user: userID}
	if len(groups) == 0 {
		return g, nil
	}

	g.groups = make([]string, len(groups))
	n := 0
	for i, gr := range groups {
		g.groups[i] = gr.ID
		n += len(gr.RoleIDs)
	}
	g.groups = normaliseIDs(g.groups)
	roleIDs := make([]string, 0, n)
	for _, gr := range groups {
		roleIDs = append(roleIDs, gr.RoleIDs...)
	}
	roleIDs = normaliseIDs(roleIDs)
	if len(roleIDs) == 0 {
		return g, nil
	}

	roles, err := s.RolesByID(ctx, roleIDs)
	if err != nil {
		return nil, fmt.Errorf("acl: resolve %q: roles: %w", userID, err)
	}

	// The slice is ours: sorting it lets duplicates, which the contract
	// does not rule out, be skipped without a set. Roles the store no
	// longer has are absent, so a grant names only roles that exist.
	if !slices.IsSortedFunc(roles, byRoleID) {
		slices.SortFunc(roles, byRoleID)
	}
	roles = slices.CompactFunc(roles, func(a, b Role) bool { return a.ID == b.ID })
	g.roles = make([]string, len(roles))
	for i, ro := range roles {
		g.roles[i] = ro.ID
	}
	_, g.selfCare = slices.BinarySearch(g.roles, RoleStandardCCMEndUsers)
	g.privs = combine(roles, policy)
	return g, nil
}

// combine merges the privileges of roles, which hold no role twice, under
// policy. Privileges at a level other than Read or Update are ignored: the
// directory never writes them, and a store that holds them must not widen
// or, under Minimum, silently narrow anything.
func combine(roles []Role, policy OverlapPolicy) []Privilege {
	n := 0
	for _, ro := range roles {
		n += len(ro.Privileges)
	}
	out := make([]Privilege, 0, n)
	for _, ro := range roles {
		for _, p := range ro.Privileges {
			if p.Access < Read || p.Access > Update {
				continue
			}
			i := slices.IndexFunc(out, func(q Privilege) bool {
				return q.Resource == p.Resource
			})
			switch {
			case i < 0:
				out = append(out, p)
			case policy == Maximum:
				out[i].Access = max(out[i].Access, p.Access)
			default:
				// An unknown policy is a bug elsewhere; the stricter
				// reading is the safer one.
				out[i].Access = min(out[i].Access, p.Access)
			}
		}
	}
	sortPrivileges(out)
	return slices.Clip(out)
}

func byRoleID(a, b Role) int { return strings.Compare(a.ID, b.ID) }

package acl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// DirectoryConfig configures a [Directory]. The zero value is usable.
type DirectoryConfig struct {
	// Logger receives a debug record of every change; nil discards them.
	Logger *slog.Logger
	// Resolver, when set, is invalidated after every change so that this
	// process sees the change at once. Other processes see it on their
	// next [Resolver.Sync].
	Resolver *Resolver
	// Rand is the source of the IDs of custom groups and roles; nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// UserRank, when set, returns a user's rank so that
	// [Directory.SetGroupRank] can refuse a requirement that a current
	// member does not meet. When nil, rank is checked only when a user
	// joins a group.
	UserRank func(ctx context.Context, userID string) (int, error)
}

// Directory is what an administrator uses to manage access control groups,
// roles and memberships. It enforces the rules the [Store] does not know:
// standard groups and roles are fixed, names are valid and unique, and user
// rank limits which groups a user may join. It is safe for concurrent use.
type Directory struct {
	store    Store
	log      *slog.Logger
	resolver *Resolver
	rand     io.Reader
	userRank func(ctx context.Context, userID string) (int, error)

	// mu makes each check-then-write step atomic within this process, so
	// that two administrators cannot both take a free name.
	// TODO(acl): across processes the store would need a unique index on
	// folded names; the Store interface has no such contract yet.
	mu sync.Mutex
}

// NewDirectory returns a directory that keeps its data in store.
func NewDirectory(store Store, cfg DirectoryConfig) *Directory {
	d := &Directory{
		store:    store,
		log:      cfg.Logger,
		resolver: cfg.Resolver,
		rand:     cfg.Rand,
		userRank: cfg.UserRank,
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	return d
}

// EnsureStandard writes the standard catalogue into the store where the
// store differs from it, and does nothing where it matches, so that it can
// run at every start. What an administrator may change on a standard
// group, its rank requirement and its members, is kept.
//
// A stored group or role marked standard that the catalogue no longer has
// is turned into a custom one rather than deleted: deleting a group would
// silently take its members' access away.
func (d *Directory) EnsureStandard(ctx context.Context) error {
	const op = "acl: ensure standard catalogue"
	d.mu.Lock()
	defer d.mu.Unlock()
	changed := 0

	// Roles first: the store refuses a group that names a missing role.
	stored, err := d.store.Roles(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	roles := make(map[string]Role, len(stored))
	for _, r := range stored {
		roles[r.ID] = r
	}
	for _, want := range StandardRoles() {
		have, ok := roles[want.ID]
		delete(roles, want.ID)
		if ok && have.Name == want.Name && have.Standard &&
			samePrivileges(have.Privileges, want.Privileges) {
			continue
		}
		if err := d.store.PutRole(ctx, want); err != nil {
			return fmt.Errorf("%s: role %q: %w", op, want.ID, err)
		}
		changed++
	}

	groups, err := d.store.Groups(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	byID := make(map[string]Group, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	for _, want := range StandardGroups() {
		have, ok := byID[want.ID]
		delete(byID, want.ID)
		if ok {
			if checkRank(have.MinRank) == nil {
				want.MinRank = have.MinRank
			}
			if have.Name == want.Name && have.Standard && have.MinRank == want.MinRank &&
				sameIDs(have.RoleIDs, want.RoleIDs) {
				continue
			}
		}
		if err := d.store.PutGroup(ctx, want); err != nil {
			return fmt.Errorf("%s: group %q: %w", op, want.ID, err)
		}
		changed++
	}

	// Demote what a former version of the catalogue left behind.
	for _, g := range byID {
		if !g.Standard {
			continue
		}
		g.Standard = false
		if err := d.store.PutGroup(ctx, g); err != nil {
			return fmt.Errorf("%s: demote group %q: %w", op, g.ID, err)
		}
		d.log.Warn("acl: standard group no longer in the catalogue, now custom", "group", g.ID)
		changed++
	}
	for _, r := range roles {
		if !r.Standard {
			continue
		}
		r.Standard = false
		if err := d.store.PutRole(ctx, r); err != nil {
			return fmt.Errorf("%s: demote role %q: %w", op, r.ID, err)
		}
		d.log.Warn("acl: standard role no longer in the catalogue, now custom", "role", r.ID)
		changed++
	}

	if changed > 0 {
		d.log.Info("acl: standard catalogue written", "changes", changed)
		d.invalidateAll()
	}
	return nil
}

// Groups returns every access control group, ordered by ID.
func (d *Directory) Groups(ctx context.Context) ([]Group, error) {
	gs, err := d.store.Groups(ctx)
	if err != nil {
		return nil, fmt.Errorf("acl: list groups: %w", err)
	}
	return gs, nil
}

// Group returns one access control group, or an error wrapping ErrNotFound.
func (d *Directory) Group(ctx context.Context, id string) (Group, error) {
	g, err := d.store.Group(ctx, id)
	if err != nil {
		return Group{}, fmt.Errorf("acl: group %q: %w", id, err)
	}
	return g, nil
}

// GroupByName returns the group whose name equals name, ignoring case, or
// an error wrapping ErrNotFound. It reads every group, which suits the
// admin tools it is meant for.
func (d *Directory) GroupByName(ctx context.Context, name string) (Group, error) {
	gs, err := d.store.Groups(ctx)
	if err != nil {
		return Group{}, fmt.Errorf("acl: group named %q: %w", name, err)
	}
	for _, g := range gs {
		if strings.EqualFold(g.Name, name) {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("acl: group named %q: %w", name, ErrNotFound)
}

// Roles returns every role, ordered by ID.
func (d *Directory) Roles(ctx context.Context) ([]Role, error) {
	rs, err := d.store.Roles(ctx)
	if err != nil {
		return nil, fmt.Errorf("acl: list roles: %w", err)
	}
	return rs, nil
}

// Role returns one role, or an error wrapping ErrNotFound.
func (d *Directory) Role(ctx context.Context, id string) (Role, error) {
	r, err := d.store.Role(ctx, id)
	if err != nil {
		return Role{}, fmt.Errorf("acl: role %q: %w", id, err)
	}
	return r, nil
}

// RoleByName returns the role whose name equals name, ignoring case, or an
// error wrapping ErrNotFound.
func (d *Directory) RoleByName(ctx context.Context, name string) (Role, error) {
	rs, err := d.store.Roles(ctx)
	if err != nil {
		return Role{}, fmt.Errorf("acl: role named %q: %w", name, err)
	}
	for _, r := range rs {
		if strings.EqualFold(r.Name, name) {
			return r, nil
		}
	}
	return Role{}, fmt.Errorf("acl: role named %q: %w", name, ErrNotFound)
}

// Members returns the IDs of a group's members, sorted, or an error
// wrapping ErrNotFound for an unknown group.
func (d *Directory) Members(ctx context.Context, groupID string) ([]string, error) {
	const op = "acl: members"
	if _, err := d.store.Group(ctx, groupID); err != nil {
		return nil, fmt.Errorf("%s of %q: %w", op, groupID, err)
	}
	ms, err := d.store.Members(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("%s of %q: %w", op, groupID, err)
	}
	return ms, nil
}

// CreateGroup adds a custom access control group that carries the given
// roles and accepts users of rank minRank or higher. It returns an error
// wrapping ErrInvalid for a bad name or rank, ErrExists when another group
// has the name, and ErrNotFound when a role does not exist.
func (d *Directory) CreateGroup(ctx context.Context, name string, minRank int,
	roleIDs []string) (Group, error) {

	const op = "acl: create group"
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.createGroupLocked(ctx, op, Group{
		Name:    name,
		MinRank: minRank,
		RoleIDs: normaliseIDs(slices.Clone(roleIDs)),
	})
}

// CopyGroup adds a custom group named newName with the roles and rank
// requirement of the group fromID, standard or custom. Members are not
// copied. Errors are those of [Directory.CreateGroup], and ErrNotFound for
// an unknown fromID.
func (d *Directory) CopyGroup(ctx context.Context, fromID, newName string) (Group, error) {
	const op = "acl: copy group"
	d.mu.Lock()
	defer d.mu.Unlock()
	from, err := d.store.Group(ctx, fromID)
	if err != nil {
		return Group{}, fmt.Errorf("%s %q: %w", op, fromID, err)
	}
	return d.createGroupLocked(ctx, op, Group{
		Name:    newName,
		MinRank: from.MinRank,
		RoleIDs: from.RoleIDs,
	})
}

func (d *Directory) createGroupLocked(ctx context.Context, op string, g Group) (Group, error) {
	if err := checkName(g.Name); err != nil {
		return Group{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkRank(g.MinRank); err != nil {
		return Group{}, fmt.Errorf("%s %q: %w", op, g.Name, err)
	}
	if err := d.groupNameFree(ctx, g.Name, ""); err != nil {
		return Group{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := d.rolesExist(ctx, g.RoleIDs); err != nil {
		return Group{}, fmt.Errorf("%s %q: %w", op, g.Name, err)
	}
	id, err := d.newID(ctx, "group-", func(ctx context.Context, id string) error {
		_, err := d.store.Group(ctx, id)
		return err
	})
	if err != nil {
		return Group{}, fmt.Errorf("%s %q: %w", op, g.Name, err)
	}
	g.ID, g.Standard = id, false
	if err := d.store.PutGroup(ctx, g); err != nil {
		return Group{}, fmt.Errorf("%s %q: %w", op, g.Name, err)
	}

	// A new group has no members yet, so no cached grant can be stale.
	d.log.Debug("acl: group created", "group", g.ID, "name", g.Name)
	return g, nil
}

// RenameGroup renames a custom group. It returns an error wrapping
// ErrStandard for a standard group, ErrNotFound, ErrInvalid or ErrExists.
func (d *Directory) RenameGroup(ctx context.Context, id, name string) error {
	const op = "acl: rename group"
	return d.updateGroup(ctx, op, id, func(g *Group) error {
		if g.Standard {
			return ErrStandard
		}
		if err := checkName(name); err != nil {
			return err
		}
		if err := d.groupNameFree(ctx, name, id); err != nil {
			return err
		}
		g.Name = name
		return nil
	})
}

// SetGroupRoles replaces the roles a custom group carries. It returns an
// error wrapping ErrStandard for a standard group, or ErrNotFound for an
// unknown group or role.
func (d *Directory) SetGroupRoles(ctx context.Context, id string, roleIDs []string) error {
	const op = "acl: set group roles"
	ids := normaliseIDs(slices.Clone(roleIDs))
	return d.updateGroup(ctx, op, id, func(g *Group) error {
		if g.Standard {
			return ErrStandard
		}
		if err := d.rolesExist(ctx, ids); err != nil {
			return err
		}
		g.RoleIDs = ids
		return nil
	})
}

// SetGroupRank changes the rank requirement of a group, standard ones
// included. It returns an error wrapping ErrInvalid for a rank outside
// 1-10, ErrNotFound, and ErrRank when [DirectoryConfig.UserRank] is set and
// a current member's rank does not meet the new requirement: such a member
// would keep access they could no longer be given.
func (d *Directory) SetGroupRank(ctx context.Context, id string, minRank int) error {
	const op = "acl: set group rank"
	return d.updateGroup(ctx, op, id, func(g *Group) error {
		if err := checkRank(minRank); err != nil {
			return err
		}
		if d.userRank != nil && minRank < g.MinRank {
			if err := d.membersMeet(ctx, id, minRank); err != nil {
				return err
			}
		}
		g.MinRank = minRank
		return nil
	})
}

// membersMeet checks every member of a group against a rank requirement.
func (d *Directory) membersMeet(ctx context.Context, groupID string, minRank int) error {
	members, err := d.store.Members(ctx, groupID)
	if err != nil {
		return err
	}
	for _, u := range members {
		rank, err := d.userRank(ctx, u)
		if err != nil {
			return fmt.Errorf("rank of member %q: %w", u, err)
		}
		if rank > minRank {
			return fmt.Errorf("member %q has rank %d: %w", u, rank, ErrRank)
		}
	}
	return nil
}

// updateGroup reads a group, lets change edit it, and writes it back.
func (d *Directory) updateGroup(ctx context.Context, op, id string,
	change func(*Group) error) error {

	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.store.Group(ctx, id)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	g.Standard = g.Standard || isStandardGroup(id)
	if err := change(&g); err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	if err := d.store.PutGroup(ctx, g); err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	d.log.Debug(op, "group", id)
	d.invalidateAll()
	return nil
}

// DeleteGroup removes a custom group and its memberships. It returns an
// error wrapping ErrStandard for a standard group, or ErrNotFound.
func (d *Directory) DeleteGroup(ctx context.Context, id string) error {
	const op = "acl: delete group"
	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.store.Group(ctx, id)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	if g.Standard || isStandardGroup(id) {
		return fmt.Errorf("%s %q: %w", op, id, ErrStandard)
	}
	if err := d.store.DeleteGroup(ctx, id); err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	d.log.Debug("acl: group deleted", "group", id)
	d.invalidateAll()
	return nil
}

// CreateRole adds a custom role. Each privilege must name a resource, once,
// at [Read] or [Update]. It returns an error wrapping ErrInvalid or
// ErrExists.
func (d *Directory) CreateRole(ctx context.Context, name string, privs []Privilege) (Role, error) {
	const op = "acl: create role"
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.createRoleLocked(ctx, op, Role{Name: name, Privileges: privs})
}

// CopyRole adds a custom role named newName with the privileges of the role
// fromID, standard or custom. Errors are those of [Directory.CreateRole],
// and ErrNotFound for an unknown fromID.
func (d *Directory) CopyRole(ctx context.Context, fromID, newName string) (Role, error) {
	const op = "acl: copy role"
	d.mu.Lock()
	defer d.mu.Unlock()
	from, err := d.store.Role(ctx, fromID)
	if err != nil {
		return Role{}, fmt.Errorf("%s %q: %w", op, fromID, err)
	}
	return d.createRoleLocked(ctx, op, Role{Name: newName, Privileges: from.Privileges})
}

func (d *Directory) createRoleLocked(ctx context.Context, op string, r Role) (Role, error) {
	if err := checkName(r.Name); err != nil {
		return Role{}, fmt.Errorf("%s: %w", op, err)
	}
	privs, err := checkPrivileges(r.Privileges)
	if err != nil {
		return Role{}, fmt.Errorf("%s %q: %w", op, r.Name, err)
	}
	if err := d.roleNameFree(ctx, r.Name, ""); err != nil {
		return Role{}, fmt.Errorf("%s: %w", op, err)
	}
	id, err := d.newID(ctx, "role-", func(ctx context.Context, id string) error {
		_, err := d.store.Role(ctx, id)
		return err
	})
	if err != nil {
		return Role{}, fmt.Errorf("%s %q: %w", op, r.Name, err)
	}
	r = Role{ID: id, Name: r.Name, Privileges: privs}
	if err := d.store.PutRole(ctx, r); err != nil {
		return Role{}, fmt.Errorf("%s %q: %w", op, r.Name, err)
	}

	// No group carries a new role yet, so no cached grant can be stale.
	d.log.Debug("acl: role created", "role", r.ID, "name", r.Name)
	return r, nil
}

// RenameRole renames a custom role. It returns an error wrapping
// ErrStandard for a standard role, ErrNotFound, ErrInvalid or ErrExists.
func (d *Directory) RenameRole(ctx context.Context, id, name string) error {
	const op = "acl: rename role"
	return d.updateRole(ctx, op, id, func(r *Role) error {
		if r.Standard {
			return ErrStandard
		}
		if err := checkName(name); err != nil {
			return err
		}
		if err := d.roleNameFree(ctx, name, id); err != nil {
			return err
		}
		r.Name = name
		return nil
	})
}

// SetRolePrivileges replaces the privileges of a custom role, under the
// rules of [Directory.CreateRole]. It returns an error wrapping ErrStandard
// for a standard role, ErrNotFound or ErrInvalid.
func (d *Directory) SetRolePrivileges(ctx context.Context, id string, privs []Privilege) error {
	const op = "acl: set role privileges"
	return d.updateRole(ctx, op, id, func(r *Role) error {
		if r.Standard {
			return ErrStandard
		}
		ps, err := checkPrivileges(privs)
		if err != nil {
			return err
		}
		r.Privileges = ps
		return nil
	})
}

func (d *Directory) updateRole(ctx context.Context, op, id string,
	change func(*Role) error) error {

	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.store.Role(ctx, id)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	r.Standard = r.Standard || isStandardRole(id)
	if err := change(&r); err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	if err := d.store.PutRole(ctx, r); err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	d.log.Debug(op, "role", id)
	d.invalidateAll()
	return nil
}

// DeleteRole removes a custom role. It returns an error wrapping
// ErrStandard for a standard role, ErrInUse while a group carries it, or
// ErrNotFound.
func (d *Directory) DeleteRole(ctx context.Context, id string) error {
	const op = "acl: delete role"
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.store.Role(ctx, id)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	if r.Standard || isStandardRole(id) {
		return fmt.Errorf("%s %q: %w", op, id, ErrStandard)
	}

	// The store refuses too; asking first lets the error name the group.
	groups, err := d.store.Groups(ctx)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	for _, g := range groups {
		if slices.Contains(g.RoleIDs, id) {
			return fmt.Errorf("%s %q: carried by group %q: %w", op, id, g.Name, ErrInUse)
		}
	}
	if err := d.store.DeleteRole(ctx, id); err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}

	// No group carried the role, so no grant held it; nothing to drop.
	d.log.Debug("acl: role deleted", "role", id)
	return nil
}

// AddMember puts a user of rank userRank in a group. It returns an error
// wrapping ErrInvalid for a rank outside 1-10 or an empty user ID, ErrRank
// when the group's requirement is numerically below userRank, or
// ErrNotFound. Adding a member twice is not an error.
func (d *Directory) AddMember(ctx context.Context, groupID, userID string, userRank int) error {
	const op = "acl: add member"
	if userID == "" || strings.ContainsFunc(userID, unicode.IsControl) {
		return fmt.Errorf("%s: user ID %q: %w", op, userID, ErrInvalid)
	}
	if err := checkRank(userRank); err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.store.Group(ctx, groupID)
	if err != nil {
		return fmt.Errorf("%s %q to %q: %w", op, userID, groupID, err)
	}
	if g.MinRank < userRank {
		return fmt.Errorf("%s %q to %q: user rank %d, group requires %d or higher: %w",
			op, userID, groupID, userRank, g.MinRank, ErrRank)
	}
	if err := d.store.AddMember(ctx, groupID, userID); err != nil {
		return fmt.Errorf("%s %q to %q: %w", op, userID, groupID, err)
	}
	d.log.Debug("acl: member added", "group", groupID, "user", userID)
	d.invalidate(userID)
	return nil
}

// RemoveMember takes a user out of a group. It returns an error wrapping
// ErrNotAMember when the user is not in it.
func (d *Directory) RemoveMember(ctx context.Context, groupID, userID string) error {
	const op = "acl: remove member"
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.store.RemoveMember(ctx, groupID, userID); err != nil {
		return fmt.Errorf("%s %q from %q: %w", op, userID, groupID, err)
	}
	d.log.Debug("acl: member removed", "group", groupID, "user", userID)
	d.invalidate(userID)
	return nil
}

// groupNameFree returns ErrExists when a group other than exceptID has the
// name, ignoring case.
func (d *Directory) groupNameFree(ctx context.Context, name, exceptID string) error {
	gs, err := d.store.Groups(ctx)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.ID != exceptID && strings.EqualFold(g.Name, name) {
			return fmt.Errorf("group name %q: %w", name, ErrExists)
		}
	}
	return nil
}

// roleNameFree returns ErrExists when a role other than exceptID has the
// name, ignoring case.
func (d *Directory) roleNameFree(ctx context.Context, name, exceptID string) error {
	rs, err := d.store.Roles(ctx)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.ID != exceptID && strings.EqualFold(r.Name, name) {
			return fmt.Errorf("role name %q: %w", name, ErrExists)
		}
	}
	return nil
}

// rolesExist returns ErrNotFound naming the first role that does not exist.
// The store checks too, but could not say which role was missing.
func (d *Directory) rolesExist(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := d.store.RolesByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(found, func(r Role) bool { return r.ID == id }) {
			return fmt.Errorf("role %q: %w", id, ErrNotFound)
		}
	}
	return nil
}

// newID returns prefix followed by 16 random hex digits, checked free with
// lookup. The prefixes keep custom IDs apart from standard ones, which all
// begin "standard-".
func (d *Directory) newID(ctx context.Context, prefix string,
	lookup func(context.Context, string) error) (string, error) {

	var b [8]byte
	for range 3 {
		if _, err := io.ReadFull(d.rand, b[:]); err != nil {
			return "", fmt.Errorf("new ID: %w", err)
		}
		id := prefix + hex.EncodeToString(b[:])
		err := lookup(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("new ID: %w", err)
		}
	}

	// Three collisions in 64 bits mean the random source is broken.
	return "", fmt.Errorf("new ID: random source repeats itself: %w", ErrExists)
}

func (d *Directory) invalidate(userID string) {
	if d.resolver != nil {
		d.resolver.Invalidate(userID)
	}
}

func (d *Directory) invalidateAll() {
	if d.resolver != nil {
		d.resolver.InvalidateAll()
	}
}

func isStandardGroup(id string) bool {
	_, ok := StandardGroup(id)
	return ok
}

func isStandardRole(id string) bool {
	_, ok := StandardRole(id)
	return ok
}

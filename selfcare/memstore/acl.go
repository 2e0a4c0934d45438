package memstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ucselfcare/portal/acl"
)

// PutRole implements [acl.Store].
func (s *Store) PutRole(_ context.Context, r acl.Role) error {
	r.Privileges = clone(r.Privileges)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[r.ID] = r
	s.gen.Add(1)
	return nil
}

// DeleteRole implements [acl.Store].
func (s *Store) DeleteRole(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.roles[id]; !ok {
		return fmt.Errorf("delete role %q: %w", id, acl.ErrNotFound)
	}

	// A linear scan is fine here: roles are deleted by an administrator,
	// rarely, and there are few groups.
	for _, g := range s.groups {
		for _, rid := range g.RoleIDs {
			if rid == id {
				return fmt.Errorf("delete role %q: group %q: %w", id, g.ID, acl.ErrInUse)
			}
		}
	}
	delete(s.roles, id)
	s.gen.Add(1)
	return nil
}

// Role implements [acl.Store].
func (s *Store) Role(_ context.Context, id string) (acl.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.roles[id]
	if !ok {
		return acl.Role{}, fmt.Errorf("role %q: %w", id, acl.ErrNotFound)
	}
	r.Privileges = clone(r.Privileges)
	return r, nil
}

// Roles implements [acl.Store].
func (s *Store) Roles(_ context.Context) ([]acl.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]acl.Role, 0, len(s.roles))
	for _, r := range s.roles {
		r.Privileges = clone(r.Privileges)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// PutGroup implements [acl.Store].
func (s *Store) PutGroup(_ context.Context, g acl.Group) error {
	g.RoleIDs = clone(g.RoleIDs)

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rid := range g.RoleIDs {
		if _, ok := s.roles[rid]; !ok {
			return fmt.Errorf("put group %q: role %q: %w", g.ID, rid, acl.ErrNotFound)
		}
	}
	s.groups[g.ID] = g
	s.gen.Add(1)
	return nil
}

// DeleteGroup implements [acl.Store].
func (s *Store) DeleteGroup(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[id]; !ok {
		return fmt.Errorf("delete group %q: %w", id, acl.ErrNotFound)
	}
	for uid := range s.members[id] {
		s.userGroups.remove(uid, id)
	}
	delete(s.members, id)
	delete(s.groups, id)
	s.gen.Add(1)
	return nil
}

// Group implements [acl.Store].
func (s *Store) Group(_ context.Context, id string) (acl.Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.groups[id]
	if !ok {
		return acl.Group{}, fmt.Errorf("group %q: %w", id, acl.ErrNotFound)
	}
	g.RoleIDs = clone(g.RoleIDs)
	return g, nil
}

// Groups implements [acl.Store].
func (s *Store) Groups(_ context.Context) ([]acl.Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]acl.Group, 0, len(s.groups))
	for _, g := range s.groups {
		g.RoleIDs = clone(g.RoleIDs)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// AddMember implements [acl.Store].
func (s *Store) AddMember(_ context.Context, groupID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[groupID]; !ok {
		return fmt.Errorf("add member to group %q: %w", groupID, acl.ErrNotFound)
	}
	s.members.add(groupID, userID)
	s.userGroups.add(userID, groupID)
	s.gen.Add(1)
	return nil
}

// RemoveMember implements [acl.Store].
func (s *Store) RemoveMember(_ context.Context, groupID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.members[groupID][userID]; !ok {
		return fmt.Errorf("remove %q from group %q: %w", userID, groupID, acl.ErrNotAMember)
	}
	s.members.remove(groupID, userID)
	s.userGroups.remove(userID, groupID)
	s.gen.Add(1)
	return nil
}

// Members implements [acl.Store]. An unknown group has no members.
func (s *Store) Members(_ context.Context, groupID string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.members[groupID].sorted(), nil
}

// UserGroups implements [acl.Store]. It costs the number of the user's
// groups, not the number of groups or users stored.
func (s *Store) UserGroups(_ context.Context, userID string) ([]acl.Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.userGroups[userID]
	if len(ids) == 0 {
		return nil, nil
	}
	out := make([]acl.Group, 0, len(ids))
	for id := range ids {
		g := s.groups[id]
		g.RoleIDs = clone(g.RoleIDs)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b acl.Group) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// RolesByID implements [acl.Store]. Like the SQL store it returns each
// role once, ordered by ID, whatever the order of ids.
func (s *Store) RolesByID(_ context.Context, ids []string) ([]acl.Role, error) {
	// Sorting the IDs first gives the order and the deduplication at once,
	// without a map: this runs on every cold access-control resolution.
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]acl.Role, 0, len(ids))
	for _, id := range ids {
		r, ok := s.roles[id]
		if !ok {
			continue
		}
		r.Privileges = clone(r.Privileges)
		out = append(out, r)
	}
	return out, nil
}

// Generation implements [acl.Store]. It never blocks on the store's lock.
func (s *Store) Generation(_ context.Context) (uint64, error) {
	return s.gen.Load(), nil
}

package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// paramData is what the parameters keep: the values administrators set,
// the cluster's servers, the user profiles and each user's Extension
// Mobility choice. The maps are made on the first write. A user's
// profile lives in the user record, as [selfcare.User.Profile].
type paramData struct {
	values    map[string]string
	servers   []params.Server
	profiles  map[string]params.UserProfile
	emChoices map[string]string // user ID -> choice as text
	// emVersions holds each choice's version; absent is 0.
	emVersions map[string]int64
}

var _ selfcare.ParamStore = (*Store)(nil)

// ParamValues implements [params.ValueStore].
func (s *Store) ParamValues(context.Context) (map[string]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.params.values), nil
}

// Servers implements [params.ValueStore].
func (s *Store) Servers(context.Context) ([]params.Server, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return clone(s.params.servers), nil
}

// UpdateParams implements [params.Store]. The store's one generation,
// which the acl resolver reads too, moves with every non-empty plan; gen
// is compared under the lock that every change of it holds.
func (s *Store) UpdateParams(_ context.Context, gen uint64, changes []params.Change) error {
	if len(changes) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.atGeneration(gen); err != nil {
		return fmt.Errorf("update parameters: %w", err)
	}
	if s.params.values == nil {
		s.params.values = make(map[string]string)
	}
	for _, c := range changes {
		if c.Reset {
			delete(s.params.values, c.Key)
		} else {
			s.params.values[c.Key] = c.New
		}
	}
	s.gen.Add(1)
	return nil
}

// SetServers implements [params.Store].
func (s *Store) SetServers(_ context.Context, gen uint64, servers []params.Server) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.atGeneration(gen); err != nil {
		return fmt.Errorf("set servers: %w", err)
	}
	s.params.servers = clone(servers)
	s.gen.Add(1)
	return nil
}

// atGeneration returns params.ErrConflict unless the generation is gen;
// s.mu must be held for writing.
func (s *Store) atGeneration(gen uint64) error {
	if cur := s.gen.Load(); cur != gen {
		return fmt.Errorf("generation %d, planned at %d: %w", cur, gen, params.ErrConflict)
	}
	return nil
}

// PutProfile implements [params.Store].
func (s *Store) PutProfile(_ context.Context, p params.UserProfile) (params.UserProfile,
	bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.params.profiles {
		if name != p.Name && strings.EqualFold(name, p.Name) {
			return params.UserProfile{}, false, fmt.Errorf("put profile %q: profile %q: %w",
				p.Name, name, params.ErrExists)
		}
	}
	if s.params.profiles == nil {
		s.params.profiles = make(map[string]params.UserProfile)
	}
	old, replaced := s.params.profiles[p.Name]
	s.params.profiles[p.Name] = p
	return old, replaced, nil
}

// DeleteProfile implements [params.Store]: a profile that a user holds is
// in use.
func (s *Store) DeleteProfile(_ context.Context, name string) (params.UserProfile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.params.profiles[name]
	if !ok {
		return params.UserProfile{}, fmt.Errorf("delete profile %q: %w", name,
			params.ErrNotFound)
	}
	for _, u := range s.users {
		if u.Profile == name {
			return params.UserProfile{}, fmt.Errorf("delete profile %q: user %q: %w", name,
				u.ID, params.ErrInUse)
		}
	}
	delete(s.params.profiles, name)
	return old, nil
}

// Profile implements [params.Store].
func (s *Store) Profile(_ context.Context, name string) (params.UserProfile, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.params.profiles[name]
	if !ok {
		return params.UserProfile{}, fmt.Errorf("profile %q: %w", name, params.ErrNotFound)
	}
	return p, nil
}

// Profiles implements [params.Store].
func (s *Store) Profiles(context.Context) ([]params.UserProfile, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := slices.Collect(maps.Values(s.params.profiles))
	slices.SortFunc(out, func(a, b params.UserProfile) int {
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// AssignProfile implements [selfcare.ParamStore].
func (s *Store) AssignProfile(_ context.Context, userID, profile string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return "", fmt.Errorf("assign profile to %q: %w", userID, selfcare.ErrNotFound)
	}
	if _, ok := s.params.profiles[profile]; !ok && profile != "" {
		return "", fmt.Errorf("assign profile %q: %w", profile, params.ErrNotFound)
	}
	old := u.Profile
	u.Profile = profile
	s.users[userID] = u
	return old, nil
}

// EMLoginChoice implements [selfcare.ParamStore].
func (s *Store) EMLoginChoice(_ context.Context, userID string) (string, int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.users[userID]; !ok {
		return "", 0, fmt.Errorf("login time of %q: %w", userID, selfcare.ErrNotFound)
	}
	return s.params.emChoices[userID], s.params.emVersions[userID], nil
}

// SetEMLoginChoice implements [selfcare.ParamStore].
func (s *Store) SetEMLoginChoice(_ context.Context, userID, choice string,
	version int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return 0, fmt.Errorf("set login time of %q: %w", userID, selfcare.ErrNotFound)
	}
	if cur := s.params.emVersions[userID]; cur != version {
		return 0, fmt.Errorf("set login time of %q: version %d, stored %d: %w", userID,
			version, cur, selfcare.ErrVersionConflict)
	}
	if s.params.emChoices == nil {
		s.params.emChoices = make(map[string]string)
		s.params.emVersions = make(map[string]int64)
	}
	s.params.emChoices[userID] = choice
	s.params.emVersions[userID] = version + 1
	return version + 1, nil
}

package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.RemoteDestinationStore = (*Store)(nil)

// remoteDestData is what the store keeps of remote destinations; the zero
// value is empty and ready.
type remoteDestData struct {
	// byUser holds each user's destinations in the order created.
	byUser map[string][]selfcare.RemoteDestination
	// owner maps every ID in use to its user, so that IDs stay unique.
	owner map[string]string
	// limits are the administrators' per-user limits.
	limits map[string]int
}

// copyRD returns d sharing no memory with the store.
func copyRD(d selfcare.RemoteDestination) selfcare.RemoteDestination {
	d.Schedule = slices.Clone(d.Schedule)
	return d
}

// rdIndex returns the index of the user's destination id, or -1.
func (s *Store) rdIndex(userID, id string) int {
	return slices.IndexFunc(s.remoteDest.byUser[userID],
		func(d selfcare.RemoteDestination) bool { return d.ID == id })
}

// RemoteDestinations implements [selfcare.RemoteDestinationStore].
func (s *Store) RemoteDestinations(_ context.Context, userID string) (
	[]selfcare.RemoteDestination, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []selfcare.RemoteDestination
	for _, d := range s.remoteDest.byUser[userID] {
		out = append(out, copyRD(d))
	}
	return out, nil
}

// RemoteDestination implements [selfcare.RemoteDestinationStore].
func (s *Store) RemoteDestination(_ context.Context, userID, id string) (
	selfcare.RemoteDestination, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := s.rdIndex(userID, id)
	if i < 0 {
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w", id,
			selfcare.ErrNotFound)
	}
	return copyRD(s.remoteDest.byUser[userID][i]), nil
}

// CreateRemoteDestination implements [selfcare.RemoteDestinationStore].
func (s *Store) CreateRemoteDestination(_ context.Context, d selfcare.RemoteDestination,
	limit int) (selfcare.RemoteDestination, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rd := &s.remoteDest
	mine := rd.byUser[d.UserID]
	switch {
	case len(mine) >= limit:
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destinations of %q: %w",
			d.UserID, &selfcare.RemoteDestinationLimitError{Limit: limit})
	case rd.owner[d.ID] != "":
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w",
			d.ID, selfcare.ErrExists)
	case slices.ContainsFunc(mine, func(o selfcare.RemoteDestination) bool {
		return o.Number == d.Number
	}):
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w",
			d.Number, selfcare.ErrDuplicateRemoteDestination)
	}
	if rd.byUser == nil {
		rd.byUser = make(map[string][]selfcare.RemoteDestination)
		rd.owner = make(map[string]string)
	}
	d = copyRD(d)
	d.Version = 1
	rd.byUser[d.UserID] = append(mine, d)
	rd.owner[d.ID] = d.UserID
	return copyRD(d), nil
}

// UpdateRemoteDestination implements [selfcare.RemoteDestinationStore].
func (s *Store) UpdateRemoteDestination(_ context.Context, d selfcare.RemoteDestination) (
	selfcare.RemoteDestination, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.rdIndex(d.UserID, d.ID)
	if i < 0 {
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w", d.ID,
			selfcare.ErrNotFound)
	}
	mine := s.remoteDest.byUser[d.UserID]
	if cur := mine[i]; cur.Version != d.Version {
		return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: version "+
			"%d, stored %d: %w", d.ID, d.Version, cur.Version, selfcare.ErrVersionConflict)
	}
	for j, o := range mine {
		if j != i && o.Number == d.Number {
			return selfcare.RemoteDestination{}, fmt.Errorf("remote destination %q: %w",
				d.Number, selfcare.ErrDuplicateRemoteDestination)
		}
	}
	d = copyRD(d)
	d.Version++
	mine[i] = d
	return copyRD(d), nil
}

// DeleteRemoteDestination implements [selfcare.RemoteDestinationStore].
func (s *Store) DeleteRemoteDestination(_ context.Context, userID, id string,
	version int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.rdIndex(userID, id)
	if i < 0 {
		return fmt.Errorf("remote destination %q: %w", id, selfcare.ErrNotFound)
	}
	mine := s.remoteDest.byUser[userID]
	if cur := mine[i]; cur.Version != version {
		return fmt.Errorf("remote destination %q: version %d, stored %d: %w", id, version,
			cur.Version, selfcare.ErrVersionConflict)
	}
	s.remoteDest.byUser[userID] = slices.Delete(mine, i, i+1)
	delete(s.remoteDest.owner, id)
	return nil
}

// RemoteDestinationLimit implements [selfcare.RemoteDestinationStore].
func (s *Store) RemoteDestinationLimit(_ context.Context, userID string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if n, ok := s.remoteDest.limits[userID]; ok {
		return n, nil
	}
	return -1, nil
}

// SetRemoteDestinationLimit implements [selfcare.RemoteDestinationStore].
func (s *Store) SetRemoteDestinationLimit(_ context.Context, userID string,
	limit int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit < 0 {
		delete(s.remoteDest.limits, userID)
		return nil
	}
	if s.remoteDest.limits == nil {
		s.remoteDest.limits = make(map[string]int)
	}
	s.remoteDest.limits[userID] = limit
	return nil
}

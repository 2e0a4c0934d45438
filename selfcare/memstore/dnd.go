package memstore

import (
	"context"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.DNDStore = (*Store)(nil)

// DoNotDisturb implements [selfcare.DNDStore].
func (s *Store) DoNotDisturb(_ context.Context, userID string) (selfcare.DoNotDisturb,
	error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.dnd[userID]
	if !ok {
		return selfcare.DefaultDoNotDisturb(userID), nil
	}
	return d, nil
}

// UpdateDoNotDisturb implements [selfcare.DNDStore].
func (s *Store) UpdateDoNotDisturb(_ context.Context, d selfcare.DoNotDisturb) (
	selfcare.DoNotDisturb, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.dnd[d.UserID]; cur.Version != d.Version {
		return selfcare.DoNotDisturb{}, fmt.Errorf("do not disturb of %q: version %d, "+
			"stored %d: %w", d.UserID, d.Version, cur.Version, selfcare.ErrVersionConflict)
	}
	if s.dnd == nil {
		s.dnd = make(map[string]selfcare.DoNotDisturb)
	}
	d.Version++
	s.dnd[d.UserID] = d
	return d, nil
}

package memstore

import (
	"context"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.ConferencingStore = (*Store)(nil)

// Conferencing implements [selfcare.ConferencingStore].
func (s *Store) Conferencing(_ context.Context, userID string) (selfcare.Conferencing,
	error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.conferencing[userID]
	if !ok {
		return selfcare.DefaultConferencing(userID), nil
	}
	return c, nil
}

// UpdateConferencing implements [selfcare.ConferencingStore].
func (s *Store) UpdateConferencing(_ context.Context, c selfcare.Conferencing) (
	selfcare.Conferencing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.conferencing[c.UserID]; cur.Version != c.Version {
		return selfcare.Conferencing{}, fmt.Errorf("conferencing of %q: version %d, "+
			"stored %d: %w", c.UserID, c.Version, cur.Version, selfcare.ErrVersionConflict)
	}
	if s.conferencing == nil {
		s.conferencing = make(map[string]selfcare.Conferencing)
	}
	c.Version++
	s.conferencing[c.UserID] = c
	return c, nil
}

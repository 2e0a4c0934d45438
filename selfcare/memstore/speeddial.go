package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.SpeedDialStore = (*Store)(nil)

// SpeedDials implements [selfcare.SpeedDialStore].
func (s *Store) SpeedDials(_ context.Context, device string) (selfcare.SpeedDials, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.speedDials[device]
	if !ok {
		return selfcare.SpeedDials{Device: device}, nil
	}
	// A copy, so that the caller cannot change the stored entries.
	l.Entries = slices.Clone(l.Entries)
	return l, nil
}

// UpdateSpeedDials implements [selfcare.SpeedDialStore].
func (s *Store) UpdateSpeedDials(_ context.Context, l selfcare.SpeedDials) (
	selfcare.SpeedDials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.speedDials[l.Device]
	if cur.Version != l.Version {
		return selfcare.SpeedDials{}, fmt.Errorf("speed dials of %q: version %d, "+
			"stored %d: %w", l.Device, l.Version, cur.Version,
			selfcare.ErrVersionConflict)
	}
	if s.speedDials == nil {
		s.speedDials = make(map[string]selfcare.SpeedDials)
	}
	l.Version++
	l.Entries = slices.Clone(l.Entries)
	slices.SortFunc(l.Entries, func(a, b selfcare.SpeedDial) int {
		return a.Position - b.Position
	})
	s.speedDials[l.Device] = l
	out := l
	out.Entries = slices.Clone(l.Entries)
	return out, nil
}

package memstore

import (
	"context"
	"fmt"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.ForwardingStore = (*Store)(nil)

// LineForwarding implements [selfcare.ForwardingStore].
func (s *Store) LineForwarding(_ context.Context, ext string) (selfcare.CallForwarding,
	error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.forwarding[ext]
	if !ok {
		return selfcare.CallForwarding{Extension: ext}, nil
	}
	return f, nil
}

// UpdateLineForwarding implements [selfcare.ForwardingStore]. The write
// lock is held throughout, check included, which is the transaction.
func (s *Store) UpdateLineForwarding(_ context.Context, f selfcare.CallForwarding,
	check func(selfcare.ForwardTable) error) (selfcare.CallForwarding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.forwarding[f.Extension]
	if cur.Version != f.Version {
		return selfcare.CallForwarding{}, fmt.Errorf("forwarding of %q: version %d, "+
			"stored %d: %w", f.Extension, f.Version, cur.Version,
			selfcare.ErrVersionConflict)
	}
	if check != nil {
		t := selfcare.ForwardTable{Forwards: make(map[string]string)}
		for ext, g := range s.forwarding {
			if target := g.Rule(params.ForwardAllCalls).Target(); target != "" {
				t.Forwards[ext] = target
			}
		}
		if err := check(t); err != nil {
			return selfcare.CallForwarding{}, fmt.Errorf("forwarding of %q: %w",
				f.Extension, err)
		}
	}
	if s.forwarding == nil {
		s.forwarding = make(map[string]selfcare.CallForwarding)
	}
	f.Version++
	s.forwarding[f.Extension] = f
	return f, nil
}

package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.DestinationPolicyStore = (*Store)(nil)

// DestinationPolicy implements [selfcare.DestinationPolicyStore].
func (s *Store) DestinationPolicy(context.Context) (selfcare.ConfiguredDestinationPolicy,
	error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return cloneDestPolicy(s.destPolicy), nil
}

// SetDestinationPolicy implements [selfcare.DestinationPolicyStore]. It
// advances the store's one generation, as a parameter change does.
func (s *Store) SetDestinationPolicy(_ context.Context,
	p selfcare.ConfiguredDestinationPolicy) (selfcare.ConfiguredDestinationPolicy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.destPolicy.Version; cur != p.Version {
		return selfcare.ConfiguredDestinationPolicy{}, fmt.Errorf("destination policy: "+
			"version %d, stored %d: %w", p.Version, cur, selfcare.ErrVersionConflict)
	}
	p = cloneDestPolicy(p)
	if !p.Custom {
		p.Policy = selfcare.DestinationPolicy{}
	}
	p.Version++
	s.destPolicy = p
	s.gen.Add(1)
	return cloneDestPolicy(p), nil
}

// cloneDestPolicy copies every slice, so that the store and its callers
// never share one.
func cloneDestPolicy(p selfcare.ConfiguredDestinationPolicy) selfcare.ConfiguredDestinationPolicy {
	site := &p.Policy.Site
	site.ExtensionLengths = slices.Clone(site.ExtensionLengths)
	site.URIDomains = slices.Clone(site.URIDomains)
	classes := slices.Clone(p.Policy.Classes)
	for i := range classes {
		classes[i].Patterns = slices.Clone(classes[i].Patterns)
		classes[i].Kinds = slices.Clone(classes[i].Kinds)
	}
	p.Policy.Classes = classes
	return p
}

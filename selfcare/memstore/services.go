package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.PhoneServiceStore = (*Store)(nil)

// copyService returns ps sharing no memory with the store.
func copyService(ps selfcare.PhoneService) selfcare.PhoneService {
	ps.Params = slices.Clone(ps.Params)
	return ps
}

// copySubscription returns sub sharing no memory with the store.
func copySubscription(sub selfcare.ServiceSubscription) selfcare.ServiceSubscription {
	sub.Values = maps.Clone(sub.Values)
	if sub.Values == nil {
		sub.Values = map[string]string{}
	}
	return sub
}

// PhoneServices implements [selfcare.PhoneServiceStore].
func (s *Store) PhoneServices(_ context.Context) ([]selfcare.PhoneService, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]selfcare.PhoneService, 0, len(s.phoneServices))
	for _, ps := range s.phoneServices {
		out = append(out, copyService(ps))
	}
	slices.SortFunc(out, func(a, b selfcare.PhoneService) int {
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// PhoneService implements [selfcare.PhoneServiceStore].
func (s *Store) PhoneService(_ context.Context, id string) (selfcare.PhoneService, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ps, ok := s.phoneServices[id]
	if !ok {
		return selfcare.PhoneService{}, fmt.Errorf("phone service %q: %w", id,
			selfcare.ErrNotFound)
	}
	return copyService(ps), nil
}

// AddPhoneService implements [selfcare.PhoneServiceStore].
func (s *Store) AddPhoneService(_ context.Context, ps selfcare.PhoneService) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.phoneServices[ps.ID]; ok {
		return fmt.Errorf("phone service %q: %w", ps.ID, selfcare.ErrExists)
	}
	if s.phoneServices == nil {
		s.phoneServices = make(map[string]selfcare.PhoneService)
	}
	s.phoneServices[ps.ID] = copyService(ps)
	return nil
}

// RemovePhoneService implements [selfcare.PhoneServiceStore].
func (s *Store) RemovePhoneService(_ context.Context, id string, cascade bool) (int,
	error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.phoneServices[id]; !ok {
		return 0, fmt.Errorf("phone service %q: %w", id, selfcare.ErrNotFound)
	}
	n := 0
	for _, subs := range s.subscriptions {
		if _, ok := subs[id]; ok {
			n++
		}
	}
	if n > 0 && !cascade {
		return 0, fmt.Errorf("phone service %q: %d phones: %w", id, n,
			selfcare.ErrServiceInUse)
	}
	for dev, subs := range s.subscriptions {
		delete(subs, id)
		if len(subs) == 0 {
			delete(s.subscriptions, dev)
		}
	}
	delete(s.phoneServices, id)
	return n, nil
}

// Subscriptions implements [selfcare.PhoneServiceStore].
func (s *Store) Subscriptions(_ context.Context, device string) (
	[]selfcare.ServiceSubscription, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	subs := s.subscriptions[device]
	out := make([]selfcare.ServiceSubscription, 0, len(subs))
	for _, id := range slices.Sorted(maps.Keys(subs)) {
		out = append(out, copySubscription(subs[id]))
	}
	return out, nil
}

// Subscription implements [selfcare.PhoneServiceStore].
func (s *Store) Subscription(_ context.Context, device, serviceID string) (
	selfcare.ServiceSubscription, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub, ok := s.subscriptions[device][serviceID]
	if !ok {
		return selfcare.ServiceSubscription{}, fmt.Errorf("subscription of %q to %q: %w",
			device, serviceID, selfcare.ErrNotFound)
	}
	return copySubscription(sub), nil
}

// Subscribe implements [selfcare.PhoneServiceStore].
func (s *Store) Subscribe(_ context.Context, sub selfcare.ServiceSubscription) (
	selfcare.ServiceSubscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.phoneServices[sub.ServiceID]; !ok {
		return selfcare.ServiceSubscription{}, fmt.Errorf("phone service %q: %w",
			sub.ServiceID, selfcare.ErrNotFound)
	}
	if _, ok := s.subscriptions[sub.Device][sub.ServiceID]; ok {
		return selfcare.ServiceSubscription{}, fmt.Errorf("subscription of %q to %q: %w",
			sub.Device, sub.ServiceID, selfcare.ErrSubscribed)
	}
	if s.subscriptions == nil {
		s.subscriptions = make(map[string]map[string]selfcare.ServiceSubscription)
	}
	if s.subscriptions[sub.Device] == nil {
		s.subscriptions[sub.Device] = make(map[string]selfcare.ServiceSubscription)
	}
	sub = copySubscription(sub)
	sub.Version = 1
	s.subscriptions[sub.Device][sub.ServiceID] = sub
	return copySubscription(sub), nil
}

// UpdateSubscription implements [selfcare.PhoneServiceStore].
func (s *Store) UpdateSubscription(_ context.Context, sub selfcare.ServiceSubscription) (
	selfcare.ServiceSubscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.subscriptions[sub.Device][sub.ServiceID]
	switch {
	case !ok:
		return selfcare.ServiceSubscription{}, fmt.Errorf("subscription of %q to %q: %w",
			sub.Device, sub.ServiceID, selfcare.ErrNotFound)
	case cur.Version != sub.Version:
		return selfcare.ServiceSubscription{}, fmt.Errorf("subscription of %q to %q: "+
			"version %d, stored %d: %w", sub.Device, sub.ServiceID, sub.Version,
			cur.Version, selfcare.ErrVersionConflict)
	}
	sub = copySubscription(sub)
	sub.Version++
	s.subscriptions[sub.Device][sub.ServiceID] = sub
	return copySubscription(sub), nil
}

// Unsubscribe implements [selfcare.PhoneServiceStore].
func (s *Store) Unsubscribe(_ context.Context, device, serviceID string,
	version int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.subscriptions[device][serviceID]
	switch {
	case !ok:
		return fmt.Errorf("subscription of %q to %q: %w", device, serviceID,
			selfcare.ErrNotFound)
	case cur.Version != version:
		return fmt.Errorf("subscription of %q to %q: version %d, stored %d: %w", device,
			serviceID, version, cur.Version, selfcare.ErrVersionConflict)
	}
	delete(s.subscriptions[device], serviceID)
	if len(s.subscriptions[device]) == 0 {
		delete(s.subscriptions, device)
	}
	return nil
}

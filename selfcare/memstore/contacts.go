package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.ContactStore = (*Store)(nil)

// contactBook is the contacts of one phone, with the owner they were
// written for.
type contactBook struct {
	owner string
	byID  map[string]selfcare.Contact
}

// PutDevice (users.go) drops the contacts of a phone whose owner changes,
// as sqlstore does; the owner kept in the book is a second guard.

// book returns the contacts of device when owner owns it, or ErrNotFound.
// A book written for another owner is dropped (when writing) or reads as
// empty. mu must be held; for writing when write is set.
func (s *Store) book(owner, device string, write bool) (contactBook, error) {
	d, ok := s.devices[device]
	if !ok || d.Owner != owner {
		return contactBook{}, fmt.Errorf("contacts of %q: %w", device,
			selfcare.ErrNotFound)
	}
	b, ok := s.contacts[device]
	if ok && b.owner == owner {
		return b, nil
	}
	if ok && write {
		delete(s.contacts, device)
	}
	return contactBook{owner: owner}, nil
}

// cloneContact returns c sharing no memory with the store.
func cloneContact(c selfcare.Contact) selfcare.Contact {
	c.Methods = slices.Clone(c.Methods)
	return c
}

// Contacts implements [selfcare.ContactStore].
func (s *Store) Contacts(_ context.Context, owner, device string) ([]selfcare.Contact,
	error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := s.book(owner, device, false)
	if err != nil {
		return nil, err
	}
	out := make([]selfcare.Contact, 0, len(b.byID))
	for _, id := range slices.Sorted(maps.Keys(b.byID)) {
		out = append(out, cloneContact(b.byID[id]))
	}
	return out, nil
}

// Contact implements [selfcare.ContactStore].
func (s *Store) Contact(_ context.Context, owner, device, id string) (selfcare.Contact,
	error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := s.book(owner, device, false)
	if err != nil {
		return selfcare.Contact{}, err
	}
	c, ok := b.byID[id]
	if !ok {
		return selfcare.Contact{}, fmt.Errorf("contact %q of %q: %w", id, device,
			selfcare.ErrNotFound)
	}
	return cloneContact(c), nil
}

// CreateContact implements [selfcare.ContactStore].
func (s *Store) CreateContact(_ context.Context, owner string, c selfcare.Contact,
	limit int) (selfcare.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.book(owner, c.Device, true)
	if err != nil {
		return selfcare.Contact{}, err
	}
	switch _, taken := b.byID[c.ID]; {
	case taken:
		return selfcare.Contact{}, fmt.Errorf("contact %q of %q: %w", c.ID, c.Device,
			selfcare.ErrExists)
	case len(b.byID) >= limit:
		return selfcare.Contact{}, fmt.Errorf("contacts of %q: %d: %w", c.Device,
			limit, selfcare.ErrContactLimit)
	}
	if b.byID == nil {
		b.byID = make(map[string]selfcare.Contact)
	}
	if s.contacts == nil {
		s.contacts = make(map[string]contactBook)
	}
	c = cloneContact(c)
	c.Version = 1
	b.byID[c.ID] = c
	s.contacts[c.Device] = b
	return cloneContact(c), nil
}

// UpdateContact implements [selfcare.ContactStore].
func (s *Store) UpdateContact(_ context.Context, owner string, c selfcare.Contact) (
	selfcare.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.storedContact(owner, c.Device, c.ID, c.Version)
	if err != nil {
		return selfcare.Contact{}, err
	}
	c = cloneContact(c)
	c.Version = cur.Version + 1
	s.contacts[c.Device].byID[c.ID] = c
	return cloneContact(c), nil
}

// DeleteContact implements [selfcare.ContactStore].
func (s *Store) DeleteContact(_ context.Context, owner, device, id string,
	version int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.storedContact(owner, device, id, version); err != nil {
		return err
	}
	delete(s.contacts[device].byID, id)
	return nil
}

// storedContact returns the contact to change, checking the owner and the
// version. mu must be held for writing.
func (s *Store) storedContact(owner, device, id string, version int64) (
	selfcare.Contact, error) {
	b, err := s.book(owner, device, true)
	if err != nil {
		return selfcare.Contact{}, err
	}
	cur, ok := b.byID[id]
	switch {
	case !ok:
		return selfcare.Contact{}, fmt.Errorf("contact %q of %q: %w", id, device,
			selfcare.ErrNotFound)
	case cur.Version != version:
		return selfcare.Contact{}, fmt.Errorf("contact %q of %q: version %d, "+
			"stored %d: %w", id, device, version, cur.Version,
			selfcare.ErrVersionConflict)
	}
	return cur, nil
}

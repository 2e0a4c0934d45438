package memstore

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// CreateUser implements [selfcare.UserStore].
func (s *Store) CreateUser(_ context.Context, u selfcare.User) error {
	u = stampUser(u)

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; ok {
		return fmt.Errorf("create user %q: %w", u.ID, selfcare.ErrExists)
	}
	s.users[u.ID] = u
	return nil
}

// User implements [selfcare.UserStore].
func (s *Store) User(_ context.Context, id string) (selfcare.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	if !ok {
		return selfcare.User{}, fmt.Errorf("user %q: %w", id, selfcare.ErrNotFound)
	}
	return u, nil
}

// Users implements [selfcare.UserStore].
func (s *Store) Users(_ context.Context) ([]selfcare.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]selfcare.User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// UpdateProfile implements [selfcare.UserStore].
func (s *Store) UpdateProfile(_ context.Context, u selfcare.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.users[u.ID]
	if !ok {
		return fmt.Errorf("update user %q: %w", u.ID, selfcare.ErrNotFound)
	}
	cur.FirstName = u.FirstName
	cur.LastName = u.LastName
	cur.Locale = u.Locale
	cur.Rank = u.Rank
	cur.Profile = u.Profile
	cur.MustChangePassword = u.MustChangePassword
	s.users[u.ID] = cur
	return nil
}

// SetPassword implements [selfcare.UserStore].
func (s *Store) SetPassword(_ context.Context, userID, hash string, at time.Time,
	keep int, mustChange bool, keepSession []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return fmt.Errorf("set password of %q: %w", userID, selfcare.ErrNotFound)
	}

	// An empty hash means no password was set, so there is nothing to
	// remember. The history is rebuilt rather than shifted in place so
	// that no slice handed out earlier can see the change.
	h := s.history[userID]
	if u.PasswordHash != "" {
		h = append([]string{u.PasswordHash}, h...)
	}
	h = h[:min(len(h), max(keep, 0))]
	if len(h) == 0 {
		delete(s.history, userID)
	} else {
		s.history[userID] = h
	}

	u.PasswordHash = hash
	u.PasswordChangedAt = stamp(at)
	u.MustChangePassword = mustChange
	s.users[userID] = u

	for key := range s.userSessions[userID] {
		if len(keepSession) > 0 && bytes.Equal([]byte(key), keepSession) {
			continue
		}
		s.deleteSession(key)
	}
	return nil
}

// PasswordHistory implements [selfcare.UserStore]. An unknown user has no
// history.
func (s *Store) PasswordHistory(_ context.Context, userID string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return clone(s.history[userID]), nil
}

// SetPIN implements [selfcare.UserStore].
func (s *Store) SetPIN(_ context.Context, userID, hash string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return fmt.Errorf("set PIN of %q: %w", userID, selfcare.ErrNotFound)
	}
	u.PINHash = hash
	u.PINChangedAt = stamp(at)
	s.users[userID] = u
	return nil
}

// SetDisabled implements [selfcare.UserStore].
func (s *Store) SetDisabled(_ context.Context, userID string, disabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return fmt.Errorf("set disabled of %q: %w", userID, selfcare.ErrNotFound)
	}
	u.Disabled = disabled
	s.users[userID] = u
	if disabled {
		for key := range s.userSessions[userID] {
			s.deleteSession(key)
		}
	}
	return nil
}

// stampUser brings the user's times to the stored precision.
func stampUser(u selfcare.User) selfcare.User {
	u.PasswordChangedAt = stamp(u.PasswordChangedAt)
	u.PINChangedAt = stamp(u.PINChangedAt)
	u.CreatedAt = stamp(u.CreatedAt)
	return u
}

// PutDevice implements [selfcare.DeviceStore].
func (s *Store) PutDevice(_ context.Context, d selfcare.Device) error {
	d.Lines = clone(d.Lines)

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[d.Owner]; !ok {
		return fmt.Errorf("put device %q: owner %q: %w", d.Name, d.Owner, selfcare.ErrNotFound)
	}
	if old, ok := s.devices[d.Name]; ok {
		s.userDevices.remove(old.Owner, d.Name)
		if old.Owner != d.Owner {
			s.dropOwnerData(d.Name)
		}
	}
	s.devices[d.Name] = d
	s.userDevices.add(d.Owner, d.Name)
	return nil
}

// Device implements [selfcare.DeviceStore].
func (s *Store) Device(_ context.Context, name string) (selfcare.Device, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.devices[name]
	if !ok {
		return selfcare.Device{}, fmt.Errorf("device %q: %w", name, selfcare.ErrNotFound)
	}
	d.Lines = clone(d.Lines)
	return d, nil
}

// UserDevices implements [selfcare.DeviceStore]. A user without devices,
// known or not, gets none and no error.
func (s *Store) UserDevices(_ context.Context, userID string) ([]selfcare.Device, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := s.userDevices[userID].sorted()
	out := make([]selfcare.Device, 0, len(names))
	for _, n := range names {
		d := s.devices[n]
		d.Lines = clone(d.Lines)
		out = append(out, d)
	}
	return out, nil
}

// dropOwnerData forgets what the owner of the phone named device set on
// it, when the phone goes to someone else: the new owner starts from the
// defaults. Line settings remember their owner and need nothing here.
// The caller holds the write lock.
func (s *Store) dropOwnerData(device string) {
	delete(s.speedDials, device)
	delete(s.phoneSettings, device)
	delete(s.subscriptions, device)
	delete(s.contacts, device)
}

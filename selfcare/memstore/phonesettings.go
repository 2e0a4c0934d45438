package memstore

import (
	"context"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var (
	_ selfcare.PhoneSettingsStore = (*Store)(nil)
	_ selfcare.LanguageStore      = (*Store)(nil)
)

// Phone settings are kept with the owner they were saved for. PutDevice
// does not know about them, so a phone that changed hands is recognised
// on the way out: settings whose owner is not the phone's owner now read
// as none, and the next save replaces them.
//
// A phone given to another user loses these settings in PutDevice
// (users.go), as it does in the SQL store.

// PhoneSettings implements [selfcare.PhoneSettingsStore].
func (s *Store) PhoneSettings(_ context.Context, device, owner string) (
	selfcare.PhoneSettings, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.phoneSettingsOf(device, owner), nil
}

// phoneSettingsOf returns the settings of device for owner; s.mu is held.
func (s *Store) phoneSettingsOf(device, owner string) selfcare.PhoneSettings {
	ps, ok := s.phoneSettings[device]
	if !ok || ps.Owner != owner || s.devices[device].Owner != owner {
		return selfcare.PhoneSettings{Device: device, Owner: owner}
	}
	return ps
}

// UserPhoneSettings implements [selfcare.PhoneSettingsStore].
func (s *Store) UserPhoneSettings(_ context.Context, userID string) (
	[]selfcare.PhoneSettings, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []selfcare.PhoneSettings
	for _, name := range s.userDevices[userID].sorted() {
		if ps := s.phoneSettingsOf(name, userID); ps.Version > 0 {
			out = append(out, ps)
		}
	}
	return out, nil
}

// UpdatePhoneSettings implements [selfcare.PhoneSettingsStore].
func (s *Store) UpdatePhoneSettings(_ context.Context, ps selfcare.PhoneSettings) (
	selfcare.PhoneSettings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.devices[ps.Device]; !ok || d.Owner != ps.Owner {
		return selfcare.PhoneSettings{}, fmt.Errorf("phone settings of %q: %w", ps.Device,
			selfcare.ErrNotFound)
	}
	if cur := s.phoneSettingsOf(ps.Device, ps.Owner); cur.Version != ps.Version {
		return selfcare.PhoneSettings{}, fmt.Errorf("phone settings of %q: version %d, "+
			"stored %d: %w", ps.Device, ps.Version, cur.Version,
			selfcare.ErrVersionConflict)
	}
	if s.phoneSettings == nil {
		s.phoneSettings = make(map[string]selfcare.PhoneSettings)
	}
	ps.Version++
	s.phoneSettings[ps.Device] = ps
	return ps, nil
}

// languageMark is the version of a user's locale and the locale it was
// given for. UpdateProfile does not know about versions, so a locale that
// no longer matches its mark was changed there, which counts as one more
// version.
type languageMark struct {
	locale  string
	version int64
}

// languageOf returns the user's language with its version; s.mu is held
// for writing, since the first reading marks the locale as version 0.
func (s *Store) languageOf(userID string) (selfcare.UserLanguage, error) {
	u, ok := s.users[userID]
	if !ok {
		return selfcare.UserLanguage{}, fmt.Errorf("language of %q: %w", userID,
			selfcare.ErrNotFound)
	}
	m, ok := s.languages[userID]
	switch {
	case !ok:
		m = languageMark{locale: u.Locale}
	case m.locale != u.Locale:
		m = languageMark{locale: u.Locale, version: m.version + 1}
	}
	if s.languages == nil {
		s.languages = make(map[string]languageMark)
	}
	s.languages[userID] = m
	return selfcare.UserLanguage{UserID: userID, Locale: m.locale, Version: m.version}, nil
}

// UserLanguage implements [selfcare.LanguageStore].
func (s *Store) UserLanguage(_ context.Context, userID string) (selfcare.UserLanguage,
	error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.languageOf(userID)
}

// UpdateUserLanguage implements [selfcare.LanguageStore].
func (s *Store) UpdateUserLanguage(_ context.Context, l selfcare.UserLanguage) (
	selfcare.UserLanguage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.languageOf(l.UserID)
	if err != nil {
		return selfcare.UserLanguage{}, err
	}
	if cur.Version != l.Version {
		return selfcare.UserLanguage{}, fmt.Errorf("language of %q: version %d, "+
			"stored %d: %w", l.UserID, l.Version, cur.Version, selfcare.ErrVersionConflict)
	}
	u := s.users[l.UserID]
	u.Locale = l.Locale
	s.users[l.UserID] = u
	l.Version++
	s.languages[l.UserID] = languageMark{locale: l.Locale, version: l.Version}
	return l, nil
}

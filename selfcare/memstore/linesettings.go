package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.LineSettingsStore = (*Store)(nil)

// lineKey names a line appearance: a phone and a line index.
type lineKey struct {
	device string
	index  int
}

// LineSettings implements [selfcare.LineSettingsStore].
func (s *Store) LineSettings(_ context.Context, device string, index int) (
	selfcare.LineSettings, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.lineSettings[lineKey{device, index}]
	if !ok {
		return selfcare.DefaultLineSettings(device, index), nil
	}
	return l, nil
}

// DeviceLineSettings implements [selfcare.LineSettingsStore]. It visits
// every stored appearance; a site keeps a few per phone, and the map
// stays keyed for the single reads and writes that are most requests.
func (s *Store) DeviceLineSettings(_ context.Context, device string) (
	[]selfcare.LineSettings, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []selfcare.LineSettings
	for k, l := range s.lineSettings {
		if k.device == device {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b selfcare.LineSettings) int {
		return cmp.Compare(a.Index, b.Index)
	})
	return out, nil
}

// UpdateLineSettings implements [selfcare.LineSettingsStore].
func (s *Store) UpdateLineSettings(_ context.Context, l selfcare.LineSettings) (
	selfcare.LineSettings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := lineKey{l.Device, l.Index}
	if cur := s.lineSettings[k]; cur.Version != l.Version {
		return selfcare.LineSettings{}, fmt.Errorf("line settings of %q line %d: "+
			"version %d, stored %d: %w", l.Device, l.Index, l.Version, cur.Version,
			selfcare.ErrVersionConflict)
	}
	if s.lineSettings == nil {
		s.lineSettings = make(map[lineKey]selfcare.LineSettings)
	}
	l.Version++
	s.lineSettings[k] = l
	return l, nil
}

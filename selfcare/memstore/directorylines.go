package memstore

import (
	"context"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.LineDirectory = (*Store)(nil)

// HasLine implements [selfcare.LineDirectory].
func (s *Store) HasLine(_ context.Context, ext string) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, d := range s.devices {
		for _, l := range d.Lines {
			if l.Extension == ext {
				return true, nil
			}
		}
	}
	return false, nil
}

package sqlstore

import (
	"context"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.LineDirectory = (*Store)(nil)

// HasLine implements [selfcare.LineDirectory] with one indexed lookup.
func (s *Store) HasLine(ctx context.Context, ext string) (bool, error) {
	ok, err := exists(ctx, s.r, `SELECT 1 FROM device_lines WHERE extension = ?
		LIMIT 1`, ext)
	if err != nil {
		return false, fmt.Errorf("line %q: %w", ext, err)
	}
	return ok, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.LineDirectory = (*Store)(nil)

// HasLine implements [selfcare.LineDirectory] with one indexed lookup.
func (s *Store) HasLine(ctx context.Context, ext string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM device_lines WHERE extension = ?
		LIMIT 1`, ext).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("line %q: %w", ext, err)
	}
	return true, nil
}

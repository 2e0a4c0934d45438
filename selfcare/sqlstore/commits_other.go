//go:build !unix

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// commitCounter is not available here: the store reads without it.
type commitCounter struct{}

func openCommitCounter(context.Context, string, time.Duration, *sql.DB) (
	*commitCounter, error) {
	return nil, errors.New("no shared-memory wal-index on this system")
}

func (*commitCounter) count() uint32 { return 0 }

func (*commitCounter) close() error { return nil }

func shmMappings() int { return 0 }

package sqlstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

func Example() {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Open creates the file and its schema; a zero Config takes defaults.
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, filepath.Join(dir, "portal.db"), sqlstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	created := time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.UTC)
	err = s.CreateUser(ctx, selfcare.User{ID: "alice", Rank: 4, CreatedAt: created})
	if err != nil {
		log.Fatal(err)
	}
	u, err := s.User(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	// Times come back in UTC, to the microsecond.
	fmt.Println(u.ID, u.Rank, u.CreatedAt.Format(time.RFC3339Nano))
	// Output: alice 4 2025-03-01T09:30:00.123456Z
}

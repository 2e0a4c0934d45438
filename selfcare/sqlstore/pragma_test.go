package sqlstore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestEveryConnectionHasThePragmas holds every connection each pool may
// open at once and checks the settings that durability and sharing rely
// on: a pragma set once, on one connection, would not be enough.
func TestEveryConnectionHasThePragmas(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"),
		Config{MaxOpenConns: 3, BusyTimeout: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	common := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL: a commit is on disk before it returns
		"foreign_keys": "1",
		"busy_timeout": "7000",
	}
	pools := []struct {
		name      string
		db        *sql.DB
		conns     int
		queryOnly string
	}{
		{"writer", s.w, 1, "0"},
		{"reader", s.r, 3, "1"},
	}
	for _, p := range pools {
		var held []*sql.Conn
		for i := range p.conns {
			c, err := p.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
			want := map[string]string{"query_only": p.queryOnly}
			for k, v := range common {
				want[k] = v
			}
			for name, v := range want {
				var got string
				if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != v {
					t.Errorf("%s connection %d: %s = %s, want %s", p.name, i, name, got, v)
				}
			}
		}
		for _, c := range held {
			c.Close()
		}
	}
}

// TestReadersCannotWrite guards the split between the pools: a write sent
// to a read connection must fail rather than bypass BEGIN IMMEDIATE.
func TestReadersCannotWrite(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "p.db"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.r.ExecContext(t.Context(), `DELETE FROM sessions`)
	if err == nil {
		t.Error("a read connection accepted a write")
	}
}

// TestTimeEncodingRoundTrips checks the column encoding at its edges.
func TestTimeEncodingRoundTrips(t *testing.T) {
	for _, tm := range []time.Time{
		{},
		time.Unix(0, 0).UTC(),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
		time.Date(2025, 3, 1, 9, 30, 0, 123_456_000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
	} {
		t.Run(fmt.Sprint(tm), func(t *testing.T) {
			got := fromMicros(micros(tm))
			if !got.Equal(tm) || got.IsZero() != tm.IsZero() || got.Location() != time.UTC {
				t.Errorf("round trip of %v gave %v", tm, got)
			}
		})
	}
}

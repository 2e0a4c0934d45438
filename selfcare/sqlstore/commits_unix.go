//go:build unix

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// commitCounter reads the change counter of the database's write-ahead
// log. SQLite keeps it in the header of the wal-index, the "-shm" file
// that every connection of every process maps into memory, and adds one
// to it with every commit (https://www.sqlite.org/walformat.html, field
// iChange). A counter that has not moved means nothing was committed, by
// this process or any other, since it was last read: what was read then
// is still what the database holds. Reading it costs a memory load, where
// asking SQLite costs a read transaction.
type commitCounter struct {
	mem []byte
	// db holds one connection open for as long as the counter is used:
	// SQLite removes the -shm file when the last connection to the
	// database closes, and a new one would not be the mapped one.
	db   *sql.DB
	hold *sql.Conn
}

// wal-index header fields (walformat.html, "The WAL-Index Header").
const (
	walIndexVersion = 3007000
	offVersion      = 0
	offChange       = 8
	offIsInit       = 12
	walHeaderSize   = 48
)

// openCommitCounter maps the -shm file of the database at path and checks
// that a commit through w moves the counter. Any failure means the
// counter cannot be trusted, and the caller reads without it.
func openCommitCounter(ctx context.Context, path string, busy time.Duration,
	w *sql.DB) (*commitCounter, error) {
	db, err := sql.Open("sqlite", dsn(path, busy, false))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &commitCounter{db: db}
	fail := func(err error) (*commitCounter, error) {
		c.close()
		return nil, err
	}
	if c.hold, err = db.Conn(ctx); err != nil {
		return fail(err)
	}
	// A read maps the wal-index, creating the -shm file if needed.
	var n int
	if err := c.hold.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).
		Scan(&n); err != nil {
		return fail(err)
	}
	f, err := os.Open(path + "-shm")
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() < walHeaderSize {
		return fail(fmt.Errorf("wal-index too short or unreadable: %v", err))
	}
	c.mem, err = unix.Mmap(int(f.Fd()), 0, walHeaderSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fail(err)
	}
	if v := binary.NativeEndian.Uint32(c.mem[offVersion:]); v != walIndexVersion ||
		c.mem[offIsInit] != 1 {
		return fail(fmt.Errorf("wal-index header version %d, initialised %d", v,
			c.mem[offIsInit]))
	}

	// Prove it: rewriting the user version is a commit that changes
	// nothing the schema or the data depend on.
	var uv int64
	if err := w.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&uv); err != nil {
		return fail(err)
	}
	before := c.count()
	if _, err := w.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, uv)); err != nil {
		return fail(err)
	}
	if c.count() == before {
		return fail(errors.New("a commit did not move the wal-index change counter"))
	}
	return c, nil
}

// count returns the change counter as it is now.
func (c *commitCounter) count() uint32 {
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&c.mem[offChange])))
}

// close unmaps the header and lets the connection go.
func (c *commitCounter) close() error {
	var errs []error
	if c.mem != nil {
		errs = append(errs, unix.Munmap(c.mem))
		c.mem = nil
	}
	if c.hold != nil {
		errs = append(errs, c.hold.Close())
	}
	return errors.Join(append(errs, c.db.Close())...)
}

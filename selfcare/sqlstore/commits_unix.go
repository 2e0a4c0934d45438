//go:build unix

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
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
	m *shmMapping
	// db holds one connection open for as long as the counter is used:
	// SQLite removes the -shm file when the last connection to the
	// database closes, and a new one would not be the mapped one.
	db   *sql.DB
	hold *sql.Conn
}

// shmMapping is the -shm file of one database mapped once per process.
//
// Its file descriptor stays open until the last store of the process that
// uses the database has closed its connections: POSIX record locks belong
// to the process, and closing any descriptor of a file drops every lock
// the process holds on it, SQLite's own included. A descriptor opened and
// closed while SQLite holds locks on the -shm file would let another
// process take the wal-index for its own and rebuild it under this one.
type shmMapping struct {
	// key is the file's device and inode: two paths of one file (relative
	// and absolute, a link) must share one descriptor.
	key  string
	f    *os.File
	mem  []byte
	refs int
}

var (
	shmMu   sync.Mutex
	shmMaps = map[string]*shmMapping{}
)

// mapShm returns the process's mapping of the -shm file at path, mapping
// it first if needed; the caller releases it with unmapShm.
func mapShm(path string) (*shmMapping, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	shmMu.Lock()
	defer shmMu.Unlock()
	if m, ok := shmMaps[key]; ok {
		m.refs++
		return m, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	// mapShm runs while connections of this process hold the file, so a
	// descriptor it cannot use is kept, never closed: a leak of one
	// descriptor rather than of SQLite's locks.
	if st, err := f.Stat(); err != nil || st.Size() < walHeaderSize {
		shmLeaked = append(shmLeaked, f)
		return nil, fmt.Errorf("wal-index too short or unreadable: %v", err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, walHeaderSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		shmLeaked = append(shmLeaked, f)
		return nil, err
	}
	m := &shmMapping{key: key, f: f, mem: mem, refs: 1}
	shmMaps[key] = m
	return m, nil
}

// shmLeaked keeps the descriptors that mapShm could not use, so that they
// are never closed while SQLite may hold locks on their file.
var shmLeaked []*os.File

// unmapShm releases m; the last release unmaps it and closes its file.
// It must run after the caller's SQLite connections to the database have
// closed.
func unmapShm(m *shmMapping) error {
	shmMu.Lock()
	defer shmMu.Unlock()
	if m.refs--; m.refs > 0 {
		return nil
	}
	delete(shmMaps, m.key)
	return errors.Join(unix.Munmap(m.mem), m.f.Close())
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
		// A mapping stays registered, never released: the store's other
		// connections are open, and the last release would close the
		// descriptor under their locks.
		c.m = nil
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
	if c.m, err = mapShm(path + "-shm"); err != nil {
		return fail(err)
	}
	if v := binary.NativeEndian.Uint32(c.m.mem[offVersion:]); v != walIndexVersion ||
		c.m.mem[offIsInit] != 1 {
		return fail(fmt.Errorf("wal-index header version %d, initialised %d", v,
			c.m.mem[offIsInit]))
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
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&c.m.mem[offChange])))
}

// close lets the connection go, then releases the mapping.
func (c *commitCounter) close() error {
	var errs []error
	if c.hold != nil {
		errs = append(errs, c.hold.Close())
	}
	errs = append(errs, c.db.Close())
	if c.m != nil {
		errs = append(errs, unmapShm(c.m))
		c.m = nil
	}
	return errors.Join(errs...)
}

// shmMappings returns how many files are mapped, for tests.
func shmMappings() int {
	shmMu.Lock()
	defer shmMu.Unlock()
	return len(shmMaps)
}

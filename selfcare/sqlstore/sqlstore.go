// Package sqlstore keeps everything the portal stores in an SQLite file. It
// implements [selfcare.Store] (and so [acl.Store]) through database/sql and
// the pure-Go driver modernc.org/sqlite, so the portal needs no C compiler.
//
// Every connection runs in WAL mode with synchronous=FULL, so that a write
// the store has acknowledged survives a crash of the process and a loss of
// power, with foreign keys on and a busy timeout, so that several processes
// can share one file. Writes go through one connection and begin with
// BEGIN IMMEDIATE, so that a transaction never has to upgrade a read lock
// (the cause of SQLITE_BUSY deadlocks); reads go through a small pool of
// read-only connections and never wait for a writer.
//
// The schema is created and upgraded by migrations embedded in the binary,
// applied in order, each in its own transaction. [Open] refuses a file whose
// schema is newer than this code, rather than misread it.
//
// Times are stored as integer microseconds since the Unix epoch and come
// back in UTC; anything finer than a microsecond is dropped.
//
// One generation counter, advanced in the same transaction as every change
// to access control, parameter values or the cluster's servers, is what
// [Store.Generation] returns: the caches of every process sharing the file
// reload when it moves.
//
// BUG(postgres): Only SQLite is implemented. PostgreSQL, which a site with
// several portal processes on several machines needs, is not.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	// The driver registers itself as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

// Defaults for the zero fields of [Config].
const (
	DefaultMaxOpenConns = 4
	DefaultBusyTimeout  = 10 * time.Second
)

// Errors returned by [Open].
var (
	// ErrSchemaTooNew means the file was migrated by a newer version of
	// the portal; this version does not know its tables.
	ErrSchemaTooNew = errors.New("sqlstore: database schema is newer than this program")
	// ErrPath means the path cannot name a database file.
	ErrPath = errors.New("sqlstore: path must name a database file")
)

// Config tunes a [Store]. The zero value is ready to use.
type Config struct {
	// Logger receives lifecycle and migration messages; nil discards them.
	Logger *slog.Logger
	// MaxOpenConns caps the read connections; 0 means DefaultMaxOpenConns.
	// Writes always use one connection of their own, since SQLite lets
	// one writer in at a time anyway.
	MaxOpenConns int
	// BusyTimeout is how long a statement waits for a lock that another
	// process holds before failing; 0 means DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Store is a [selfcare.Store] backed by one SQLite file. It is safe for
// concurrent use, also by several processes sharing the file.
type Store struct {
	w   *sql.DB // one connection; transactions BEGIN IMMEDIATE
	r   *sql.DB // read-only connections
	log *slog.Logger
	// reads are the statements every authenticated request runs,
	// prepared on r (see prepareReads).
	reads readStmts
	// cache keeps the answers of the hottest reads until the next commit
	// (readcache.go); nil where the commit counter cannot be read.
	cache *readCache
}

var (
	_ selfcare.Store = (*Store)(nil)
	_ acl.Store      = (*Store)(nil)
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Open opens the database file at path, creating it if needed, and brings
// its schema up to date. It returns [ErrSchemaTooNew] for a file written by
// a newer program. The caller must Close the store.
func Open(ctx context.Context, path string, cfg Config) (*Store, error) {
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") ||
		strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open %q: %w", path, ErrPath)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conns := cfg.MaxOpenConns
	if conns <= 0 {
		conns = DefaultMaxOpenConns
	}
	busy := cfg.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}

	// The database holds password hashes: a new file is for its owner only,
	// whatever the umask. SQLite gives its -wal and -shm files the same mode.
	// An existing file is not opened here: closing a descriptor of it would
	// drop the record locks of every SQLite connection of this process to
	// it (another store on the same file, in tests).
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("sqlstore: open %q: %w", path, err)
	}

	// The writer must come first: it switches a new file to WAL mode and
	// creates the schema, which the read-only connections cannot.
	w, err := sql.Open("sqlite", dsn(path, busy, true))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	s := &Store{w: w, log: log}

	applied, version, err := s.migrate(ctx)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open %q: %w", path, err)
	}

	r, err := sql.Open("sqlite", dsn(path, busy, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open %q: %w", path, err)
	}
	r.SetMaxOpenConns(conns)
	r.SetMaxIdleConns(conns)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlstore: open %q: %w", path, err)
	}
	s.r = r
	if err := s.prepareReads(ctx); err != nil {
		s.closeReads()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlstore: open %q: %w", path, err)
	}

	if cc, err := openCommitCounter(ctx, path, busy, w); err != nil {
		log.Info("sqlstore: reads are not cached", "path", path, "why", err.Error())
	} else {
		s.cache = newReadCache(cc)
	}

	log.Info("sqlstore: database open", "path", path, "schema", version,
		"migrations_applied", applied, "read_cache", s.cache != nil)
	return s, nil
}

// dsn returns the data source name for path: the pragmas every connection
// needs, applied by the driver whenever it opens a connection.
func dsn(path string, busy time.Duration, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

// Close closes the database. Statements still running fail.
func (s *Store) Close() error {
	var errR error
	if s.r != nil {
		errR = errors.Join(s.closeReads(), s.r.Close())
	}
	errR = errors.Join(errR, s.w.Close())
	if s.cache != nil {
		// Last: it may close a descriptor of the -shm file, which must
		// not happen while this store's connections hold locks on it.
		errR = errors.Join(errR, s.cache.commits.close())
	}
	return errR
}

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations, lowest version first. Their
// names start with the version number: 0001_init.sql.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a version", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version",
				out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies the migrations the file lacks and returns how many it
// applied and the schema version reached.
func (s *Store) migrate(ctx context.Context) (applied, version int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, 0, err
	}
	known := ms[len(ms)-1].version

	_, err = s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`)
	if err != nil {
		return 0, 0, fmt.Errorf("create schema_migrations: %w", err)
	}

	// Each migration reads the version again inside its own transaction:
	// another process may be migrating the same file right now.
	for _, m := range ms {
		done, cur, err := s.apply(ctx, m, known)
		if err != nil {
			return applied, cur, err
		}
		if done {
			applied++
			s.log.Debug("sqlstore: migration applied", "name", m.name)
		}
		version = max(cur, m.version)
	}
	return applied, version, nil
}

// apply runs one migration unless the file already has it. It reports
// whether it ran and the version the file had before.
func (s *Store) apply(ctx context.Context, m migration, known int) (bool, int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, 0, err
	}
	defer tx.Rollback()

	var cur int
	err = tx.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur)
	if err != nil {
		return false, 0, fmt.Errorf("read schema version: %w", err)
	}
	if cur > known {
		return false, cur, fmt.Errorf("%w: file has version %d, this program knows up to %d",
			ErrSchemaTooNew, cur, known)
	}
	if cur >= m.version {
		return false, cur, nil
	}

	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, cur, fmt.Errorf("migration %s: %w", m.name, err)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixMicro())
	if err != nil {
		return false, cur, fmt.Errorf("migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, cur, fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return true, cur, nil
}

// write runs fn in one write transaction and commits it. Errors, from fn
// or from SQLite, come back prefixed with op.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()

	if err := fn(tx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

// readAll runs a query on db and reads every row with scan, in order; no
// row is a nil slice. Its errors are bare, so that the caller names what
// it was reading once, whether the query, a row or the iteration failed.
func readAll[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error),
	query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// createPrivate creates an empty file at path, mode 0600, unless one is
// there already.
func createPrivate(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// checkVersion checks, inside tx, that the row query selects the version
// of is stored at version: no row is [selfcare.ErrNotFound], another
// version [selfcare.ErrVersionConflict]. It is for rows that must exist
// before a change; a setting whose missing row means version 0 checks its
// own.
func checkVersion(ctx context.Context, tx *sql.Tx, version int64, query string,
	args ...any) error {
	var stored int64
	err := tx.QueryRowContext(ctx, query, args...).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return selfcare.ErrNotFound
	case err != nil:
		return err
	case stored != version:
		return fmt.Errorf("version %d, stored %d: %w", version, stored,
			selfcare.ErrVersionConflict)
	}
	return nil
}

// micros encodes a time for the database.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros decodes a time from the database.
func fromMicros(us int64) time.Time {
	if us == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// zeroMicros is the encoding of the zero time, which stands for "never".
var zeroMicros = time.Time{}.UnixMicro()

package sqlstore_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/ucselfcare/portal/acl"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
	"github.com/ucselfcare/portal/selfcare/storetest"
)

// open opens a store on path and closes it when the test ends.
func open(t testing.TB, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), path, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) selfcare.Store {
		return open(t, filepath.Join(t.TempDir(), "portal.db"))
	})
}

func TestTwoStoresOnOneFileSeeEachOther(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := open(t, path), open(t, path)

	gen := func(s *sqlstore.Store) uint64 {
		t.Helper()
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}

	// An acl change in one is visible, generation and all, in the other.
	g0 := gen(b)
	if err := a.PutRole(ctx, acl.Role{ID: "r1", Name: "Role"}); err != nil {
		t.Fatal(err)
	}
	if g := gen(b); g == g0 {
		t.Errorf("generation seen by b stayed %d after a changed a role", g)
	}
	if _, err := b.Role(ctx, "r1"); err != nil {
		t.Errorf("b does not see a's role: %v", err)
	}
	if err := b.PutGroup(ctx, acl.Group{ID: "g1", RoleIDs: []string{"r1"}}); err != nil {
		t.Fatal(err)
	}
	g1 := gen(a)
	if err := b.AddMember(ctx, "g1", "alice"); err != nil {
		t.Fatal(err)
	}
	if g := gen(a); g == g1 {
		t.Errorf("generation seen by a stayed %d after b added a member", g)
	}
	gs, err := a.UserGroups(ctx, "alice")
	if err != nil || len(gs) != 1 {
		t.Errorf("a sees groups %v, %v; want g1", gs, err)
	}

	// Writers in both contend for the file: every failure must count.
	const each = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for i := range 2 * each {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			_, err := s.AddFailure(ctx, "user:alice", time.Now(), time.Hour)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := b.Failures(ctx, "user:alice")
	if err != nil || f.Count != 2*each {
		t.Errorf("Failures = %+v, %v; want Count %d", f, err, 2*each)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	s, err := sqlstore.Open(ctx, path, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, selfcare.User{ID: "alice", Rank: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	u, err := s.User(ctx, "alice")
	if err != nil || u.Rank != 2 {
		t.Errorf("User after reopen = %+v, %v", u, err)
	}
	// One row per embedded migration, however many opens.
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	if n := count(t, path, `SELECT COUNT(*) FROM schema_migrations`); n != len(files) {
		t.Errorf("schema_migrations has %d rows after two opens, want %d", n, len(files))
	}
}

// count runs a COUNT query on the file at path through a connection of its
// own, as another program would.
func count(t testing.TB, path, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	s, err := sqlstore.Open(ctx, path, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A later program added migration 9999.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at)
		VALUES (9999, '9999_future.sql', 0)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = sqlstore.Open(ctx, path, sqlstore.Config{})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a schema from the future")
	}
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Errorf("Open error = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "9999") {
		t.Errorf("Open error %q does not name the file's version", err)
	}
}

func TestOpenRejectsPathsThatAreNotFiles(t *testing.T) {
	for _, p := range []string{"", ":memory:", "portal.db?mode=ro", "file:portal.db", "a#b"} {
		t.Run(p, func(t *testing.T) {
			s, err := sqlstore.Open(t.Context(), p, sqlstore.Config{})
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, sqlstore.ErrPath) {
				t.Errorf("Open(%q) error = %v, want ErrPath", p, err)
			}
		})
	}
}

// crashEnv names the database that TestCrashChild writes to until killed.
const crashEnv = "SQLSTORE_CRASH_DB"

// crashRoles is how many roles the child would write if nobody killed it.
const crashRoles = 100_000

// TestCrashChild writes roles and audit events to the file named in the
// environment, printing "acknowledged k" once write k has returned. Without
// the environment it does nothing: TestAcknowledgedWritesSurviveKill runs it
// in a child process and kills it.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestAcknowledgedWritesSurviveKill")
	}
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, path, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for k := range crashRoles {
		// Even writes are transactions of several statements, odd ones a
		// single INSERT; both must be durable once acknowledged.
		if k%2 == 0 {
			err = s.PutRole(ctx, crashRole(k))
		} else {
			err = s.AppendAudit(ctx, selfcare.AuditEvent{Action: "crash", Detail: fmt.Sprint(k)})
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(os.Stdout, "acknowledged %d\n", k)
	}
}

// crashRole is the role the crash child writes as write k.
func crashRole(k int) acl.Role {
	return acl.Role{ID: fmt.Sprintf("r%06d", k), Name: "crash", Privileges: []acl.Privilege{
		{Resource: "selfcare", Access: acl.Update}, {Resource: "phones", Access: acl.Read},
	}}
}

func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a child process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// Kill the child in the middle of its writes, then drain what it said
	// before it died: every line read is a write it was told had succeeded.
	const killAfter = 300
	acked := -1
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var k int
		if _, err := fmt.Sscanf(sc.Text(), "acknowledged %d", &k); err != nil {
			continue // test framework chatter
		}
		acked = k
		if k == killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if acked < killAfter {
		t.Fatalf("child stopped after %d acknowledged writes: %v", acked, err)
	}
	if acked >= crashRoles-1 {
		t.Fatal("child finished before it was killed")
	}
	t.Logf("child killed after %d acknowledged writes (%v)", acked+1, err)

	s := open(t, path)
	for k := 0; k <= acked; k += 2 {
		r, err := s.Role(t.Context(), crashRole(k).ID)
		if err != nil {
			t.Fatalf("acknowledged write %d lost: %v", k, err)
		}
		if d := cmp.Diff(crashRole(k), r); d != "" {
			t.Fatalf("acknowledged write %d damaged (-want +got):\n%s", k, d)
		}
	}
	events, err := s.Audit(t.Context(), selfcare.AuditFilter{Action: "crash", Limit: crashRoles})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		seen[e.Detail] = true
	}
	for k := 1; k <= acked; k += 2 {
		if !seen[fmt.Sprint(k)] {
			t.Fatalf("acknowledged write %d lost", k)
		}
	}

	// The write in flight when the child died either happened whole or
	// not at all; a role is never left without its privileges.
	roles, err := s.Roles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if len(r.Privileges) != 2 {
			t.Errorf("role %s has %d privileges, want 2", r.ID, len(r.Privileges))
		}
	}
}

//go:build unix

package sqlstore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// TestOneShmMappingPerFile opens one database through two paths, a
// folder and a link to it: the stores must share one mapping (one
// descriptor), which lives until the last of them closes.
func TestOneShmMappingPerFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	before := sqlstore.ShmMappings()
	openAt := func(path string) *sqlstore.Store {
		t.Helper()
		s, err := sqlstore.Open(ctx, path, sqlstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := openAt(filepath.Join(dir, "portal.db"))
	b := openAt(filepath.Join(link, "portal.db"))
	if got := sqlstore.ShmMappings() - before; got != 1 {
		t.Fatalf("%d mappings for one file through two paths, want 1", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := sqlstore.ShmMappings() - before; got != 1 {
		t.Fatalf("%d mappings after one of two stores closed, want 1", got)
	}
	// a still reads through its cache and sees its own writes.
	if err := a.CreateUser(ctx, selfcare.User{ID: "ann", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.User(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := sqlstore.ShmMappings() - before; got != 0 {
		t.Fatalf("%d mappings after both stores closed, want 0", got)
	}
}

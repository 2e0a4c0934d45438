package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/storetest"
)

// mutantEnv names the broken store that TestMutantChild runs the suite
// against, in a child process.
const mutantEnv = "STORETEST_MUTANT"

// mutants are stores with one deliberate bug each, and the subtest of the
// suite that must catch it. "none" is the control: it must pass.
var mutants = map[string]struct {
	open   func() selfcare.Store
	caught string
}{
	"none": {func() selfcare.Store { return memstore.New() }, ""},
	"unsorted user groups": {
		func() selfcare.Store { return unsortedUserGroups{memstore.New()} },
		"ACL/UserGroupsAreOrderedByID",
	},
	"membership leaves generation": {
		func() selfcare.Store { return &blindGeneration{Store: memstore.New()} },
		"Generation/ChangesOnEveryChangeOnly",
	},
	"password change ends kept session": {
		func() selfcare.Store { return keepNoSession{memstore.New()} },
		"Users/SetPasswordEndsOtherSessionsOnly",
	},
	"audit without default limit": {
		func() selfcare.Store { return unlimitedAudit{memstore.New()} },
		"Audit/LimitDefaultsTo100",
	},
	"role privileges aliased": {
		func() selfcare.Store { return &cachedRoles{Store: memstore.New()} },
		"Aliasing/RolesAreCopied",
	},
	"failures lost under concurrency": {
		func() selfcare.Store { return &racyFailures{Store: memstore.New()} },
		"Failures/ConcurrentAddFailureCountsEach",
	},
	"expiry ignores creation time": {
		func() selfcare.Store { return idleOnlyExpiry{memstore.New()} },
		"Sessions/DeleteExpiredSessionsAppliesBothRules",
	},
	"stale parameter plan stored": {
		func() selfcare.Store { return staleParams{memstore.New()} },
		"Params/StaleGenerationIsRefused",
	},
}

// staleParams stores a plan whatever generation it was made at.
type staleParams struct{ *memstore.Store }

func (s staleParams) UpdateParams(ctx context.Context, _ uint64, cs []params.Change) error {
	gen, err := s.Generation(ctx)
	if err != nil {
		return err
	}
	return s.Store.UpdateParams(ctx, gen, cs)
}

// TestMutantChild runs the suite against the mutant named in the
// environment; without it, it does nothing. TestSuiteCatchesBrokenStores
// starts it in child processes, so that the failures it provokes do not
// fail this package.
func TestMutantChild(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenStores")
	}
	m, ok := mutants[name]
	if !ok {
		t.Fatalf("unknown mutant %q", name)
	}
	storetest.Run(t, func(t *testing.T) selfcare.Store { return m.open() })
}

func TestSuiteCatchesBrokenStores(t *testing.T) {
	if testing.Short() {
		t.Skip("starts one child process per mutant")
	}
	for name, m := range mutants {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0],
				"-test.run=^TestMutantChild$", "-test.count=1", "-test.timeout=90s")
			cmd.Env = append(os.Environ(), mutantEnv+"="+name)
			out, err := cmd.CombinedOutput()

			if m.caught == "" {
				if err != nil {
					t.Fatalf("suite fails the control store: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("suite passed a store with the bug %q", name)
			}
			if want := "--- FAIL: TestMutantChild/" + m.caught + " "; !strings.Contains(
				string(out), want) {
				t.Errorf("child output lacks %q:\n%s", want, out)
			}
		})
	}
}

// unsortedUserGroups returns a user's groups in reverse order.
type unsortedUserGroups struct{ *memstore.Store }

func (s unsortedUserGroups) UserGroups(ctx context.Context, u string) ([]acl.Group, error) {
	gs, err := s.Store.UserGroups(ctx, u)
	slices.Reverse(gs)
	return gs, err
}

// blindGeneration counts only role and group changes, not memberships.
type blindGeneration struct {
	*memstore.Store
	mu  sync.Mutex
	gen uint64
}

func (s *blindGeneration) bump(err error) error {
	if err == nil {
		s.mu.Lock()
		s.gen++
		s.mu.Unlock()
	}
	return err
}

func (s *blindGeneration) PutRole(ctx context.Context, r acl.Role) error {
	return s.bump(s.Store.PutRole(ctx, r))
}

func (s *blindGeneration) DeleteRole(ctx context.Context, id string) error {
	return s.bump(s.Store.DeleteRole(ctx, id))
}

func (s *blindGeneration) PutGroup(ctx context.Context, g acl.Group) error {
	return s.bump(s.Store.PutGroup(ctx, g))
}

func (s *blindGeneration) DeleteGroup(ctx context.Context, id string) error {
	return s.bump(s.Store.DeleteGroup(ctx, id))
}

func (s *blindGeneration) Generation(context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen, nil
}

// keepNoSession ends every session on a password change.
type keepNoSession struct{ *memstore.Store }

func (s keepNoSession) SetPassword(ctx context.Context, u, h string, at time.Time,
	keep int, must bool, _ []byte) error {
	return s.Store.SetPassword(ctx, u, h, at, keep, must, nil)
}

// unlimitedAudit treats a zero limit as no limit.
type unlimitedAudit struct{ *memstore.Store }

func (s unlimitedAudit) Audit(ctx context.Context, f selfcare.AuditFilter) (
	[]selfcare.AuditEvent, error) {
	if f.Limit == 0 {
		f.Limit = 1 << 30
	}
	return s.Store.Audit(ctx, f)
}

// cachedRoles hands out the same role value, slice and all, on every call.
type cachedRoles struct {
	*memstore.Store
	mu    sync.Mutex
	cache map[string]acl.Role
}

func (s *cachedRoles) Role(ctx context.Context, id string) (acl.Role, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.cache[id]; ok {
		return r, nil
	}
	r, err := s.Store.Role(ctx, id)
	if err == nil {
		if s.cache == nil {
			s.cache = make(map[string]acl.Role)
		}
		s.cache[id] = r
	}
	return r, err
}

// racyFailures reads and writes a counter in two steps, losing updates.
type racyFailures struct {
	*memstore.Store
	mu sync.Mutex
	m  map[string]selfcare.Failures
}

func (s *racyFailures) AddFailure(_ context.Context, key string, now time.Time,
	window time.Duration) (selfcare.Failures, error) {
	s.mu.Lock()
	f := s.m[key]
	s.mu.Unlock()

	time.Sleep(time.Millisecond) // let the other goroutines read the same count
	if f.Count == 0 || now.Sub(f.First) > window {
		f = selfcare.Failures{First: now}
	}
	f.Count++
	f.Last = now

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]selfcare.Failures)
	}
	s.m[key] = f
	return f, nil
}

func (s *racyFailures) Failures(_ context.Context, key string) (selfcare.Failures, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

// idleOnlyExpiry forgets the absolute timeout.
type idleOnlyExpiry struct{ *memstore.Store }

func (s idleOnlyExpiry) DeleteExpiredSessions(ctx context.Context, idle, _ time.Time) (
	int, error) {
	return s.Store.DeleteExpiredSessions(ctx, idle, time.Time{})
}

package storetest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/storetest"
)

// onboardingMutantEnv names the broken store that
// TestOnboardingMutantChild runs the suite against.
const onboardingMutantEnv = "STORETEST_ONBOARDING_MUTANT"

// onboardingMutants are stores whose device activation has one bug each,
// and the subtest that must catch it.
var onboardingMutants = map[string]struct {
	wrap   func(selfcare.OnboardingStore) selfcare.OnboardingStore
	caught string
}{
	"spend checks then acts": {
		func(o selfcare.OnboardingStore) selfcare.OnboardingStore { return racySpend{o} },
		"Onboarding/ConcurrentSpendCodeSucceedsOnce",
	},
	"batch keeps a failed batch": {
		func(o selfcare.OnboardingStore) selfcare.OnboardingStore { return leakyBatch{o} },
		"Onboarding/BatchCommitsOrRollsBack",
	},
}

// mutantStore is a memstore whose Onboarding is wrapped.
type mutantStore struct {
	*memstore.Store
	wrap func(selfcare.OnboardingStore) selfcare.OnboardingStore
}

func (s mutantStore) Onboarding() selfcare.OnboardingStore {
	return s.wrap(s.Store.Onboarding())
}

// racySpend reads the code, and reports success whenever it was
// outstanding then, whoever spent it meanwhile.
type racySpend struct{ selfcare.OnboardingStore }

func (r racySpend) SpendCode(ctx context.Context, a onboarding.Activation) error {
	c, err := r.Code(ctx, a.Device)
	if err != nil || c.State != onboarding.StateOutstanding {
		return onboarding.ErrNotFound
	}
	runtime.Gosched()
	time.Sleep(time.Millisecond)
	err = r.OnboardingStore.SpendCode(ctx, a)
	if errors.Is(err, onboarding.ErrNotFound) {
		return nil
	}
	return err
}

// leakyBatch runs a batch straight on the store, so a failed one stays.
type leakyBatch struct{ selfcare.OnboardingStore }

func (l leakyBatch) Batch(_ context.Context, fn func(onboarding.Store) error) error {
	return fn(l.OnboardingStore)
}

func TestOnboardingMutantChild(t *testing.T) {
	name := os.Getenv(onboardingMutantEnv)
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenOnboarding")
	}
	m, ok := onboardingMutants[name]
	if !ok {
		t.Fatalf("unknown mutant %q", name)
	}
	storetest.Run(t, func(t *testing.T) selfcare.Store {
		return mutantStore{memstore.New(), m.wrap}
	})
}

func TestSuiteCatchesBrokenOnboarding(t *testing.T) {
	if testing.Short() {
		t.Skip("starts one child process per mutant")
	}
	for name, m := range onboardingMutants {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0],
				"-test.run=^TestOnboardingMutantChild$", "-test.count=1",
				"-test.timeout=90s")
			cmd.Env = append(os.Environ(), onboardingMutantEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("suite passed a store with the bug %q", name)
			}
			want := "--- FAIL: TestOnboardingMutantChild/" + m.caught + " "
			if !strings.Contains(string(out), want) {
				t.Errorf("child output lacks %q:\n%s", want, out)
			}
		})
	}
}

package onboarding_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/onboarding"
)

// phone is what a phone sends, apart from the code.
type phone struct{ mac, model string }

func TestRedeemMACBinding(t *testing.T) {
	tests := []struct {
		name  string
		phone phone
		ok    bool
	}{
		{"the bound MAC and model activate", phone{macAlice, model8845}, true},
		{"the MAC in another form activates", phone{"00:1b:54:aa:bb:cc", model8845}, true},
		{"the model in another case activates", phone{macAlice, "CISCO 8845"}, true},
		{"another MAC is refused", phone{macBob, model8845}, false},
		{"the bound MAC with another model is refused", phone{macAlice, "Cisco 7841"},
			false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, onboarding.Config{})
			d := f.provision(t, "alice", model8845, macAlice)
			rc := f.issue(t, d.Name)

			got, err := f.redeem(tt.phone.mac, tt.phone.model, rc.Code.Grouped(), "a")
			if !tt.ok {
				if !errors.Is(err, onboarding.ErrRedeemFailed) {
					t.Fatalf("Redeem: err = %v, want ErrRedeemFailed", err)
				}
				if s := f.state(t, d.Name); s != onboarding.StateOutstanding {
					t.Errorf("after a refusal the code is %s", s)
				}
				return
			}
			if err != nil {
				t.Fatalf("Redeem: %v (%s)", err, f.audit.lastRedeemFailure(t))
			}
			want := d
			want.RequiresActivation, want.Activated, want.ActivatedAt = false, true,
				f.clock.Now()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("activated device (-want +got):\n%s", diff)
			}
			if s := f.state(t, d.Name); s != onboarding.StateUsed {
				t.Errorf("code state %s, want used", s)
			}
		})
	}
}

func TestRedeemModelBinding(t *testing.T) {
	const newMAC = "0050569A0B0C"
	tests := []struct {
		name  string
		phone phone
		// taken provisions another phone with the redeeming MAC first.
		taken bool
		ok    bool
	}{
		{"any phone of the model activates", phone{newMAC, model8845}, false, true},
		{"the model in another case activates", phone{newMAC, "cisco 8845"}, false, true},
		{"another model is refused", phone{newMAC, "Cisco 8851"}, false, false},
		{"a MAC already provisioned to another phone is refused", phone{newMAC, model8845},
			true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, onboarding.Config{})
			d := f.provision(t, "alice", model8845, "")
			rc := f.issue(t, d.Name)
			if tt.taken {
				f.provision(t, "bob", model8845, newMAC)
			}

			got, err := f.redeem(tt.phone.mac, tt.phone.model, rc.Code.Reveal(), "a")
			if !tt.ok {
				if !errors.Is(err, onboarding.ErrRedeemFailed) {
					t.Fatalf("Redeem: err = %v, want ErrRedeemFailed", err)
				}
				if s := f.state(t, d.Name); s != onboarding.StateOutstanding {
					t.Errorf("after a refusal the code is %s", s)
				}
				return
			}
			if err != nil {
				t.Fatalf("Redeem: %v (%s)", err, f.audit.lastRedeemFailure(t))
			}
			want := onboarding.Device{Name: "SEP" + newMAC, Model: model8845, Owner: "alice",
				MAC: newMAC, Activated: true, ActivatedAt: f.clock.Now(),
				ProvisionedAt: d.ProvisionedAt}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("activated device (-want +got):\n%s", diff)
			}
			if _, err := f.reg.Device(context.Background(), d.Name); !errors.Is(err,
				onboarding.ErrNotFound) {
				t.Errorf("the dummy name %s still exists: %v", d.Name, err)
			}
			if s := f.state(t, want.Name); s != onboarding.StateUsed {
				t.Errorf("code of %s is %s, want used", want.Name, s)
			}
			es := f.audit.take()
			last := es[len(es)-1]
			if last.Action != onboarding.ActionRedeem || last.Device != want.Name ||
				!strings.Contains(last.Detail, "renamed from "+d.Name) {
				t.Errorf("last event %+v", last)
			}
		})
	}
}

func TestRedeemOnlyOnce(t *testing.T) {
	causes := map[string]string{
		macAlice: "no outstanding code for the MAC, and no code of the model matches",
		"":       "code used",
	}
	for mac, cause := range causes {
		t.Run(fmt.Sprintf("provisioned with MAC %q, a second redemption fails", mac),
			func(t *testing.T) {
				f := newFixture(t, onboarding.Config{})
				d := f.provision(t, "alice", model8845, mac)
				rc := f.issue(t, d.Name)
				if _, err := f.redeem(macAlice, model8845, rc.Code.Reveal(), "a"); err != nil {
					t.Fatalf("first Redeem: %v", err)
				}
				_, err := f.redeem(macAlice, model8845, rc.Code.Reveal(), "a")
				if !errors.Is(err, onboarding.ErrRedeemFailed) {
					t.Errorf("second Redeem: err = %v, want ErrRedeemFailed", err)
				}
				if got := f.audit.lastRedeemFailure(t); got != cause {
					t.Errorf("cause %q, want %q", got, cause)
				}
			})
	}
}

func TestRedeemExpiry(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		ok    bool
	}{
		{"right after issue it activates", 0, true},
		{"a nanosecond before expiry it activates", onboarding.DefaultTTL - 1, true},
		{"at expiry it is refused", onboarding.DefaultTTL, false},
		{"a week later it is refused", 2 * onboarding.DefaultTTL, false},
	}
	for _, tt := range tests {
		for _, mac := range []string{macAlice, ""} {
			t.Run(fmt.Sprintf("%s (MAC %q)", tt.name, mac), func(t *testing.T) {
				f := newFixture(t, onboarding.Config{})
				d := f.provision(t, "alice", model8845, mac)
				rc := f.issue(t, d.Name)
				f.clock.Advance(tt.after)
				_, err := f.redeem(macAlice, model8845, rc.Code.Reveal(), "a")
				if tt.ok != (err == nil) {
					t.Fatalf("Redeem: err = %v, want success %v", err, tt.ok)
				}
				if !tt.ok {
					if got := f.audit.lastRedeemFailure(t); !strings.Contains(got, "expired") {
						t.Errorf("cause %q, want expiry", got)
					}
					if s := f.state(t, d.Name); s != onboarding.StateExpired {
						t.Errorf("state %s, want expired", s)
					}
				}
			})
		}
	}
}

func TestRedeemAttemptLimit(t *testing.T) {
	tests := []struct {
		name     string
		max      int
		failures int
		ok       bool
	}{
		{"after 4 failures the right code still activates", 0, 4, true},
		{"after 5 failures the code is released", 0, 5, false},
		{"a limit of 2 releases after 2", 2, 2, false},
		{"a limit of 2 allows 1", 2, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, onboarding.Config{MaxFailures: tt.max})
			d := f.provision(t, "alice", model8845, macAlice)
			rc := f.issue(t, d.Name)
			for i := range tt.failures {
				if _, err := f.redeem(macAlice, model8845, wrongCode(rc.Code), "a"); err == nil {
					t.Fatalf("wrong code %d activated", i)
				}
			}
			_, err := f.redeem(macAlice, model8845, rc.Code.Reveal(), "a")
			if tt.ok != (err == nil) {
				t.Fatalf("Redeem with the right code: err = %v, want success %v", err, tt.ok)
			}
			if tt.ok {
				return
			}
			if s := f.state(t, d.Name); s != onboarding.StateReleased {
				t.Errorf("state %s, want released", s)
			}
			if n := f.audit.count(onboarding.ActionRelease, onboarding.OutcomeOK); n != 1 {
				t.Errorf("%d release events, want 1", n)
			}
			if st := f.reg.Stats(); st.Released != 1 {
				t.Errorf("Stats().Released = %d", st.Released)
			}

			// Replacing gives a code with a fresh allowance.
			next, err := f.reg.Replace(context.Background(), "admin", d.Name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.redeem(macAlice, model8845, wrongCode(next.Code), "a"); err == nil {
				t.Fatal("a wrong code activated")
			}
			if _, err := f.redeem(macAlice, model8845, next.Code.Reveal(), "a"); err != nil {
				t.Errorf("the replacement code: %v", err)
			}
		})
	}
}

// gateStore holds every SpendCode and ReleaseCode until AddAttempt has been
// called n times: the worst interleaving of n concurrent redemptions, in
// which every attempt is counted before any of them changes the code.
type gateStore struct {
	*memStore
	n     int32
	calls atomic.Int32
	open  chan struct{}
}

func newGateStore(m *memStore, n int) *gateStore {
	return &gateStore{memStore: m, n: int32(n), open: make(chan struct{})}
}

func (s *gateStore) AddAttempt(ctx context.Context, device string) (onboarding.Code, error) {
	c, err := s.memStore.AddAttempt(ctx, device)
	if s.calls.Add(1) == s.n {
		close(s.open)
	}
	return c, err
}

func (s *gateStore) wait() error {
	select {
	case <-s.open:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("gate: not every attempt arrived")
	}
}

func (s *gateStore) SpendCode(ctx context.Context, a onboarding.Activation) error {
	if err := s.wait(); err != nil {
		return err
	}
	return s.memStore.SpendCode(ctx, a)
}

func (s *gateStore) ReleaseCode(ctx context.Context, device string, v []byte,
	at time.Time) error {
	if err := s.wait(); err != nil {
		return err
	}
	return s.memStore.ReleaseCode(ctx, device, v, at)
}

// gated returns f's registry rebuilt on a gateStore for n attempts.
func (f *fixture) gated(n int, cfg onboarding.Config) *onboarding.Registry {
	cfg.Now, cfg.Auditor = f.clock.Now, f.audit
	return onboarding.New(newGateStore(f.store, n), f.sealer, cfg)
}

// Concurrent guesses at one code are each counted before they are checked,
// so that no more than MaxFailures of them are ever checked.
func TestRedeemAttemptLimitUnderConcurrency(t *testing.T) {
	const n = 100
	f := newFixture(t, onboarding.Config{})
	d := f.provision(t, "alice", model8845, macAlice)
	rc := f.issue(t, d.Name)
	reg := f.gated(n, onboarding.Config{SourceLimit: onboarding.NoLimit})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { reg.Redeem(context.Background(), try(macAlice, wrongCode(rc.Code))) })
	}
	wg.Wait()
	checked := 0
	for _, e := range f.audit.take() {
		if strings.HasPrefix(e.Detail, "wrong code") {
			checked++
		}
	}
	if checked != onboarding.DefaultMaxFailures {
		t.Errorf("%d guesses were checked, want %d", checked, onboarding.DefaultMaxFailures)
	}
	if s := f.state(t, d.Name); s != onboarding.StateReleased {
		t.Errorf("state %s, want released", s)
	}
}

func TestRedeemConcurrent(t *testing.T) {
	for _, mac := range []string{macAlice, ""} {
		t.Run(fmt.Sprintf("with MAC %q exactly one of 100 succeeds", mac), func(t *testing.T) {
			const n = 100
			f := newFixture(t, onboarding.Config{})
			d := f.provision(t, "alice", model8845, mac)
			rc := f.issue(t, d.Name)
			reg := f.gated(n, onboarding.Config{})

			var (
				wg    sync.WaitGroup
				start = make(chan struct{})
				errs  = make([]error, n)
			)
			for i := range n {
				wg.Go(func() {
					<-start
					// Distinct sources, so that only the code decides.
					a := try(macAlice, rc.Code.Reveal())
					a.Source = fmt.Sprintf("192.0.2.%d", i)
					_, errs[i] = reg.Redeem(context.Background(), a)
				})
			}
			close(start)
			wg.Wait()

			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, onboarding.ErrRedeemFailed):
					t.Errorf("unexpected error %v", err)
				}
			}
			if ok != 1 {
				t.Errorf("%d redemptions succeeded, want exactly 1", ok)
			}
			st := reg.Stats()
			if st.Activations != 1 || st.Attempts != n || st.Failures != n-1 {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

// Every cause of failure gives the phone the same error, and the audit
// trail the real cause.
func TestRedeemFailuresLookAlike(t *testing.T) {
	const otherMAC = "0050569A0B0C"
	tests := []struct {
		name    string
		cfg     onboarding.Config
		prepare func(t *testing.T, s failSetup)
		attempt func(s failSetup) onboarding.Attempt
		cause   string
	}{
		{
			name:    "a wrong code",
			attempt: wrongGuess,
			cause:   "wrong code",
		},
		{
			name:    "a malformed code",
			attempt: func(s failSetup) onboarding.Attempt { return try(macAlice, "1234") },
			cause:   "malformed code",
		},
		{
			name: "a malformed MAC",
			attempt: func(s failSetup) onboarding.Attempt {
				return try("not-a-mac", s.code.Code.Reveal())
			},
			cause: "malformed MAC",
		},
		{
			name: "a missing model",
			attempt: func(s failSetup) onboarding.Attempt {
				a := try(macAlice, s.code.Code.Reveal())
				a.Model = ""
				return a
			},
			cause: "malformed model",
		},
		{
			name: "a model that does not match",
			attempt: func(s failSetup) onboarding.Attempt {
				a := try(macAlice, s.code.Code.Reveal())
				a.Model = "Cisco 8851"
				return a
			},
			cause: "model does not match",
		},
		{
			name: "another phone's code",
			attempt: func(s failSetup) onboarding.Attempt {
				return try(otherMAC, s.code.Code.Reveal())
			},
			cause: "no outstanding code for the MAC, and no code of the model matches",
		},
		{
			name: "an expired code",
			prepare: func(t *testing.T, s failSetup) {
				s.f.clock.Advance(onboarding.DefaultTTL)
			},
			attempt: rightCode,
			cause:   "code expired",
		},
		{
			name: "an expired dummy code",
			prepare: func(t *testing.T, s failSetup) {
				s.f.clock.Advance(onboarding.DefaultTTL)
			},
			attempt: batCode,
			cause:   "code expired",
		},
		{
			name: "a used code",
			prepare: func(t *testing.T, s failSetup) {
				if _, err := s.f.reg.Redeem(context.Background(),
					try(macAlice, s.code.Code.Reveal())); err != nil {
					t.Fatal(err)
				}
			},
			attempt: rightCode,
			cause:   "no outstanding code for the MAC, and no code of the model matches",
		},
		{
			name: "a released code",
			prepare: func(t *testing.T, s failSetup) {
				err := s.f.reg.Release(context.Background(), "admin", s.code.Device)
				if err != nil {
					t.Fatal(err)
				}
			},
			attempt: rightCode,
			cause:   "no outstanding code for the MAC, and no code of the model matches",
		},
		{
			name: "a released dummy code",
			prepare: func(t *testing.T, s failSetup) {
				err := s.f.reg.Release(context.Background(), "admin", s.bat.Device)
				if err != nil {
					t.Fatal(err)
				}
			},
			attempt: batCode,
			cause:   "code released",
		},
		{
			name: "a dummy code redeemed with the MAC of a provisioned phone",
			prepare: func(t *testing.T, s failSetup) {
				s.f.provision(t, "bob", "Cisco 7841", otherMAC)
			},
			attempt: batCode,
			cause:   "device SEP" + otherMAC + " already exists",
		},
		{
			name: "a code past its attempt limit",
			cfg:  onboarding.Config{MaxFailures: 1},
			prepare: func(t *testing.T, s failSetup) {
				// Only the store's count says the limit is passed, as after
				// concurrent guesses.
				for range 2 {
					s.f.store.AddAttempt(context.Background(), s.code.Device)
				}
			},
			attempt: rightCode,
			cause:   "attempt limit reached",
		},
		{
			name: "a throttled source",
			cfg:  onboarding.Config{SourceLimit: 1},
			prepare: func(t *testing.T, s failSetup) {
				s.f.reg.Redeem(context.Background(), wrongGuess(s))
			},
			attempt: rightCode,
			cause:   "too many failures from the source",
		},
		{
			name: "the site-wide ceiling",
			cfg:  onboarding.Config{GlobalLimit: 1},
			prepare: func(t *testing.T, s failSetup) {
				a := try(macAlice, wrongCode(s.code.Code))
				a.Source = "203.0.113.9"
				s.f.reg.Redeem(context.Background(), a)
			},
			attempt: rightCode,
			cause:   "site-wide failure ceiling reached",
		},
		{
			name:    "a failing counter",
			cfg:     onboarding.Config{Counter: brokenCounter{}},
			attempt: rightCode,
			cause:   "internal error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name+" answers ErrRedeemFailed", func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			d := f.provision(t, "alice", model8845, macAlice)
			bat := f.provision(t, "alice", "Cisco 7841", "")
			s := failSetup{f: f, code: f.issue(t, d.Name), bat: f.issue(t, bat.Name)}
			if tt.prepare != nil {
				tt.prepare(t, s)
			}
			dev, err := f.reg.Redeem(context.Background(), tt.attempt(s))
			if err != onboarding.ErrRedeemFailed || dev != (onboarding.Device{}) {
				t.Fatalf("Redeem = %+v, %v; want exactly ErrRedeemFailed", dev, err)
			}
			if got := f.audit.lastRedeemFailure(t); got != tt.cause {
				t.Errorf("audited cause %q, want %q", got, tt.cause)
			}
		})
	}
}

// failSetup is what each case of TestRedeemFailuresLookAlike starts from.
type failSetup struct {
	f    *fixture
	code onboarding.ReadyCode // of SEP+macAlice, a Cisco 8845
	bat  onboarding.ReadyCode // of a dummy-named Cisco 7841
}

// rightCode tries the code of SEP+macAlice as that phone.
func rightCode(s failSetup) onboarding.Attempt { return try(macAlice, s.code.Code.Reveal()) }

// wrongGuess tries a wrong code as SEP+macAlice.
func wrongGuess(s failSetup) onboarding.Attempt { return try(macAlice, wrongCode(s.code.Code)) }

// batCode tries the dummy-named phone's code as a new 7841.
func batCode(s failSetup) onboarding.Attempt {
	a := try("0050569A0B0C", s.bat.Code.Reveal())
	a.Model = "Cisco 7841"
	return a
}

// try is an attempt at model8845 from one fixed source.
func try(mac, code string) onboarding.Attempt {
	return onboarding.Attempt{MAC: mac, Model: model8845, Code: onboarding.Plaintext(code),
		Source: "192.0.2.1"}
}

type brokenCounter struct{}

func (brokenCounter) AddFailure(context.Context, string, time.Time, time.Duration) (int,
	error) {
	return 0, errors.New("counter table is gone")
}

func (brokenCounter) UndoFailure(context.Context, string) error { return nil }

func TestRedeemSourceLimit(t *testing.T) {
	f := newFixture(t, onboarding.Config{})
	d := f.provision(t, "alice", model8845, macAlice)
	ds := f.provision(t, "alice", model8845, "")
	rc, dummy := f.issue(t, d.Name), f.issue(t, ds.Name)

	// Guesses at dummy-named phones name no device, so only the source and
	// site limits stop them.
	for i := range onboarding.DefaultSourceLimit {
		if _, err := f.redeem("0050569A0B0C", model8845, fmt.Sprintf("%016d", i),
			"198.51.100.1"); err == nil {
			t.Fatalf("guess %d activated", i)
		}
	}
	if _, err := f.redeem(macAlice, model8845, rc.Code.Reveal(), "198.51.100.1"); err == nil {
		t.Error("the throttled source activated a phone")
	}
	if st := f.reg.Stats(); st.Throttled != 1 {
		t.Errorf("Stats().Throttled = %d, want 1", st.Throttled)
	}
	if _, err := f.redeem(macAlice, model8845, rc.Code.Reveal(), "198.51.100.2"); err != nil {
		t.Errorf("another source: %v", err)
	}

	f.clock.Advance(onboarding.DefaultSourceWindow)
	if _, err := f.redeem("0050569A0B0C", model8845, dummy.Code.Reveal(),
		"198.51.100.1"); err != nil {
		t.Errorf("the source after its window: %v", err)
	}
}

// A success gives back what it counted, so that a site activating many
// phones from one address is not throttled by its own successes.
func TestRedeemSuccessesAreNotCounted(t *testing.T) {
	f := newFixture(t, onboarding.Config{SourceLimit: 3, GlobalLimit: 3})
	for i := range 10 {
		mac := fmt.Sprintf("001B54%06X", i+1)
		d := f.provision(t, "alice", model8845, mac)
		rc := f.issue(t, d.Name)
		if _, err := f.redeem(mac, model8845, rc.Code.Reveal(), "10.0.0.1"); err != nil {
			t.Fatalf("phone %d: %v (%s)", i, err, f.audit.lastRedeemFailure(t))
		}
	}
}

func TestStats(t *testing.T) {
	f := newFixture(t, onboarding.Config{SourceLimit: 3})
	d := f.provision(t, "alice", model8845, macAlice)
	rc := f.issue(t, d.Name)
	for range 4 {
		f.redeem(macAlice, model8845, wrongCode(rc.Code), "a") // 3 checked, 1 throttled
	}
	if _, err := f.redeem(macAlice, model8845, rc.Code.Reveal(), "b"); err != nil {
		t.Fatal(err)
	}
	want := onboarding.Stats{Attempts: 5, Failures: 4, Throttled: 1, Activations: 1, Issued: 1}
	if diff := cmp.Diff(want, f.reg.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

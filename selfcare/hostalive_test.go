package selfcare_test

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
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// fakeProber answers from a table of verdicts by host and records every
// host it was asked about; unknown hosts are invalid.
type fakeProber struct {
	verdicts map[string]selfcare.ProbeVerdict
	mu       sync.Mutex
	asked    []string
	clusters [][]string
}

var _ selfcare.HostProber = (*fakeProber)(nil)

func (f *fakeProber) ProbeHost(_ context.Context, host string,
	cluster []string) selfcare.ProbeVerdict {
	f.mu.Lock()
	f.asked = append(f.asked, host)
	f.clusters = append(f.clusters, cluster)
	f.mu.Unlock()
	if v, ok := f.verdicts[host]; ok {
		return v
	}
	return selfcare.ProbeVerdict{Reason: "invalid", Err: errors.New("fake: not a host")}
}

func (f *fakeProber) hosts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// Verdicts of the fake prober, as a reachability prober would give them.
var (
	verdictAlive = selfcare.ProbeVerdict{Alive: true, Target: "cucm-pub.example.com",
		Method: "icmp", Reason: "alive", Addrs: []string{"10.1.2.3", "10.1.2.4"},
		RTT: 1234567 * time.Nanosecond}
	verdictBlocked = selfcare.ProbeVerdict{Target: "169.254.169.254",
		Reason: "blocked by policy", Addrs: []string{"169.254.169.254"},
		Err: errors.New("reachability: blocked by target policy: link-local (cloud metadata)")}
	verdictTimeout = selfcare.ProbeVerdict{Target: "10.1.2.9", Reason: "timeout",
		Addrs: []string{"10.1.2.9"},
		Err:   errors.Join(errors.New("icmp: no echo reply"), errors.New("http: i/o timeout"))}
)

func newProbeFixture(tb testing.TB, cfg selfcare.Config) (*fixture, *fakeProber) {
	tb.Helper()
	fp := &fakeProber{verdicts: map[string]selfcare.ProbeVerdict{
		"cucm-pub.example.com": verdictAlive,
		"169.254.169.254":      verdictBlocked,
		"10.1.2.9":             verdictTimeout,
	}}
	if cfg.Prober == nil {
		cfg.Prober = fp
	}
	f := newFixture(tb, cfg)
	f.addAlice()
	return f, fp
}

func TestHostAliveAuditsEveryVerdict(t *testing.T) {
	f, fp := newProbeFixture(t, selfcare.Config{})
	_, p := f.login(testUser, testPassword)

	tests := []struct {
		name      string
		host      string
		wantAlive bool
		want      selfcare.AuditEvent
	}{
		{"alive host is true with method and addresses", "cucm-pub.example.com", true,
			selfcare.AuditEvent{Target: "cucm-pub.example.com", Outcome: selfcare.OutcomeOK,
				Detail: "true (alive, icmp, rtt 1.235ms); addrs 10.1.2.3 10.1.2.4"}},
		{"refused host is false and denied with the policy's reason", "169.254.169.254", false,
			selfcare.AuditEvent{Target: "169.254.169.254", Outcome: selfcare.OutcomeDenied,
				Detail: "false (blocked by policy); addrs 169.254.169.254; " +
					"reachability: blocked by target policy: link-local (cloud metadata)"}},
		{"silent host is false and failed on one line", "10.1.2.9", false,
			selfcare.AuditEvent{Target: "10.1.2.9", Outcome: selfcare.OutcomeFailed,
				Detail: "false (timeout); addrs 10.1.2.9; icmp: no echo reply; http: i/o timeout"}},
		{"malformed host is false, audited as typed, without control characters",
			"user@127.0.0.1\r\nforged", false,
			selfcare.AuditEvent{Target: "user@127.0.0.1\uFFFD\uFFFDforged",
				Outcome: selfcare.OutcomeDenied,
				Detail:  "false (invalid); addrs none; fake: not a host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alive, err := f.svc.HostAlive(f.ctx, p, tt.host, testAddr)
			if err != nil || alive != tt.wantAlive {
				t.Fatalf("HostAlive(%q) = %v, %v; want %v, nil", tt.host, alive, err, tt.wantAlive)
			}
			tt.want.Actor, tt.want.Action, tt.want.RemoteAddr =
				testUser, selfcare.ActionHostAlive, testAddr
			tt.want.Time = f.clock.Now()
			got := f.lastAudit(selfcare.ActionHostAlive)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(selfcare.AuditEvent{}, "ID"),
				cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
				t.Errorf("audit event (-want +got):\n%s", diff)
			}
		})
	}
	if got := len(fp.hosts()); got != len(tests) {
		t.Errorf("prober asked %d times, want %d", got, len(tests))
	}
}

// TestHostAlivePassesTheClusterInForce checks that each probe gets the
// cluster's servers as the parameters hold them at that moment.
func TestHostAlivePassesTheClusterInForce(t *testing.T) {
	f, fp := newProbeFixture(t, selfcare.Config{})
	_, p := f.login(testUser, testPassword)
	admin := selfcare.LocalCaller("test")

	probe := func() {
		t.Helper()
		if _, err := f.svc.HostAlive(f.ctx, p, "10.1.2.9", testAddr); err != nil {
			t.Fatalf("HostAlive: %v", err)
		}
	}
	probe()
	if err := f.svc.PutServer(f.ctx, admin, params.Server{Name: "cucm-pub.example.com",
		Publisher: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutServer(f.ctx, admin, params.Server{Name: "10.1.2.4"}); err != nil {
		t.Fatal(err)
	}
	probe()
	if err := f.svc.RemoveServer(f.ctx, admin, "10.1.2.4"); err != nil {
		t.Fatal(err)
	}
	probe()

	want := [][]string{{}, {"10.1.2.4", "cucm-pub.example.com"}, {"cucm-pub.example.com"}}
	fp.mu.Lock()
	got := fp.clusters
	fp.mu.Unlock()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("clusters passed to the prober (-want +got):\n%s", diff)
	}
}

func TestHostAliveRefusesWithoutProbing(t *testing.T) {
	f, fp := newProbeFixture(t, selfcare.Config{})
	_, alice := f.login(testUser, testPassword)

	// A user who must change their password first.
	f.addUser(selfcare.User{ID: "new.user", FirstName: "Nina", LastName: "New",
		MustChangePassword: true}, testPassword, testPIN, []string{acl.GroupStandardCCMEndUsers})
	_, fresh := f.login("new.user", testPassword)

	off := newFixture(t, selfcare.Config{})
	off.addAlice()
	_, offAlice := off.login(testUser, testPassword)

	tests := []struct {
		name string
		svc  *selfcare.Service
		p    *selfcare.Principal
		want error
	}{
		{"no principal is unauthenticated", f.svc, nil, selfcare.ErrUnauthenticated},
		{"empty principal is unauthenticated", f.svc, &selfcare.Principal{},
			selfcare.ErrUnauthenticated},
		{"principal without the Self Care grant is forbidden", f.svc,
			&selfcare.Principal{User: alice.User, Session: alice.Session},
			selfcare.ErrForbidden},
		{"user who must change the password is sent to change it", f.svc, fresh,
			selfcare.ErrPasswordChangeRequired},
		{"service without a prober is forbidden", off.svc, offAlice, selfcare.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alive, err := tt.svc.HostAlive(f.ctx, tt.p, "cucm-pub.example.com", testAddr)
			if alive || !errors.Is(err, tt.want) {
				t.Fatalf("HostAlive = %v, %v; want false, %v", alive, err, tt.want)
			}
		})
	}
	if got := fp.hosts(); len(got) != 0 {
		t.Errorf("prober was asked about %q; refusals must not probe", got)
	}
	es, err := f.svc.Audit(f.ctx, selfcare.AuditFilter{Action: selfcare.ActionHostAlive})
	if err != nil || len(es) != 0 {
		t.Errorf("audit = %v, %v; want no hostalive events for refusals", es, err)
	}
}

func TestHostAliveRateLimitsEachUser(t *testing.T) {
	f, fp := newProbeFixture(t, selfcare.Config{HostAliveEvery: 2 * time.Second,
		HostAliveBurst: 3})
	_, alice := f.login(testUser, testPassword)
	f.addUser(selfcare.User{ID: "bob.ng", FirstName: "Bob", LastName: "Ng"},
		testPassword, testPIN, []string{acl.GroupStandardCCMEndUsers})
	_, bob := f.login("bob.ng", testPassword)

	probe := func(p *selfcare.Principal) error {
		t.Helper()
		_, err := f.svc.HostAlive(f.ctx, p, "169.254.169.254", testAddr)
		return err
	}
	for i := range 3 {
		if err := probe(alice); err != nil {
			t.Fatalf("probe %d within the burst: %v", i+1, err)
		}
	}

	// The burst is spent: refusals say when to come back and do not probe.
	for range 3 {
		err := probe(alice)
		rl, ok := errors.AsType[*selfcare.RateLimitError](err)
		if !ok || !errors.Is(err, selfcare.ErrRateLimited) {
			t.Fatalf("probe after the burst: %v, want a RateLimitError", err)
		}
		if rl.RetryAfter != 2*time.Second {
			t.Errorf("RetryAfter = %v, want 2s (one token's worth)", rl.RetryAfter)
		}
	}
	if n := len(fp.hosts()); n != 3 {
		t.Errorf("prober asked %d times, want 3", n)
	}

	// Another user has a budget of their own.
	if err := probe(bob); err != nil {
		t.Errorf("bob's first probe: %v", err)
	}

	// Half a token later the wait is halved; a whole token later one probe
	// goes through, and the next is refused again.
	f.clock.Advance(time.Second)
	if rl, ok := errors.AsType[*selfcare.RateLimitError](probe(alice)); !ok ||
		rl.RetryAfter != time.Second {
		t.Errorf("half a token later: %v, want RetryAfter 1s", rl)
	}
	f.clock.Advance(time.Second)
	if err := probe(alice); err != nil {
		t.Errorf("a token later: %v", err)
	}
	if err := probe(alice); !errors.Is(err, selfcare.ErrRateLimited) {
		t.Errorf("after the refilled token: %v, want ErrRateLimited", err)
	}

	// Only the first refusal of each run is recorded: two runs, two rows.
	es, err := f.svc.Audit(f.ctx, selfcare.AuditFilter{Actor: testUser,
		Action: selfcare.ActionHostAlive})
	if err != nil {
		t.Fatal(err)
	}
	var limited []string
	for _, e := range es {
		if strings.HasPrefix(e.Detail, "rate limited") {
			if e.Outcome != selfcare.OutcomeDenied || e.Target != "169.254.169.254" {
				t.Errorf("rate-limit event %+v, want denied with the target", e)
			}
			limited = append(limited, e.Detail)
		}
	}
	if len(limited) != 2 {
		t.Errorf("%d rate-limit events, want 2 (one per run of refusals): %q",
			len(limited), limited)
	}
}

func TestHostAliveConcurrentCallersShareOneBudget(t *testing.T) {
	const burst = 5
	f, fp := newProbeFixture(t, selfcare.Config{HostAliveBurst: burst})
	_, p := f.login(testUser, testPassword)

	var allowed, limited atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			_, err := f.svc.HostAlive(f.ctx, p, "cucm-pub.example.com", testAddr)
			switch {
			case err == nil:
				allowed.Add(1)
			case errors.Is(err, selfcare.ErrRateLimited):
				limited.Add(1)
			default:
				t.Errorf("HostAlive: %v", err)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != burst || limited.Load() != 40-burst {
		t.Errorf("allowed %d, limited %d; want %d and %d", allowed.Load(), limited.Load(),
			burst, 40-burst)
	}
	if n := len(fp.hosts()); n != burst {
		t.Errorf("prober asked %d times, want %d", n, burst)
	}
}

func TestHostAliveNoLimit(t *testing.T) {
	f, fp := newProbeFixture(t, selfcare.Config{HostAliveBurst: selfcare.NoLimit})
	_, p := f.login(testUser, testPassword)
	for i := range 3 * selfcare.DefaultHostAliveBurst {
		if _, err := f.svc.HostAlive(f.ctx, p, "10.1.2.9", testAddr); err != nil {
			t.Fatalf("probe %d without a limit: %v", i+1, err)
		}
	}
	if n := len(fp.hosts()); n != 3*selfcare.DefaultHostAliveBurst {
		t.Errorf("prober asked %d times, want %d", n, 3*selfcare.DefaultHostAliveBurst)
	}
}

// ExampleService_HostAlive wires a prober into the service and asks about
// two hosts; a real portal passes web.ReachabilityProber instead.
func ExampleService_HostAlive() {
	ctx := context.Background()
	svc := selfcare.New(memstore.New(), selfcare.Config{
		Hash: selfcare.HashParams{Memory: 64, Iterations: 1},
		Prober: &fakeProber{verdicts: map[string]selfcare.ProbeVerdict{
			"cucm-pub.example.com": verdictAlive,
			"169.254.169.254":      verdictBlocked,
		}},
	})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		fmt.Println(err)
		return
	}
	u := selfcare.User{ID: "jsmith", FirstName: "Jo", LastName: "Smith"}
	if err := svc.CreateUser(ctx, "", u, "Paper-lantern-9", "80461973"); err != nil {
		fmt.Println(err)
		return
	}
	if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, "jsmith"); err != nil {
		fmt.Println(err)
		return
	}
	_, p, err := svc.Login(ctx, "jsmith", "Paper-lantern-9", "192.0.2.1")
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, host := range []string{"cucm-pub.example.com", "169.254.169.254"} {
		alive, err := svc.HostAlive(ctx, p, host, "192.0.2.1")
		fmt.Println(host, alive, err)
	}
	es, _ := svc.Audit(ctx, selfcare.AuditFilter{Action: selfcare.ActionHostAlive, Limit: 1})
	fmt.Println(es[0].Target, es[0].Outcome)
	// Output:
	// cucm-pub.example.com true <nil>
	// 169.254.169.254 false <nil>
	// 169.254.169.254 denied
}

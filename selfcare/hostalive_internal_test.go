package selfcare

import (
	"fmt"
	"testing"
	"time"
)

func (l *probeLimits) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.users)
}

// TestProbeLimitsDropIdleBuckets checks that memory follows the users who
// probe now: a bucket idle long enough to be full again is dropped, and a
// user who comes back gets a full budget, as they would have anyway.
func TestProbeLimitsDropIdleBuckets(t *testing.T) {
	const every, burst = time.Second, 4
	l := newProbeLimits(every, burst)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	for i := range 1000 {
		if _, _, ok := l.allow(fmt.Sprintf("user%d", i), t0); !ok {
			t.Fatalf("user%d refused on a first probe", i)
		}
	}
	if n := l.size(); n != 1000 {
		t.Fatalf("%d buckets after 1000 users, want 1000", n)
	}

	// Just short of a full refill, nothing may go: those buckets still
	// remember spent tokens.
	active := t0.Add(every*burst - time.Millisecond)
	for range burst - 1 {
		if _, _, ok := l.allow("busy.user", active); !ok {
			t.Fatal("busy.user refused within the burst")
		}
	}
	if n := l.size(); n != 1001 {
		t.Errorf("%d buckets before the idle period, want 1001", n)
	}

	// A full refill later, the idle buckets go and the active one stays,
	// still remembering what it spent.
	later := t0.Add(every * burst)
	if _, _, ok := l.allow("busy.user", later); !ok {
		t.Fatal("busy.user refused with one token left")
	}
	if n := l.size(); n != 1 {
		t.Errorf("%d buckets after the idle period, want 1 (busy.user)", n)
	}
	if _, _, ok := l.allow("busy.user", later); ok {
		t.Error("busy.user allowed a 5th probe within one second; its bucket was reset")
	}
	if _, _, ok := l.allow("user7", later); !ok {
		t.Error("a returning user was refused")
	}
}

func TestNewHostAliveDefaults(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		wantEvery  time.Duration
		wantBurst  int
		wantIdleAt time.Duration
	}{
		{"zero config takes the defaults", Config{}, DefaultHostAliveEvery,
			DefaultHostAliveBurst, DefaultHostAliveEvery * DefaultHostAliveBurst},
		{"negative values take the defaults", Config{HostAliveEvery: -1, HostAliveBurst: -5},
			DefaultHostAliveEvery, DefaultHostAliveBurst,
			DefaultHostAliveEvery * DefaultHostAliveBurst},
		{"NoLimit burst stays NoLimit", Config{HostAliveBurst: NoLimit},
			DefaultHostAliveEvery, NoLimit, DefaultHostAliveEvery},
		{"explicit values are kept", Config{HostAliveEvery: 3 * time.Second, HostAliveBurst: 2},
			3 * time.Second, 2, 6 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newHostAlive(tt.cfg).limits
			if l.every != tt.wantEvery || l.burst != tt.wantBurst || l.idle != tt.wantIdleAt {
				t.Errorf("every %v, burst %d, idle %v; want %v, %d, %v", l.every, l.burst,
					l.idle, tt.wantEvery, tt.wantBurst, tt.wantIdleAt)
			}
		})
	}
}

package selfcare

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

var testParams = HashParams{Memory: 64, Iterations: 1, Parallelism: 1}.withDefaults()

// gatedKey wraps h's key function so that every computation reports that
// it started and then waits at gate; it records the peak number running.
func gatedKey(h *hasher, gate <-chan struct{}) (entered <-chan struct{}, peak func() int64) {
	var running, top atomic.Int64
	in := make(chan struct{}, 64)
	next := h.key
	h.key = func(secret, salt []byte, t, m uint32, p uint8, n uint32) []byte {
		r := running.Add(1)
		for {
			old := top.Load()
			if r <= old || top.CompareAndSwap(old, r) {
				break
			}
		}
		in <- struct{}{}
		<-gate
		running.Add(-1)
		return next(secret, salt, t, m, p, n)
	}
	return in, top.Load
}

func TestHasherBoundsConcurrency(t *testing.T) {
	const slots, callers = 2, 8
	h := newHasher(testParams, rand.Reader, slots, 0)
	enc, err := hashWith(argon2.IDKey, rand.Reader, testParams, "secret")
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	entered, peak := gatedKey(h, gate)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan error, callers)
	for range callers {
		go func() {
			ok, _, err := h.verify(ctx, enc, "secret")
			if err == nil && !ok {
				err = errors.New("right secret did not verify")
			}
			results <- err
		}()
	}

	// Two callers reach the hash and hold both slots.
	<-entered
	<-entered
	if h.sem.TryAcquire(1) {
		h.sem.Release(1)
		close(gate)
		t.Fatal("a slot is free while two hashes run: the semaphore is not bounding them")
	}
	// The others are queued (or not yet started); when their requests end
	// they give up with ErrBusy and never hash.
	cancel()
	for i := range callers - slots {
		if err := <-results; !errors.Is(err, ErrBusy) {
			close(gate)
			t.Fatalf("waiting caller %d: %v, want ErrBusy", i, err)
		}
	}
	close(gate)
	for range slots {
		if err := <-results; err != nil {
			t.Errorf("running caller: %v", err)
		}
	}
	if p := peak(); p != slots {
		t.Errorf("peak concurrent hashes = %d, want %d", p, slots)
	}
}

func TestHasherPeakUnderLoad(t *testing.T) {
	// Many callers, no gate held: the peak must never pass the bound.
	const slots, callers = 3, 40
	h := newHasher(testParams, rand.Reader, slots, 0)
	enc, err := hashWith(argon2.IDKey, rand.Reader, testParams, "secret")
	if err != nil {
		t.Fatal(err)
	}
	open := make(chan struct{})
	close(open)
	entered, peak := gatedKey(h, open)
	go func() {
		for range entered {
			runtime.Gosched()
		}
	}()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if _, _, err := h.verify(context.Background(), enc, "secret"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak(); p < 1 || p > slots {
		t.Errorf("peak concurrent hashes = %d, want 1 to %d", p, slots)
	}
}

func TestHasherWaitBound(t *testing.T) {
	h := newHasher(testParams, rand.Reader, 1, time.Millisecond)
	enc, err := hashWith(argon2.IDKey, rand.Reader, testParams, "secret")
	if err != nil {
		t.Fatal(err)
	}
	// The first computation holds the only slot until the gate opens; any
	// later one (there should be none) passes straight through, so that a
	// broken bound fails this test instead of hanging it.
	gate, entered := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	next := h.key
	h.key = func(s, salt []byte, t, m uint32, p uint8, n uint32) []byte {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-gate
		}
		return next(s, salt, t, m, p, n)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := h.verify(context.Background(), enc, "secret")
		done <- err
	}()
	<-entered
	// This caller can only run out of its wait bound, however long the
	// machine takes to get there.
	_, _, err = h.verify(context.Background(), enc, "secret")
	close(gate)
	if !errors.Is(err, ErrBusy) {
		t.Errorf("verify with the slot held: %v, want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Errorf("holder: %v", err)
	}
}

func TestVerifyHeldAlwaysHashesOnce(t *testing.T) {
	h := newHasher(testParams, rand.Reader, 1, 0)
	enc, err := hashWith(argon2.IDKey, rand.Reader, testParams, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.dummy(); err != nil { // built once, outside the count
		t.Fatal(err)
	}
	var calls atomic.Int64
	next := h.key
	h.key = func(s, salt []byte, t, m uint32, p uint8, n uint32) []byte {
		calls.Add(1)
		return next(s, salt, t, m, p, n)
	}
	for name, stored := range map[string]string{
		"real hash": enc, "no hash": "", "malformed hash": "$argon2id$v=19$bad",
	} {
		before := calls.Load()
		if ok, _, _ := h.verifyHeld(stored, "secret"); ok != (name == "real hash") {
			t.Errorf("%s: ok = %t", name, ok)
		}
		if n := calls.Load() - before; n != 1 {
			t.Errorf("%s: %d argon2id computations, want 1", name, n)
		}
	}
}

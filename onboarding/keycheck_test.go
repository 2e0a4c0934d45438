package onboarding_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ucselfcare/portal/onboarding"
)

// sealerOf returns a sealer for a key made of one repeated byte.
func sealerOf(tb testing.TB, b byte) *onboarding.Sealer {
	tb.Helper()
	s, err := onboarding.NewSealer(bytes.Repeat([]byte{b}, onboarding.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestKeyCheckDependsOnTheKeyAlone(t *testing.T) {
	a, a2, b := sealerOf(t, 1), sealerOf(t, 1), sealerOf(t, 2)
	if !bytes.Equal(a.KeyCheck(), a2.KeyCheck()) {
		t.Error("one key gives two check values")
	}
	if bytes.Equal(a.KeyCheck(), b.KeyCheck()) {
		t.Error("two keys give one check value")
	}
	key := bytes.Repeat([]byte{1}, onboarding.KeySize)
	if bytes.Contains(a.KeyCheck(), key[:8]) || len(a.KeyCheck()) != 32 {
		t.Errorf("check value %x: want 32 bytes that do not show the key", a.KeyCheck())
	}
	// Callers cannot change the sealer's value through the copy.
	a.KeyCheck()[0] ^= 0xff
	if !bytes.Equal(a.KeyCheck(), a2.KeyCheck()) {
		t.Error("changing a returned check value changed the sealer's")
	}
}

func TestVerifyKey(t *testing.T) {
	ctx := context.Background()
	right, wrong := sealerOf(t, 1), sealerOf(t, 2)

	t.Run("the first key is recorded and a second one refused", func(t *testing.T) {
		st := newMemStore()
		if rec, err := onboarding.KeyRecorded(ctx, st); err != nil || rec {
			t.Fatalf("KeyRecorded of an empty store: %t, %v", rec, err)
		}
		if err := onboarding.VerifyKey(ctx, st, right, newClock().Now()); err != nil {
			t.Fatalf("VerifyKey of the first key: %v", err)
		}
		if rec, err := onboarding.KeyRecorded(ctx, st); err != nil || !rec {
			t.Errorf("KeyRecorded after VerifyKey: %t, %v; want true", rec, err)
		}
		if err := onboarding.VerifyKey(ctx, st, right, newClock().Now()); err != nil {
			t.Errorf("VerifyKey of the same key again: %v", err)
		}
		err := onboarding.VerifyKey(ctx, st, wrong, newClock().Now())
		if !errors.Is(err, onboarding.ErrKeyMismatch) {
			t.Errorf("VerifyKey of another key: %v, want ErrKeyMismatch", err)
		}
	})

	t.Run("codes stored before any check value must open", func(t *testing.T) {
		f := newFixture(t, onboarding.Config{})
		d := f.provision(t, "alice", model8845, macAlice)
		f.issue(t, d.Name)
		if rec, err := onboarding.KeyRecorded(ctx, f.store); err != nil || !rec {
			t.Errorf("KeyRecorded of a store with codes: %t, %v; want true", rec, err)
		}
		err := onboarding.VerifyKey(ctx, f.store, wrong, f.clock.Now())
		if !errors.Is(err, onboarding.ErrKeyMismatch) {
			t.Fatalf("VerifyKey of a key that opens no code: %v, want ErrKeyMismatch", err)
		}
		if _, err := f.store.KeyCheck(ctx); !errors.Is(err, onboarding.ErrNotFound) {
			t.Errorf("a refused key was recorded: %v", err)
		}
		if err := onboarding.VerifyKey(ctx, f.store, f.sealer, f.clock.Now()); err != nil {
			t.Errorf("VerifyKey of the key that sealed them: %v", err)
		}
	})

	t.Run("a process that lost the race compares with the winner", func(t *testing.T) {
		st := raceStore{memStore: newMemStore(), first: wrong.KeyCheck()}
		err := onboarding.VerifyKey(ctx, st, right, newClock().Now())
		if !errors.Is(err, onboarding.ErrKeyMismatch) {
			t.Errorf("VerifyKey after another key won: %v, want ErrKeyMismatch", err)
		}
	})

	t.Run("discarding the key releases the codes and forgets the check",
		func(t *testing.T) {
			f := newFixture(t, onboarding.Config{})
			d := f.provision(t, "alice", model8845, macAlice)
			f.issue(t, d.Name)
			if err := onboarding.VerifyKey(ctx, f.store, f.sealer, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			names, err := f.store.DiscardKey(ctx, f.clock.Now())
			if err != nil || len(names) != 1 || names[0] != d.Name {
				t.Fatalf("DiscardKey = %v, %v; want %s", names, err, d.Name)
			}
			if got := f.state(t, d.Name); got != onboarding.StateReleased {
				t.Errorf("code state %s after DiscardKey, want released", got)
			}
			if err := onboarding.VerifyKey(ctx, f.store, wrong, f.clock.Now()); err != nil {
				t.Errorf("VerifyKey of a new key after DiscardKey: %v", err)
			}
		})
}

// raceStore is a store where another process stores its check value
// between the first read and the write.
type raceStore struct {
	*memStore
	first []byte
}

func (r raceStore) InitKeyCheck(ctx context.Context, check []byte,
	at time.Time) ([]byte, error) {
	if _, err := r.memStore.InitKeyCheck(ctx, r.first, at); err != nil {
		return nil, err
	}
	return r.memStore.InitKeyCheck(ctx, check, at)
}

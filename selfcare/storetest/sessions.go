package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

func testSessions(t *testing.T, open Opener) {
	t.Run("SessionRoundTrips", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		x := newSession(1, "alice", base)
		must(t, s.CreateSession(ctx, x))
		wantDiff(t, "Session", ok(s.Session(ctx, x.TokenHash))(t), x)
	})

	t.Run("DuplicateTokenExists", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		x := newSession(1, "alice", base)
		must(t, s.CreateSession(ctx, x))
		dup := newSession(1, "bob", at(time.Hour))
		wantErr(t, "CreateSession", s.CreateSession(ctx, dup), selfcare.ErrExists)
		wantDiff(t, "Session unchanged", ok(s.Session(ctx, x.TokenHash))(t), x)
	})

	t.Run("MissingSessionIsNotFound", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		must(t, s.CreateSession(ctx, newSession(1, "alice", base)))
		h := newSession(2, "alice", base).TokenHash
		_, err := s.Session(ctx, h)
		wantErr(t, "Session", err, selfcare.ErrNotFound)
		wantErr(t, "TouchSession", s.TouchSession(ctx, h, base), selfcare.ErrNotFound)
		must(t, s.DeleteSession(ctx, h))
	})

	t.Run("TouchSessionSetsLastSeenOnly", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		x, y := newSession(1, "alice", base), newSession(2, "alice", base)
		must(t, s.CreateSession(ctx, x))
		must(t, s.CreateSession(ctx, y))
		must(t, s.TouchSession(ctx, x.TokenHash, at(10*time.Minute)))

		want := x
		want.LastSeen = at(10 * time.Minute)
		wantDiff(t, "touched Session", ok(s.Session(ctx, x.TokenHash))(t), want)
		wantDiff(t, "other Session", ok(s.Session(ctx, y.TokenHash))(t), y)
	})

	t.Run("DeleteSessionEndsOne", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		x, y := newSession(1, "alice", base), newSession(2, "alice", base)
		must(t, s.CreateSession(ctx, x))
		must(t, s.CreateSession(ctx, y))
		must(t, s.DeleteSession(ctx, x.TokenHash))
		must(t, s.DeleteSession(ctx, x.TokenHash))
		if sessionExists(t, ctx, s, x.TokenHash) || !sessionExists(t, ctx, s, y.TokenHash) {
			t.Error("DeleteSession ended the wrong sessions")
		}
	})

	t.Run("DeleteUserSessionsCountsThem", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice", "bob")
		for i, u := range []string{"alice", "bob", "alice", "alice"} {
			must(t, s.CreateSession(ctx, newSession(byte(i), u, base)))
		}
		for _, c := range []struct {
			user string
			want int
		}{{"alice", 3}, {"alice", 0}, {"nobody", 0}, {"bob", 1}} {
			if n := ok(s.DeleteUserSessions(ctx, c.user))(t); n != c.want {
				t.Errorf("DeleteUserSessions(%q) = %d, want %d", c.user, n, c.want)
			}
		}
	})

	t.Run("DeleteExpiredSessionsAppliesBothRules", func(t *testing.T) {
		ctx, s := fresh(t, open)
		createUsers(t, ctx, s, "alice")
		idleBefore, createdBefore := at(time.Hour), at(-time.Hour)

		mk := func(tag byte, created, seen time.Time) selfcare.Session {
			x := newSession(tag, "alice", created)
			x.LastSeen = seen
			return x
		}
		cases := []struct {
			name string
			sess selfcare.Session
			gone bool
		}{
			{"fresh", mk(1, base, at(2*time.Hour)), false},
			{"idle", mk(2, base, at(time.Hour-time.Microsecond)), true},
			{"idle exactly at the limit", mk(3, base, idleBefore), false},
			{"too old", mk(4, at(-2*time.Hour), at(3*time.Hour)), true},
			{"created exactly at the limit", mk(5, createdBefore, at(3*time.Hour)), false},
			{"idle and too old", mk(6, at(-2*time.Hour), at(-time.Hour)), true},
		}
		for _, c := range cases {
			must(t, s.CreateSession(ctx, c.sess))
		}

		if n := ok(s.DeleteExpiredSessions(ctx, idleBefore, createdBefore))(t); n != 3 {
			t.Errorf("DeleteExpiredSessions = %d, want 3", n)
		}
		for _, c := range cases {
			if gone := !sessionExists(t, ctx, s, c.sess.TokenHash); gone != c.gone {
				t.Errorf("%s: gone = %v, want %v", c.name, gone, c.gone)
			}
		}
		if n := ok(s.DeleteExpiredSessions(ctx, idleBefore, createdBefore))(t); n != 0 {
			t.Errorf("second DeleteExpiredSessions = %d, want 0", n)
		}
	})
}

func testFailures(t *testing.T, open Opener) {
	const window = 15 * time.Minute

	t.Run("UnknownKeyHasZeroCounters", func(t *testing.T) {
		ctx, s := fresh(t, open)
		wantDiff(t, "Failures", ok(s.Failures(ctx, "user:alice"))(t), selfcare.Failures{})
	})

	t.Run("AddFailureCountsWithinWindow", func(t *testing.T) {
		ctx, s := fresh(t, open)
		steps := []struct {
			now  time.Time
			want selfcare.Failures
		}{
			{base, selfcare.Failures{Count: 1, First: base, Last: base}},
			{at(time.Minute), selfcare.Failures{Count: 2, First: base, Last: at(time.Minute)}},
			{at(window), selfcare.Failures{Count: 3, First: base, Last: at(window)}},
		}
		for i, st := range steps {
			got := ok(s.AddFailure(ctx, "user:alice", st.now, window))(t)
			wantDiff(t, "AddFailure result", got, st.want)
			wantDiff(t, "Failures", ok(s.Failures(ctx, "user:alice"))(t), st.want)
			if t.Failed() {
				t.Fatalf("step %d failed", i)
			}
		}
		wantDiff(t, "other key", ok(s.Failures(ctx, "addr:192.0.2.7"))(t), selfcare.Failures{})
	})

	t.Run("AddFailureRestartsAfterWindow", func(t *testing.T) {
		ctx, s := fresh(t, open)
		for i := range 4 {
			_ = ok(s.AddFailure(ctx, "k", at(time.Duration(i)*time.Minute), window))(t)
		}
		late := at(window + time.Microsecond)
		got := ok(s.AddFailure(ctx, "k", late, window))(t)
		wantDiff(t, "AddFailure after window", got,
			selfcare.Failures{Count: 1, First: late, Last: late})
	})

	t.Run("ClearFailuresResets", func(t *testing.T) {
		ctx, s := fresh(t, open)
		_ = ok(s.AddFailure(ctx, "a", base, window))(t)
		_ = ok(s.AddFailure(ctx, "b", base, window))(t)
		must(t, s.ClearFailures(ctx, "a"))
		must(t, s.ClearFailures(ctx, "never-seen"))
		wantDiff(t, "cleared", ok(s.Failures(ctx, "a"))(t), selfcare.Failures{})
		wantDiff(t, "untouched", ok(s.Failures(ctx, "b"))(t),
			selfcare.Failures{Count: 1, First: base, Last: base})

		got := ok(s.AddFailure(ctx, "a", at(time.Second), window))(t)
		wantDiff(t, "after clear", got,
			selfcare.Failures{Count: 1, First: at(time.Second), Last: at(time.Second)})
	})

	t.Run("ConcurrentAddFailureCountsEach", func(t *testing.T) {
		ctx, s := fresh(t, open)
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			now := at(time.Duration(i) * time.Millisecond)
			wg.Go(func() {
				_, err := s.AddFailure(ctx, "user:alice", now, time.Hour)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		if got := ok(s.Failures(ctx, "user:alice"))(t); got.Count != n {
			t.Errorf("Count = %d after %d concurrent failures", got.Count, n)
		}
	})
}

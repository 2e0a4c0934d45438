package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testRemoteDestinations checks [selfcare.RemoteDestinationStore]. The
// choices it pins where the contract leaves room:
//
//   - A user's destinations come back in the order they were created.
//   - Another user's ID answers exactly as an ID that does not exist, on
//     every method.
//   - An empty schedule may come back as nil.
//   - A limit never set reads as -1.
func testRemoteDestinations(t *testing.T, open Opener) {
	t.Run("CreateReadUpdateDeleteRoundTrip", func(t *testing.T) {
		ctx, s := freshRD(t, open)
		a := rdFor("ann", "a1", "+14085550101")
		a.Schedule = []selfcare.ScheduleRow{{Day: 1, Start: "08:00", End: "12:00"},
			{Day: 1, Start: "13:00", End: "24:00"}}
		want := a
		want.Version = 1
		wantDiff(t, "created", ok(s.CreateRemoteDestination(ctx, a, 4))(t), want)
		b := rdFor("ann", "b2", "914085550102")
		ok(s.CreateRemoteDestination(ctx, b, 4))(t)
		b.Version = 1
		wantDiff(t, "read", ok(s.RemoteDestination(ctx, "ann", "a1"))(t), want)
		wantDiff(t, "list in creation order", ok(s.RemoteDestinations(ctx, "ann"))(t),
			[]selfcare.RemoteDestination{want, b})

		next := want
		next.Description, next.MoveToMobile, next.Schedule = "Home", true, nil
		next.VoicemailAvoidance = selfcare.VoicemailAvoidanceUser
		saved := ok(s.UpdateRemoteDestination(ctx, next))(t)
		next.Version = 2
		wantDiff(t, "updated", saved, next)
		wantDiff(t, "read after update", ok(s.RemoteDestination(ctx, "ann", "a1"))(t),
			next)

		must(t, s.DeleteRemoteDestination(ctx, "ann", "a1", 2))
		_, err := s.RemoteDestination(ctx, "ann", "a1")
		wantErr(t, "read after delete", err, selfcare.ErrNotFound)
		wantDiff(t, "list after delete", ok(s.RemoteDestinations(ctx, "ann"))(t),
			[]selfcare.RemoteDestination{b})
		wantDiff(t, "other user", ok(s.RemoteDestinations(ctx, "ben"))(t),
			[]selfcare.RemoteDestination(nil))
	})

	t.Run("AnotherUsersIDIsNotFoundAndUntouched", func(t *testing.T) {
		ctx, s := freshRD(t, open)
		a := ok(s.CreateRemoteDestination(ctx, rdFor("ann", "a1", "+14085550101"), 4))(t)
		_, err := s.RemoteDestination(ctx, "ben", "a1")
		wantErr(t, "read", err, selfcare.ErrNotFound)
		stolen := a
		stolen.UserID, stolen.Description = "ben", "mine now"
		_, err = s.UpdateRemoteDestination(ctx, stolen)
		wantErr(t, "update", err, selfcare.ErrNotFound)
		wantErr(t, "delete", s.DeleteRemoteDestination(ctx, "ben", "a1", 1),
			selfcare.ErrNotFound)
		_, err = s.CreateRemoteDestination(ctx, rdFor("ben", "a1", "+14085550199"), 4)
		wantErr(t, "create with a taken ID", err, selfcare.ErrExists)
		wantDiff(t, "ann's", ok(s.RemoteDestination(ctx, "ann", "a1"))(t), a)
	})

	t.Run("StaleVersionsAreRefusedAndChangeNothing", func(t *testing.T) {
		ctx, s := freshRD(t, open)
		a := ok(s.CreateRemoteDestination(ctx, rdFor("ann", "a1", "+14085550101"), 4))(t)
		for _, v := range []int64{0, 2} {
			stale := a
			stale.Version, stale.Description = v, "stale"
			_, err := s.UpdateRemoteDestination(ctx, stale)
			wantErr(t, fmt.Sprintf("update at %d", v), err, selfcare.ErrVersionConflict)
			wantErr(t, fmt.Sprintf("delete at %d", v),
				s.DeleteRemoteDestination(ctx, "ann", "a1", v), selfcare.ErrVersionConflict)
		}
		wantDiff(t, "stored", ok(s.RemoteDestination(ctx, "ann", "a1"))(t), a)
	})

	t.Run("DuplicateNumberOfOneUserIsRefused", func(t *testing.T) {
		ctx, s := freshRD(t, open)
		ok(s.CreateRemoteDestination(ctx, rdFor("ann", "a1", "+14085550101"), 4))(t)
		b := ok(s.CreateRemoteDestination(ctx, rdFor("ann", "b2", "+14085550102"), 4))(t)
		_, err := s.CreateRemoteDestination(ctx, rdFor("ann", "c3", "+14085550101"), 4)
		wantErr(t, "create", err, selfcare.ErrDuplicateRemoteDestination)
		dup := b
		dup.Number = "+14085550101"
		_, err = s.UpdateRemoteDestination(ctx, dup)
		wantErr(t, "update", err, selfcare.ErrDuplicateRemoteDestination)
		wantDiff(t, "stored", ok(s.RemoteDestination(ctx, "ann", "b2"))(t), b)
		// Another user may have the same number.
		ok(s.CreateRemoteDestination(ctx, rdFor("ben", "d4", "+14085550101"), 4))(t)
	})

	t.Run("ConcurrentCreationsStopAtTheLimit", func(t *testing.T) {
		ctx, s := freshRD(t, open)
		ok(s.CreateRemoteDestination(ctx, rdFor("ann", "a0", "+14085550100"), 4))(t)
		const tries = 8
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			errs    = make([]error, tries)
			limited int
		)
		for i := range tries {
			wg.Go(func() {
				<-start
				_, errs[i] = s.CreateRemoteDestination(ctx, rdFor("ann",
					fmt.Sprintf("c%d", i), fmt.Sprintf("+1408555020%d", i)), 4)
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			var le *selfcare.RemoteDestinationLimitError
			switch {
			case errors.As(err, &le) && le.Limit == 4 &&
				errors.Is(err, selfcare.ErrRemoteDestinationLimit):
				limited++
			case err != nil:
				t.Errorf("create: %v", err)
			}
		}
		if got := len(ok(s.RemoteDestinations(ctx, "ann"))(t)); got != 4 || limited != 5 {
			t.Errorf("stored %d, refused %d; want 4 and 5", got, limited)
		}
	})

	t.Run("LimitsAreSetReadAndCleared", func(t *testing.T) {
		ctx, s := freshRD(t, open)
		if n := ok(s.RemoteDestinationLimit(ctx, "ann"))(t); n != -1 {
			t.Errorf("never set: %d, want -1", n)
		}
		must(t, s.SetRemoteDestinationLimit(ctx, "ann", 0))
		must(t, s.SetRemoteDestinationLimit(ctx, "ben", 9))
		if n := ok(s.RemoteDestinationLimit(ctx, "ann"))(t); n != 0 {
			t.Errorf("set to 0: %d", n)
		}
		must(t, s.SetRemoteDestinationLimit(ctx, "ann", 7))
		if n := ok(s.RemoteDestinationLimit(ctx, "ann"))(t); n != 7 {
			t.Errorf("set to 7: %d", n)
		}
		must(t, s.SetRemoteDestinationLimit(ctx, "ann", -1))
		if n := ok(s.RemoteDestinationLimit(ctx, "ann"))(t); n != -1 {
			t.Errorf("cleared: %d", n)
		}
		if n := ok(s.RemoteDestinationLimit(ctx, "ben"))(t); n != 9 {
			t.Errorf("other user: %d", n)
		}
	})

	t.Run("ValuesShareNoMemory", func(t *testing.T) {
		ctx, s := freshRD(t, open)
		a := rdFor("ann", "a1", "+14085550101")
		a.Schedule = []selfcare.ScheduleRow{{Day: 2, Start: "09:00", End: "10:00"}}
		got := ok(s.CreateRemoteDestination(ctx, a, 4))(t)
		a.Schedule[0].Start = "00:00"
		got.Schedule[0].End = "23:00"
		read := ok(s.RemoteDestination(ctx, "ann", "a1"))(t)
		read.Schedule[0].Day = 5
		wantDiff(t, "stored schedule", ok(s.RemoteDestination(ctx, "ann", "a1"))(t).Schedule,
			[]selfcare.ScheduleRow{{Day: 2, Start: "09:00", End: "10:00"}})
	})
}

// rdFor returns a remote destination with every field set.
func rdFor(user, id, number string) selfcare.RemoteDestination {
	return selfcare.RemoteDestination{ID: id, UserID: user, Number: number,
		Description: "Mobile " + id, SingleNumberReach: true, MoveToMobile: false,
		DelayBeforeRinging: 35, AnswerTooSoon: 12, AnswerTooLate: 200,
		VoicemailAvoidance: selfcare.VoicemailAvoidanceTimer, TimeZone: "Europe/Zurich"}
}

// freshRD opens a store that must also keep remote destinations.
func freshRD(t *testing.T, open Opener) (context.Context, selfcare.RemoteDestinationStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	rs, ok := s.(selfcare.RemoteDestinationStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.RemoteDestinationStore", s)
	}
	return ctx, rs
}

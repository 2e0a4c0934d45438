package storetest

import (
	"context"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// testLineSettings checks [selfcare.LineSettingsStore]. The choices it
// pins: an appearance never saved reads as selfcare.DefaultLineSettings at
// Version 0, with no owner or number; every field, owner and number
// included, round-trips; appearances are independent by phone and by
// line index; DeviceLineSettings lists only what was saved, by index; a
// stale save changes nothing and matches selfcare.ErrVersionConflict; and
// PutDevice leaves saved settings alone, with the owner and number they
// were saved for, so that the service can tell they are someone else's.
func testLineSettings(t *testing.T, open Opener) {
	full := func(device string, index int) selfcare.LineSettings {
		return selfcare.LineSettings{Device: device, Index: index, Owner: "ann",
			Extension: "4021", RingIdle: selfcare.RingBeepOnly,
			RingOnCall: selfcare.RingFlashOnly, Label: "Sales «EU»",
			MWIVisual: selfcare.MWINone, MWIAudible: selfcare.MWIAudibleOff,
			LogMissedCalls: false}
	}

	t.Run("NeverSavedIsTheDefaultAtVersionZero", func(t *testing.T) {
		ctx, s := freshLineSettings(t, open)
		wantDiff(t, "LineSettings", ok(s.LineSettings(ctx, "SEPANN", 1))(t),
			selfcare.DefaultLineSettings("SEPANN", 1))
		wantDiff(t, "DeviceLineSettings", ok(s.DeviceLineSettings(ctx, "SEPANN"))(t),
			[]selfcare.LineSettings(nil))
	})

	t.Run("SaveRoundTripsAndCountsVersions", func(t *testing.T) {
		ctx, s := freshLineSettings(t, open)
		l := full("SEPANN", 2)
		want := l
		want.Version = 1
		wantDiff(t, "returned", ok(s.UpdateLineSettings(ctx, l))(t), want)
		wantDiff(t, "read back", ok(s.LineSettings(ctx, "SEPANN", 2))(t), want)

		next := want
		next.Label, next.LogMissedCalls, next.Owner = "", true, "ben"
		want = next
		want.Version = 2
		wantDiff(t, "second save", ok(s.UpdateLineSettings(ctx, next))(t), want)
		wantDiff(t, "after second save", ok(s.LineSettings(ctx, "SEPANN", 2))(t), want)
		wantDiff(t, "other line", ok(s.LineSettings(ctx, "SEPANN", 1))(t),
			selfcare.DefaultLineSettings("SEPANN", 1))
		wantDiff(t, "other phone", ok(s.LineSettings(ctx, "SEPBEN", 2))(t),
			selfcare.DefaultLineSettings("SEPBEN", 2))
	})

	t.Run("DeviceLineSettingsListsSavedLinesByIndex", func(t *testing.T) {
		ctx, s := freshLineSettings(t, open)
		var want []selfcare.LineSettings
		for _, ix := range []int{3, 1} {
			ok(s.UpdateLineSettings(ctx, full("SEPANN", ix)))(t)
		}
		ok(s.UpdateLineSettings(ctx, full("SEPANNX", 2)))(t)
		for _, ix := range []int{1, 3} {
			l := full("SEPANN", ix)
			l.Version = 1
			want = append(want, l)
		}
		wantDiff(t, "SEPANN", ok(s.DeviceLineSettings(ctx, "SEPANN"))(t), want)
	})

	t.Run("StaleVersionIsRefusedAndChangesNothing", func(t *testing.T) {
		ctx, s := freshLineSettings(t, open)
		first := ok(s.UpdateLineSettings(ctx, full("SEPANN", 1)))(t)
		for _, v := range []int64{0, 9} {
			stale := first
			stale.Version, stale.Label = v, "stale"
			_, err := s.UpdateLineSettings(ctx, stale)
			wantErr(t, "stale save", err, selfcare.ErrVersionConflict)
		}
		wantDiff(t, "stored", ok(s.LineSettings(ctx, "SEPANN", 1))(t), first)
	})

	t.Run("PutDeviceKeepsWhomTheSettingsWereSavedFor", func(t *testing.T) {
		ctx, st := fresh(t, open)
		s := asLineSettings(t, st)
		createUsers(t, ctx, st, "ann", "ben")
		must(t, st.PutDevice(ctx, selfcare.Device{Name: "SEPANN", Owner: "ann",
			Lines: []selfcare.Line{{Index: 1, Extension: "4021"}}}))
		saved := ok(s.UpdateLineSettings(ctx, full("SEPANN", 1)))(t)
		must(t, st.PutDevice(ctx, selfcare.Device{Name: "SEPANN", Owner: "ben",
			Lines: []selfcare.Line{{Index: 1, Extension: "4031"}}}))
		wantDiff(t, "after the phone changed hands",
			ok(s.LineSettings(ctx, "SEPANN", 1))(t), saved)
	})
}

// freshLineSettings opens a store that must also keep line settings.
func freshLineSettings(t *testing.T, open Opener) (context.Context,
	selfcare.LineSettingsStore) {
	t.Helper()
	ctx, s := fresh(t, open)
	return ctx, asLineSettings(t, s)
}

func asLineSettings(t *testing.T, s selfcare.Store) selfcare.LineSettingsStore {
	t.Helper()
	ls, ok := s.(selfcare.LineSettingsStore)
	if !ok {
		t.Fatalf("%T is not a selfcare.LineSettingsStore", s)
	}
	return ls
}

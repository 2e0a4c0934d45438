package selfcare_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// rdNumber is a national number that the default destination policy
// allows for a remote destination.
const rdNumber = "+14085550101"

// rdCreate adds a remote destination with number for p, failing on an
// error.
func (s *forwardSite) rdCreate(p *selfcare.Principal, number string) selfcare.RemoteDestination {
	s.tb.Helper()
	d, err := s.svc.CreateRemoteDestination(s.ctx, p, selfcare.RemoteDestinationPatch{
		Number: selfcare.Set(number)}, "192.0.2.1")
	if err != nil {
		s.tb.Fatalf("CreateRemoteDestination(%s): %v", number, err)
	}
	return d
}

func TestParseTimer(t *testing.T) {
	for _, c := range []struct {
		in   string
		want selfcare.Timer
		str  string // "" when refused
	}{
		{"4", 40, "4.0"}, {"4.0", 40, "4.0"}, {"1.5", 15, "1.5"}, {"0", 0, "0.0"},
		{"300.0", 3000, "300.0"}, {"19.9", 199, "19.9"},
		{"1.25", 0, ""}, {"-1", 0, ""}, {"4s", 0, ""}, {"", 0, ""},
		{".5", 0, ""}, {"4.", 0, ""}, {"1e1", 0, ""}, {"12345", 0, ""},
		{"\"4.0\"", 0, ""}, {"٤", 0, ""},
	} {
		name := fmt.Sprintf("%q is refused", c.in)
		if c.str != "" {
			name = fmt.Sprintf("%q is %s", c.in, c.str)
		}
		t.Run(name, func(t *testing.T) {
			got, err := selfcare.ParseTimer(c.in)
			if (c.str != "") != (err == nil) || got != c.want {
				t.Errorf("ParseTimer(%q) = %d, %v", c.in, got, err)
			}
			if err != nil && !errors.Is(err, selfcare.ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			if c.str != "" && got.String() != c.str {
				t.Errorf("String() = %s, want %s", got, c.str)
			}
		})
	}
}

func TestCreateRemoteDestinationRefusals(t *testing.T) {
	rows := func(r ...selfcare.ScheduleRow) selfcare.RemoteDestinationPatch {
		return selfcare.RemoteDestinationPatch{Number: selfcare.Set(rdNumber),
			Schedule: selfcare.Set(r)}
	}
	row := func(day int, start, end string) selfcare.ScheduleRow {
		return selfcare.ScheduleRow{Day: day, Start: start, End: end}
	}
	with := func(f func(p *selfcare.RemoteDestinationPatch)) selfcare.RemoteDestinationPatch {
		p := selfcare.RemoteDestinationPatch{Number: selfcare.Set(rdNumber)}
		f(&p)
		return p
	}
	timers := func(delay, soon, late selfcare.Timer) selfcare.RemoteDestinationPatch {
		return with(func(p *selfcare.RemoteDestinationPatch) {
			p.DelayBeforeRinging = selfcare.Set(delay)
			p.AnswerTooSoon = selfcare.Set(soon)
			p.AnswerTooLate = selfcare.Set(late)
		})
	}
	number := func(n string) selfcare.RemoteDestinationPatch {
		return with(func(p *selfcare.RemoteDestinationPatch) { p.Number = selfcare.Set(n) })
	}
	text := func(field, v string) selfcare.RemoteDestinationPatch {
		return with(func(p *selfcare.RemoteDestinationPatch) {
			if field == "description" {
				p.Description = selfcare.Set(v)
			} else {
				p.TimeZone = selfcare.Set(v)
			}
		})
	}
	cases := []struct {
		name   string
		patch  selfcare.RemoteDestinationPatch
		fields []string
	}{
		// Accepted.
		{"defaults are accepted", number(rdNumber), nil},
		{"an access-code national number is accepted", number("914085550101"), nil},
		{"the timer bounds themselves are accepted", timers(300, 100, 3000), nil},
		{"zero timers with a later late timer are accepted", timers(0, 0, 1), nil},
		{"a whole day and touching rows are accepted", rows(row(0, "00:00", "24:00"),
			row(1, "08:00", "12:00"), row(1, "12:00", "17:00")), nil},
		{"a description of 50 characters is accepted",
			text("description", strings.Repeat("é", 50)), nil},
		{"an IANA time zone is accepted", text("timeZone", "America/Argentina/Buenos_Aires"),
			nil},

		// The number.
		{"no number is refused", selfcare.RemoteDestinationPatch{}, []string{"number"}},
		{"letters are refused", number("mobile"), []string{"number"}},
		{"a URI is refused", number("ann@example.com"), []string{"number"}},
		{"a star code is refused", number("*4021"), []string{"number"}},
		{"separators are refused", number("408 555 0101"), []string{"number"}},
		{"an international number is refused", number("9011441632960961"),
			[]string{"number"}},
		{"an emergency number is refused", number("911"), []string{"number"}},
		{"one of the user's own lines is refused", number("4022"), []string{"number"}},

		// The description.
		{"a long description is refused", text("description", strings.Repeat("x", 51)),
			[]string{"description"}},
		{"a line break in the description is refused", text("description", "a\nb"),
			[]string{"description"}},
		{"a bidi override in the description is refused",
			text("description", "a\u202eb"), []string{"description"}},

		// The timers.
		{"a delay over 30 s is refused", timers(301, 15, 190),
			[]string{"delayBeforeRinging"}},
		{"a negative delay is refused", timers(-1, 15, 190), []string{"delayBeforeRinging"}},
		{"answer too soon over 10 s is refused", timers(40, 101, 190),
			[]string{"answerTooSoon"}},
		{"answer too late over 300 s is refused", timers(40, 15, 3001),
			[]string{"answerTooLate"}},
		{"answer too late equal to too soon is refused", timers(40, 15, 15),
			[]string{"answerTooLate"}},
		{"answer too late before too soon is refused", timers(40, 50, 20),
			[]string{"answerTooLate"}},
		{"an unknown voicemail avoidance is refused",
			with(func(p *selfcare.RemoteDestinationPatch) {
				p.VoicemailAvoidance = selfcare.Set(selfcare.VoicemailAvoidance(3))
			}), []string{"voicemailAvoidance"}},

		// The schedule.
		{"eight rows are refused", rows(row(0, "08:00", "09:00"), row(1, "08:00", "09:00"),
			row(2, "08:00", "09:00"), row(3, "08:00", "09:00"), row(4, "08:00", "09:00"),
			row(5, "08:00", "09:00"), row(6, "08:00", "09:00"), row(0, "10:00", "11:00")),
			[]string{"schedule"}},
		{"day 7 is refused", rows(row(7, "08:00", "09:00")), []string{"schedule[0].day"}},
		{"a time off the 15-minute steps is refused", rows(row(1, "08:10", "09:00")),
			[]string{"schedule[0].start"}},
		{"24:00 as a start is refused", rows(row(1, "24:00", "24:00")),
			[]string{"schedule[0].start"}},
		{"25:00 is refused", rows(row(1, "08:00", "25:00")), []string{"schedule[0].end"}},
		{"a time without a leading zero is refused", rows(row(1, "8:00", "09:00")),
			[]string{"schedule[0].start"}},
		{"an end before the start is refused", rows(row(1, "17:00", "08:00")),
			[]string{"schedule[0].end"}},
		{"an empty row is refused", rows(row(1, "09:00", "09:00")),
			[]string{"schedule[0].end"}},
		{"overlapping rows of one day are refused", rows(row(1, "08:00", "12:00"),
			row(2, "08:00", "12:00"), row(1, "11:45", "13:00")),
			[]string{"schedule[2].start"}},

		// The time zone.
		{"an unknown time zone is refused", text("timeZone", "Mars/Olympus_Mons"),
			[]string{"timeZone"}},
		{"a path is refused as a time zone", text("timeZone", "../../etc/passwd"),
			[]string{"timeZone"}},
		{"Local is refused as a time zone", text("timeZone", "Local"),
			[]string{"timeZone"}},
		{"an empty time zone is refused", text("timeZone", ""), []string{"timeZone"}},

		// Every problem at once.
		{"every bad field is named", selfcare.RemoteDestinationPatch{
			Number: selfcare.Set("4021"), Description: selfcare.Set("\x00"),
			AnswerTooLate: selfcare.Set(selfcare.Timer(10)),
			TimeZone:      selfcare.Set("Nowhere")},
			[]string{"number", "description", "answerTooLate", "timeZone"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newForwardSite(t)
			got, err := s.svc.CreateRemoteDestination(s.ctx, s.alice, c.patch, "192.0.2.1")
			var fields []string
			var ve *selfcare.ValidationError
			if errors.As(err, &ve) {
				for _, f := range ve.Fields {
					fields = append(fields, f.Field)
					if f.Message == "" {
						t.Errorf("field %s has no message", f.Field)
					}
				}
			} else if err != nil {
				t.Fatalf("error %v is not a validation error", err)
			}
			if d := cmp.Diff(c.fields, fields); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			stored, _, rerr := s.svc.RemoteDestinations(s.ctx, s.alice)
			if rerr != nil {
				t.Fatal(rerr)
			}
			e := s.lastAudit(selfcare.ActionRemoteDestinationCreate)
			if c.fields != nil {
				if len(stored) != 0 || e.Outcome != selfcare.OutcomeDenied {
					t.Errorf("refused yet stored %+v, audited %+v", stored, e)
				}
				return
			}
			if len(stored) != 1 || got.Version != 1 || len(got.ID) != 24 ||
				e.Outcome != selfcare.OutcomeOK || e.Target != "remote destination "+got.ID {
				t.Errorf("saved %+v, stored %+v, audited %+v", got, stored, e)
			}
		})
	}
}

func TestRemoteDestinationDefaultsAndPartialUpdates(t *testing.T) {
	s := newForwardSite(t)
	d := s.rdCreate(s.alice, rdNumber)
	want := selfcare.DefaultRemoteDestination("alice", selfcare.DefaultRemoteDestinationTimeZone)
	want.ID, want.Number, want.Version = d.ID, rdNumber, 1
	if diff := cmp.Diff(want, d); diff != "" {
		t.Fatalf("new destination (-want +got):\n%s", diff)
	}

	// Absent fields stay, values set.
	next, err := s.svc.UpdateRemoteDestination(s.ctx, s.alice, d.ID,
		selfcare.RemoteDestinationPatch{MoveToMobile: selfcare.Set(true),
			AnswerTooSoon: selfcare.Set(selfcare.Timer(30)),
			Schedule: selfcare.Set([]selfcare.ScheduleRow{{Day: 1, Start: "08:00",
				End: "17:00"}}),
			TimeZone: selfcare.Set("Europe/Zurich")}, 1, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	want.MoveToMobile, want.AnswerTooSoon, want.Version = true, 30, 2
	want.Schedule = []selfcare.ScheduleRow{{Day: 1, Start: "08:00", End: "17:00"}}
	want.TimeZone = "Europe/Zurich"
	if diff := cmp.Diff(want, next); diff != "" {
		t.Fatalf("after patch (-want +got):\n%s", diff)
	}

	// Null returns to the default.
	next, err = s.svc.UpdateRemoteDestination(s.ctx, s.alice, d.ID,
		selfcare.RemoteDestinationPatch{SingleNumberReach: selfcare.Null[bool](),
			AnswerTooSoon: selfcare.Null[selfcare.Timer](),
			Schedule:      selfcare.Null[[]selfcare.ScheduleRow](),
			TimeZone:      selfcare.Null[string]()}, 2, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	want.AnswerTooSoon, want.Schedule, want.Version = selfcare.DefaultAnswerTooSoon, nil, 3
	want.TimeZone = selfcare.DefaultRemoteDestinationTimeZone
	if diff := cmp.Diff(want, next); diff != "" {
		t.Fatalf("after nulls (-want +got):\n%s", diff)
	}

	// Saving what is stored changes nothing, not even the version.
	same, err := s.svc.UpdateRemoteDestination(s.ctx, s.alice, d.ID,
		selfcare.RemoteDestinationPatch{MoveToMobile: selfcare.Set(true)}, 3, "192.0.2.1")
	if err != nil || same.Version != 3 {
		t.Errorf("no-op save: %+v, %v", same, err)
	}
	e := s.lastAudit(selfcare.ActionRemoteDestinationUpdate)
	if e.Outcome != selfcare.OutcomeOK || !strings.Contains(e.Detail, "(version 3)") ||
		!strings.Contains(e.Detail, "Europe/Zurich -> ") {
		t.Errorf("audit %+v", e)
	}
}

func TestRemoteDestinationConfiguredTimeZone(t *testing.T) {
	for _, c := range []struct{ name, cfg, want string }{
		{"a configured zone is the default", "Europe/Zurich", "Europe/Zurich"},
		{"an unknown configured zone falls back to UTC", "Nowhere/Else", "UTC"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, selfcare.Config{RemoteDestinationTimeZone: c.cfg})
			f.addAlice()
			_, p := f.login(testUser, testPassword)
			d, err := f.svc.CreateRemoteDestination(f.ctx, p,
				selfcare.RemoteDestinationPatch{Number: selfcare.Set(rdNumber)}, "")
			if err != nil || d.TimeZone != c.want {
				t.Errorf("created %+v, %v; want zone %s", d, err, c.want)
			}
		})
	}
}

func TestRemoteDestinationOwnership(t *testing.T) {
	s := newForwardSite(t)
	mine := s.rdCreate(s.alice, rdNumber)
	other := s.rdCreate(s.bob, "+14085550199")
	missing := strings.Repeat("0", 24)
	for _, c := range []struct {
		name string
		call func(id string) error
	}{
		{"read", func(id string) error {
			_, err := s.svc.RemoteDestination(s.ctx, s.bob, id)
			return err
		}},
		{"update", func(id string) error {
			_, err := s.svc.UpdateRemoteDestination(s.ctx, s.bob, id,
				selfcare.RemoteDestinationPatch{Description: selfcare.Set("bob's")}, 1, "")
			return err
		}},
		{"delete", func(id string) error {
			return s.svc.DeleteRemoteDestination(s.ctx, s.bob, id, 1, "")
		}},
	} {
		t.Run(c.name+" of another user's is not found, like a missing one", func(t *testing.T) {
			theirs, none := c.call(mine.ID), c.call(missing)
			if !errors.Is(theirs, selfcare.ErrNotFound) || !errors.Is(none,
				selfcare.ErrNotFound) {
				t.Errorf("another user's: %v; missing: %v", theirs, none)
			}
		})
	}
	got, err := s.svc.RemoteDestination(s.ctx, s.alice, mine.ID)
	if err != nil || !cmp.Equal(got, mine) {
		t.Errorf("alice's changed: %+v, %v", got, err)
	}
	if ds, _, _ := s.svc.RemoteDestinations(s.ctx, s.bob); len(ds) != 1 ||
		ds[0].ID != other.ID {
		t.Errorf("bob lists %+v", ds)
	}
	// One user's number is not another user's duplicate.
	s.rdCreate(s.bob, rdNumber)
}

func TestRemoteDestinationVersionsAndDelete(t *testing.T) {
	s := newForwardSite(t)
	d := s.rdCreate(s.alice, rdNumber)
	patch := selfcare.RemoteDestinationPatch{Description: selfcare.Set("Mobile")}
	if _, err := s.svc.UpdateRemoteDestination(s.ctx, s.alice, d.ID, patch, 7,
		""); !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Fatalf("stale update: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionRemoteDestinationUpdate); e.Outcome !=
		selfcare.OutcomeDenied || !strings.Contains(e.Detail, "stale version 7") {
		t.Errorf("stale update audited as %+v", e)
	}
	if err := s.svc.DeleteRemoteDestination(s.ctx, s.alice, d.ID, 2,
		""); !errors.Is(err, selfcare.ErrVersionConflict) {
		t.Fatalf("stale delete: %v", err)
	}
	if got, err := s.svc.RemoteDestination(s.ctx, s.alice, d.ID); err != nil ||
		!cmp.Equal(got, d) {
		t.Fatalf("stale writes changed it: %+v, %v", got, err)
	}

	// A duplicate number is a conflict, on create and update.
	other := s.rdCreate(s.alice, "+14085550102")
	if _, err := s.svc.CreateRemoteDestination(s.ctx, s.alice,
		selfcare.RemoteDestinationPatch{Number: selfcare.Set(rdNumber)},
		""); !errors.Is(err, selfcare.ErrDuplicateRemoteDestination) ||
		!errors.Is(err, selfcare.ErrExists) {
		t.Errorf("duplicate create: %v", err)
	}
	if _, err := s.svc.UpdateRemoteDestination(s.ctx, s.alice, other.ID,
		selfcare.RemoteDestinationPatch{Number: selfcare.Set(rdNumber)}, 1,
		""); !errors.Is(err, selfcare.ErrDuplicateRemoteDestination) {
		t.Errorf("duplicate update: %v", err)
	}

	if err := s.svc.DeleteRemoteDestination(s.ctx, s.alice, d.ID, 1, "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.RemoteDestination(s.ctx, s.alice, d.ID); !errors.Is(err,
		selfcare.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	e := s.lastAudit(selfcare.ActionRemoteDestinationDelete)
	if e.Outcome != selfcare.OutcomeOK || e.RemoteAddr != "192.0.2.9" ||
		!strings.Contains(e.Detail, rdNumber) {
		t.Errorf("delete audited as %+v", e)
	}
}

func TestRemoteDestinationLimit(t *testing.T) {
	s := newForwardSite(t)
	for i := range selfcare.DefaultRemoteDestinationLimit {
		s.rdCreate(s.alice, fmt.Sprintf("+1408555010%d", i))
	}
	_, err := s.svc.CreateRemoteDestination(s.ctx, s.alice,
		selfcare.RemoteDestinationPatch{Number: selfcare.Set("+14085550199")}, "")
	var le *selfcare.RemoteDestinationLimitError
	if !errors.As(err, &le) || le.Limit != 4 ||
		!errors.Is(err, selfcare.ErrRemoteDestinationLimit) {
		t.Fatalf("fifth: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionRemoteDestinationCreate); e.Outcome !=
		selfcare.OutcomeDenied {
		t.Errorf("refusal audited as %+v", e)
	}

	// An administrator raises alice's limit; bob keeps the default.
	if err := s.svc.SetRemoteDestinationLimit(s.ctx, "", "alice", 5); err != nil {
		t.Fatal(err)
	}
	s.rdCreate(s.alice, "+14085550199")
	if _, n, _ := s.svc.RemoteDestinations(s.ctx, s.bob); n != 4 {
		t.Errorf("bob's limit %d", n)
	}
	if e := s.lastAudit(selfcare.ActionRemoteDestinationLimit); e.Actor != "cli" ||
		e.Detail != "4 -> 5" {
		t.Errorf("limit audited as %+v", e)
	}
	for _, c := range []struct {
		name, user string
		limit      int
		is         error
	}{
		{"a limit over the maximum is refused", "alice", 51, selfcare.ErrInvalid},
		{"an unknown user is not found", "nobody", 3, selfcare.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := s.svc.SetRemoteDestinationLimit(s.ctx, "", c.user,
				c.limit); !errors.Is(err, c.is) {
				t.Errorf("err %v, want %v", err, c.is)
			}
		})
	}
	if err := s.svc.SetRemoteDestinationLimit(s.ctx, "", "alice", -1); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.svc.RemoteDestinationLimit(s.ctx, "alice"); n != 4 {
		t.Errorf("after reset: %d", n)
	}
}

func TestRemoteDestinationConcurrentCreatesKeepTheLimit(t *testing.T) {
	f := newFixture(t, selfcare.Config{RemoteDestinationLimit: 2})
	f.addAlice()
	_, p := f.login(testUser, testPassword)
	const tries = 6
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, tries)
	)
	for i := range tries {
		wg.Go(func() {
			<-start
			_, errs[i] = f.svc.CreateRemoteDestination(f.ctx, p,
				selfcare.RemoteDestinationPatch{Number: selfcare.Set(
					fmt.Sprintf("+1408555011%d", i))}, "")
		})
	}
	close(start)
	wg.Wait()
	refused := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, selfcare.ErrRemoteDestinationLimit):
			refused++
		case err != nil:
			t.Errorf("create: %v", err)
		}
	}
	ds, limit, err := f.svc.RemoteDestinations(f.ctx, p)
	if err != nil || len(ds) != 2 || limit != 2 || refused != tries-2 {
		t.Errorf("stored %d of limit %d, refused %d, %v", len(ds), limit, refused, err)
	}
}

func TestRemoteDestinationGate(t *testing.T) {
	s := newForwardSite(t)
	d := s.rdCreate(s.alice, rdNumber)
	s.setParam(params.KeyShowAdditionalPhones, "false")
	var ge *params.GateError
	_, _, err := s.svc.RemoteDestinations(s.ctx, s.alice)
	if !errors.As(err, &ge) || ge.ParamKey != params.KeyShowAdditionalPhones {
		t.Errorf("list: %v", err)
	}
	if _, err := s.svc.RemoteDestination(s.ctx, s.alice, d.ID); !errors.As(err, &ge) {
		t.Errorf("read: %v", err)
	}
	if _, err := s.svc.CreateRemoteDestination(s.ctx, s.alice,
		selfcare.RemoteDestinationPatch{Number: selfcare.Set("+14085550102")},
		""); !errors.As(err, &ge) {
		t.Errorf("create: %v", err)
	}
	if e := s.lastAudit(selfcare.ActionRemoteDestinationCreate); e.Outcome !=
		selfcare.OutcomeDenied || !strings.Contains(e.Detail, params.KeyShowAdditionalPhones) {
		t.Errorf("hidden create audited as %+v", e)
	}
	if _, err := s.svc.UpdateRemoteDestination(s.ctx, s.alice, d.ID,
		selfcare.RemoteDestinationPatch{MoveToMobile: selfcare.Set(true)}, 1,
		""); !errors.As(err, &ge) {
		t.Errorf("update: %v", err)
	}
	if err := s.svc.DeleteRemoteDestination(s.ctx, s.alice, d.ID, 1,
		""); !errors.As(err, &ge) {
		t.Errorf("delete: %v", err)
	}
	s.setParam(params.KeyShowAdditionalPhones, "true")
	if got, err := s.svc.RemoteDestination(s.ctx, s.alice, d.ID); err != nil ||
		!cmp.Equal(got, d) {
		t.Errorf("hidden writes changed it: %+v, %v", got, err)
	}
}

// BenchmarkUpdateRemoteDestination measures one checked save: parsing
// and policy for the number, the schedule, the time zone lookup and the
// store's versioned write (memstore).
func BenchmarkUpdateRemoteDestination(b *testing.B) {
	s := newForwardSite(b)
	d := s.rdCreate(s.alice, rdNumber)
	rows := []selfcare.ScheduleRow{{Day: 1, Start: "08:00", End: "12:00"},
		{Day: 1, Start: "13:00", End: "17:00"}, {Day: 2, Start: "08:00", End: "17:00"}}
	descs := []string{"Mobile", "Home"}
	v := d.Version
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		got, err := s.svc.UpdateRemoteDestination(s.ctx, s.alice, d.ID,
			selfcare.RemoteDestinationPatch{Description: selfcare.Set(descs[i%2]),
				Schedule: selfcare.Set(rows), TimeZone: selfcare.Set("Europe/Zurich")},
			v, "192.0.2.1")
		if err != nil {
			b.Fatal(err)
		}
		v = got.Version
	}
}

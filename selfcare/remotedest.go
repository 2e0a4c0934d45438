package selfcare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ucselfcare/portal/params"
)

// Remote destinations are the reference's "additional phones": phones
// outside the company system (a mobile, a home phone) that ring together
// with the user's lines when Single Number Reach is on. They belong to the
// user, each with its own version, so that editing one never races with
// editing another. Their IDs are random and looked up together with the
// owner, so that another user's ID answers exactly as a missing one.
//
// Semantics of the weekly ring schedule, after the reference: an empty
// schedule rings at all times; once there is a row, the destination rings
// only within the rows, so a day without a row does not ring at all, and
// 00:00 to 24:00 is the whole day. Times are wall-clock times in the
// destination's time zone.

// Limits of a remote destination. The reference gives no timer bounds;
// these are chosen from what each timer is for:
//
//   - Delay Before Ringing up to 30 s: longer and the caller has usually
//     reached the line's own no-answer treatment first.
//   - Answer Too Soon up to 10 s: it only needs to catch a voicemail that
//     answers at once, or a phone that is off.
//   - Answer Too Late up to 300 s, and above Answer Too Soon: a call
//     answered after the late timer is treated as voicemail, so a late
//     timer at or below the soon timer would refuse every answer.
const (
	// MaxRemoteDestinationDescription bounds a description, in characters.
	MaxRemoteDestinationDescription = 50
	// MaxDelayBeforeRinging, MaxAnswerTooSoon and MaxAnswerTooLate bound
	// the timers.
	MaxDelayBeforeRinging Timer = 300
	MaxAnswerTooSoon      Timer = 100
	MaxAnswerTooLate      Timer = 3000
	// MaxScheduleRows is the reference's number of schedule rows.
	MaxScheduleRows = 7
	// MaxRemoteDestinationLimit bounds an administrator's per-user limit.
	MaxRemoteDestinationLimit = 50
)

// Defaults of a new remote destination, the reference's.
const (
	DefaultDelayBeforeRinging Timer = 40
	DefaultAnswerTooSoon      Timer = 15
	DefaultAnswerTooLate      Timer = 190
)

// Defaults for the remote destination fields of [Config].
const (
	// DefaultRemoteDestinationLimit is how many remote destinations a
	// user may have, the value in the reference's samples.
	DefaultRemoteDestinationLimit = 4
	// DefaultRemoteDestinationTimeZone is the time zone of a new remote
	// destination's schedule.
	DefaultRemoteDestinationTimeZone = "UTC"
)

// Errors of the remote destinations.
var (
	// ErrRemoteDestinationsOff means the service's store keeps no remote
	// destinations.
	ErrRemoteDestinationsOff = fmt.Errorf("selfcare: the store keeps no remote "+
		"destinations: %w", errors.ErrUnsupported)
	// ErrRemoteDestinationLimit means the user has as many remote
	// destinations as they may have. A [*RemoteDestinationLimitError]
	// carries the limit.
	ErrRemoteDestinationLimit = errors.New("selfcare: remote destination limit reached")
	// ErrDuplicateRemoteDestination means the user already has a remote
	// destination with the number. It matches [ErrExists].
	ErrDuplicateRemoteDestination = fmt.Errorf("selfcare: the number is already an "+
		"additional phone: %w", ErrExists)
)

// RemoteDestinationLimitError refuses a new remote destination over the
// user's limit. errors.Is(err, [ErrRemoteDestinationLimit]) is true for it.
type RemoteDestinationLimitError struct {
	// Limit is the user's limit in force.
	Limit int
}

// Error says the limit.
func (e *RemoteDestinationLimitError) Error() string {
	return fmt.Sprintf("selfcare: remote destination limit of %d reached", e.Limit)
}

// Is reports whether target is [ErrRemoteDestinationLimit].
func (e *RemoteDestinationLimitError) Is(target error) bool {
	return target == ErrRemoteDestinationLimit
}

// Audit actions of the remote destinations.
const (
	ActionRemoteDestinationCreate = "remotedest.create"
	ActionRemoteDestinationUpdate = "remotedest.update"
	ActionRemoteDestinationDelete = "remotedest.delete"
	ActionRemoteDestinationLimit  = "remotedest.limit"
)

// Timer is a remote destination timer in tenths of a second, the
// precision of the reference ("4.0", "1.5").
type Timer int

// String returns the timer in seconds with one decimal, such as "4.0".
func (t Timer) String() string {
	sign := ""
	if t < 0 {
		sign, t = "-", -t
	}
	return fmt.Sprintf("%s%d.%d", sign, t/10, t%10)
}

// ParseTimer reads seconds with at most one decimal: "4", "4.0" or
// "19.5". It refuses anything else, such as "1.25", "-1" or "4s", with an
// error matching [ErrInvalid] whose text is a sentence for a person.
func ParseTimer(s string) (Timer, error) {
	bad := fmt.Errorf("%w: enter seconds with at most one decimal, such as 4.0",
		ErrInvalid)
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 4 || strings.Trim(whole, "0123456789") != "" {
		return 0, bad
	}
	if dot && (len(frac) != 1 || !isDigit(frac[0])) {
		return 0, bad
	}
	n, err := strconv.Atoi(whole)
	if err != nil {
		return 0, bad
	}
	t := Timer(n * 10)
	if dot {
		t += Timer(frac[0] - '0')
	}
	return t, nil
}

// VoicemailAvoidance is how the switch tells a person answering a remote
// destination from its voicemail; its values are the reference's.
type VoicemailAvoidance uint8

// The policies a user may choose.
const (
	// VoicemailAvoidanceSystemDefault follows the administrator's
	// setting. It is the default.
	VoicemailAvoidanceSystemDefault VoicemailAvoidance = 0
	// VoicemailAvoidanceTimer treats an answer before Answer Too Soon as
	// voicemail.
	VoicemailAvoidanceTimer VoicemailAvoidance = 1
	// VoicemailAvoidanceUser asks the person who answers to press a key.
	VoicemailAvoidanceUser VoicemailAvoidance = 2
)

var voicemailAvoidanceNames = map[VoicemailAvoidance]string{
	VoicemailAvoidanceSystemDefault: "useSystemDefault",
	VoicemailAvoidanceTimer:         "timerControl",
	VoicemailAvoidanceUser:          "userControl",
}

// String returns the policy's name in the API, such as "timerControl".
func (v VoicemailAvoidance) String() string {
	return enumString(voicemailAvoidanceNames, v, "VoicemailAvoidance")
}

// MarshalText returns the name; an unknown policy is an error.
func (v VoicemailAvoidance) MarshalText() ([]byte, error) {
	return enumMarshal(voicemailAvoidanceNames, v, "voicemail avoidance")
}

// UnmarshalText reads a name that MarshalText returns.
func (v *VoicemailAvoidance) UnmarshalText(b []byte) error {
	return enumUnmarshal(voicemailAvoidanceNames, v, b, "voicemail avoidance")
}

// ScheduleRow is one row of a weekly ring schedule: the remote
// destination rings on Day from Start until End.
type ScheduleRow struct {
	// Day is 0 for Sunday to 6 for Saturday, as time.Weekday counts.
	Day int
	// Start and End are "HH:MM" on 15-minute steps; End may be "24:00".
	Start, End string
}

// String describes the row for the audit trail, such as "Mon 08:00-17:00".
func (r ScheduleRow) String() string {
	day := strconv.Itoa(r.Day)
	if r.Day >= 0 && r.Day <= 6 {
		day = time.Weekday(r.Day).String()[:3]
	}
	return day + " " + r.Start + "-" + r.End
}

// parseTimeOfDay reads "HH:MM" on a 15-minute step, 00:00 to 24:00, as
// minutes since midnight, or returns -1.
func parseTimeOfDay(s string) int {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) ||
		!isDigit(s[3]) || !isDigit(s[4]) {
		return -1
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || m%15 != 0 || h == 24 && m != 0 {
		return -1
	}
	return h*60 + m
}

// RemoteDestination is one of a user's additional phones.
type RemoteDestination struct {
	// ID is random and opaque; it names the destination in the API.
	ID string
	// UserID is the owner; only they may see or change it.
	UserID string
	// Number is the phone number as [ParseDestination] accepted it for
	// [DestinationRemote].
	Number string
	// Description is the user's name for it, such as "Mobile".
	Description string
	// SingleNumberReach rings it together with the user's lines.
	SingleNumberReach bool
	// MoveToMobile lets the user move an active call to it.
	MoveToMobile bool
	// The timers: the wait before it rings, and the answers that count as
	// voicemail (too soon, too late).
	DelayBeforeRinging Timer
	AnswerTooSoon      Timer
	AnswerTooLate      Timer
	// VoicemailAvoidance is how a voicemail answer is told apart.
	VoicemailAvoidance VoicemailAvoidance
	// Schedule is when it rings; empty means at all times.
	Schedule []ScheduleRow
	// TimeZone is the IANA name of the schedule's time zone.
	TimeZone string
	// Version is 1 after creation and one more with every save.
	Version int64
}

// DefaultRemoteDestination returns the settings of a new remote
// destination of userID before the user's choices: Single Number Reach
// on, Move to Mobile off, the reference's timers, the system's voicemail
// avoidance, ringing at all times in timeZone.
func DefaultRemoteDestination(userID, timeZone string) RemoteDestination {
	return RemoteDestination{UserID: userID, SingleNumberReach: true,
		DelayBeforeRinging: DefaultDelayBeforeRinging, AnswerTooSoon: DefaultAnswerTooSoon,
		AnswerTooLate: DefaultAnswerTooLate, TimeZone: timeZone}
}

// String describes the destination for the audit trail.
func (d RemoteDestination) String() string {
	sched := "always"
	if len(d.Schedule) > 0 {
		parts := make([]string, 0, len(d.Schedule))
		for _, r := range d.Schedule {
			parts = append(parts, r.String())
		}
		sched = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s %q, reach %t, move %t, timers %s/%s/%s, voicemail %s, "+
		"schedule %s %s", d.Number, d.Description, d.SingleNumberReach, d.MoveToMobile,
		d.DelayBeforeRinging, d.AnswerTooSoon, d.AnswerTooLate, d.VoicemailAvoidance,
		sched, d.TimeZone)
}

// equal reports whether d and o hold the same settings.
func (d RemoteDestination) equal(o RemoteDestination) bool {
	// String shows every setting, so two equal strings are equal settings.
	return d.UserID == o.UserID && d.String() == o.String()
}

// RemoteDestinationPatch is a partial update in the manner of a JSON
// merge patch: an absent field stays as it is, a null one returns to the
// default of [DefaultRemoteDestination] ("" for the number and the
// description). A new remote destination is a patch of the default.
type RemoteDestinationPatch struct {
	Number             PatchField[string]
	Description        PatchField[string]
	SingleNumberReach  PatchField[bool]
	MoveToMobile       PatchField[bool]
	DelayBeforeRinging PatchField[Timer]
	AnswerTooSoon      PatchField[Timer]
	AnswerTooLate      PatchField[Timer]
	VoicemailAvoidance PatchField[VoicemailAvoidance]
	Schedule           PatchField[[]ScheduleRow]
	TimeZone           PatchField[string]
}

// orDefault is apply with the default def for null.
func orDefault[T any](f PatchField[T], cur, def T) T {
	if f.Null {
		return def
	}
	return f.apply(cur)
}

// Apply returns d changed by the patch; def supplies the defaults for
// null. ID, owner and version are left alone.
func (p RemoteDestinationPatch) Apply(d, def RemoteDestination) RemoteDestination {
	d.Number = p.Number.apply(d.Number)
	d.Description = p.Description.apply(d.Description)
	d.SingleNumberReach = orDefault(p.SingleNumberReach, d.SingleNumberReach,
		def.SingleNumberReach)
	d.MoveToMobile = p.MoveToMobile.apply(d.MoveToMobile)
	d.DelayBeforeRinging = orDefault(p.DelayBeforeRinging, d.DelayBeforeRinging,
		def.DelayBeforeRinging)
	d.AnswerTooSoon = orDefault(p.AnswerTooSoon, d.AnswerTooSoon, def.AnswerTooSoon)
	d.AnswerTooLate = orDefault(p.AnswerTooLate, d.AnswerTooLate, def.AnswerTooLate)
	d.VoicemailAvoidance = orDefault(p.VoicemailAvoidance, d.VoicemailAvoidance,
		def.VoicemailAvoidance)
	d.Schedule = slices.Clone(p.Schedule.apply(d.Schedule))
	d.TimeZone = orDefault(p.TimeZone, d.TimeZone, def.TimeZone)
	return d
}

// RemoteDestinationStore keeps remote destinations by user. memstore and
// sqlstore implement it; the service uses it when its [Store] does.
type RemoteDestinationStore interface {
	// RemoteDestinations returns the user's remote destinations in the
	// order they were created; none is not an error. It returns only
	// storage errors.
	RemoteDestinations(ctx context.Context, userID string) ([]RemoteDestination, error)
	// RemoteDestination returns the user's remote destination id. It
	// returns ErrNotFound, wrapped, when there is none with the id or it
	// belongs to another user.
	RemoteDestination(ctx context.Context, userID, id string) (RemoteDestination, error)
	// CreateRemoteDestination stores d, whose ID is new, at Version 1,
	// in one transaction and returns what it stored. It returns a
	// [*RemoteDestinationLimitError] when the user has limit or more
	// already, ErrDuplicateRemoteDestination when one of theirs has
	// d.Number, and ErrExists when the ID is taken, all wrapped; it
	// stores nothing then.
	CreateRemoteDestination(ctx context.Context, d RemoteDestination, limit int) (
		RemoteDestination, error)
	// UpdateRemoteDestination replaces the user's destination d.ID, in
	// one transaction, when its stored version is d.Version, and returns
	// what it stored, whose Version is d.Version+1. It returns, wrapped
	// and storing nothing: ErrNotFound as RemoteDestination does,
	// ErrVersionConflict when the version differs, and
	// ErrDuplicateRemoteDestination when another of the user's has
	// d.Number.
	UpdateRemoteDestination(ctx context.Context, d RemoteDestination) (
		RemoteDestination, error)
	// DeleteRemoteDestination removes the user's destination id when its
	// stored version is version. It returns ErrNotFound or
	// ErrVersionConflict, wrapped, and deletes nothing then.
	DeleteRemoteDestination(ctx context.Context, userID, id string, version int64) error
	// RemoteDestinationLimit returns the administrator's limit for the
	// user, or -1 when none is set. It returns only storage errors.
	RemoteDestinationLimit(ctx context.Context, userID string) (int, error)
	// SetRemoteDestinationLimit sets the user's limit; a negative limit
	// removes it. It returns only storage errors.
	SetRemoteDestinationLimit(ctx context.Context, userID string, limit int) error
}

// remoteDestinationsReady runs the checks every remote destination read
// shares: the principal, the gate and the store.
func (s *Service) remoteDestinationsReady(ctx context.Context, p *Principal) (
	RemoteDestinationStore, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if err := s.CheckFeature(ctx, p, params.FeatureAdditionalPhones); err != nil {
		return nil, err
	}
	return s.remoteDestinationStore()
}

// remoteDestinationStore returns the store's remote destinations.
func (s *Service) remoteDestinationStore() (RemoteDestinationStore, error) {
	rs, ok := s.store.(RemoteDestinationStore)
	if !ok {
		return nil, ErrRemoteDestinationsOff
	}
	return rs, nil
}

// remoteDestinationsWrite runs the checks every change shares, auditing
// a refusal by the gate under action.
func (s *Service) remoteDestinationsWrite(ctx context.Context, p *Principal,
	action, remoteAddr string) (RemoteDestinationStore, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if err := s.gate(ctx, p, params.FeatureAdditionalPhones, action,
		remoteAddr); err != nil {
		return nil, err
	}
	return s.remoteDestinationStore()
}

// RemoteDestinations returns the principal's remote destinations, in the
// order they were added, and the number they may have. It returns a
// [*params.GateError] while Show Additional Phone Settings hides them,
// and the errors of [Service.Phones].
func (s *Service) RemoteDestinations(ctx context.Context, p *Principal) (
	[]RemoteDestination, int, error) {
	rs, err := s.remoteDestinationsReady(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	ds, err := rs.RemoteDestinations(ctx, p.User.ID)
	if err != nil {
		return nil, 0, fmt.Errorf("selfcare: remote destinations: %w", err)
	}
	limit, err := s.remoteDestinationLimit(ctx, rs, p.User.ID)
	if err != nil {
		return nil, 0, err
	}
	return ds, limit, nil
}

// RemoteDestination returns the principal's remote destination id. It
// returns ErrNotFound, as for an ID that does not exist, when it is
// another user's, and the errors of [Service.RemoteDestinations].
func (s *Service) RemoteDestination(ctx context.Context, p *Principal, id string) (
	RemoteDestination, error) {
	rs, err := s.remoteDestinationsReady(ctx, p)
	if err != nil {
		return RemoteDestination{}, err
	}
	d, err := rs.RemoteDestination(ctx, p.User.ID, id)
	if err != nil {
		return RemoteDestination{}, fmt.Errorf("selfcare: remote destination: %w", err)
	}
	return d, nil
}

// CreateRemoteDestination adds a remote destination for the principal:
// patch applied to [DefaultRemoteDestination] in the configured time
// zone. It returns what is stored, at Version 1, with a new random ID.
//
// It returns, in the order it checks: the errors of
// [Service.RemoteDestinations]; a [*ValidationError] as
// [Service.UpdateRemoteDestination] does; a [*RemoteDestinationLimitError]
// when the principal has as many as they may; and
// ErrDuplicateRemoteDestination when one of theirs has the number. The
// limit is checked in the store's transaction, so concurrent creations
// never exceed it. Every creation and every refusal is audited.
func (s *Service) CreateRemoteDestination(ctx context.Context, p *Principal,
	patch RemoteDestinationPatch, remoteAddr string) (RemoteDestination, error) {
	const action = ActionRemoteDestinationCreate
	rs, err := s.remoteDestinationsWrite(ctx, p, action, remoteAddr)
	if err != nil {
		return RemoteDestination{}, err
	}
	def := DefaultRemoteDestination(p.User.ID, s.rdTimeZone)
	next := patch.Apply(def, def)
	deny := s.rdDenier(ctx, p, action, "user "+p.User.ID, remoteAddr)
	if err := s.checkRemoteDestination(ctx, next); err != nil {
		return deny(err, auditReason(err))
	}
	limit, err := s.remoteDestinationLimit(ctx, rs, p.User.ID)
	if err != nil {
		return RemoteDestination{}, err
	}
	id, err := s.newRemoteDestinationID()
	if err != nil {
		return RemoteDestination{}, err
	}
	next.ID = id
	saved, err := rs.CreateRemoteDestination(ctx, next, limit)
	switch {
	case errors.Is(err, ErrRemoteDestinationLimit),
		errors.Is(err, ErrDuplicateRemoteDestination):
		return deny(fmt.Errorf("selfcare: remote destination: %w", err),
			fmt.Sprintf("%s: %s", next, auditReason(err)))
	case err != nil:
		return RemoteDestination{}, fmt.Errorf("selfcare: remote destination: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: action,
		Target: "remote destination " + saved.ID, Outcome: OutcomeOK,
		Detail: saved.String() + " (version 1)", RemoteAddr: remoteAddr})
	return saved, nil
}

// UpdateRemoteDestination applies patch to the principal's remote
// destination id when ifMatch is its current version, and returns what is
// stored now.
//
// It returns, in the order it checks: the errors of
// [Service.RemoteDestination]; an error matching [ErrInvalid] that is a
// [*ValidationError] with one field per problem: "number" (refused by
// [ParseDestination] for [DestinationRemote], by the destination policy,
// or one of the user's own lines), "description" (too long, control or
// invisible characters), "delayBeforeRinging", "answerTooSoon",
// "answerTooLate" (out of bounds, or late not above soon),
// "voicemailAvoidance", "schedule" (too many rows), "schedule[i].day",
// ".start" or ".end" (i counts from 0; a bad day or time, start not
// before end, or rows of one day that overlap) and "timeZone" (not an
// IANA name); ErrVersionConflict when ifMatch is not the current version;
// and ErrDuplicateRemoteDestination. Every change and every refusal after
// the ownership check is audited, old and new.
func (s *Service) UpdateRemoteDestination(ctx context.Context, p *Principal, id string,
	patch RemoteDestinationPatch, ifMatch int64, remoteAddr string) (
	RemoteDestination, error) {
	const action = ActionRemoteDestinationUpdate
	rs, err := s.remoteDestinationsWrite(ctx, p, action, remoteAddr)
	if err != nil {
		return RemoteDestination{}, err
	}
	cur, err := rs.RemoteDestination(ctx, p.User.ID, id)
	if err != nil {
		return RemoteDestination{}, fmt.Errorf("selfcare: remote destination: %w", err)
	}
	deny := s.rdDenier(ctx, p, action, "remote destination "+id, remoteAddr)
	next := patch.Apply(cur, DefaultRemoteDestination(p.User.ID, s.rdTimeZone))
	if err := s.checkRemoteDestination(ctx, next); err != nil {
		return deny(err, auditReason(err))
	}
	if cur.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: remote destination: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	}
	if next.equal(cur) {
		return cur, nil
	}
	saved, err := rs.UpdateRemoteDestination(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict), errors.Is(err, ErrDuplicateRemoteDestination):
		return deny(fmt.Errorf("selfcare: remote destination: %w", err),
			fmt.Sprintf("%s -> %s: %s", cur, next, auditReason(err)))
	case err != nil:
		return RemoteDestination{}, fmt.Errorf("selfcare: remote destination: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: action,
		Target: "remote destination " + id, Outcome: OutcomeOK,
		Detail:     fmt.Sprintf("%s -> %s (version %d)", cur, saved, saved.Version),
		RemoteAddr: remoteAddr})
	return saved, nil
}

// DeleteRemoteDestination removes the principal's remote destination id
// when ifMatch is its current version. It returns the errors of
// [Service.RemoteDestination] and ErrVersionConflict; the deletion and
// every refusal after the ownership check are audited.
func (s *Service) DeleteRemoteDestination(ctx context.Context, p *Principal, id string,
	ifMatch int64, remoteAddr string) error {
	const action = ActionRemoteDestinationDelete
	rs, err := s.remoteDestinationsWrite(ctx, p, action, remoteAddr)
	if err != nil {
		return err
	}
	cur, err := rs.RemoteDestination(ctx, p.User.ID, id)
	if err != nil {
		return fmt.Errorf("selfcare: remote destination: %w", err)
	}
	deny := s.rdDenier(ctx, p, action, "remote destination "+id, remoteAddr)
	if cur.Version != ifMatch {
		_, err := deny(fmt.Errorf("selfcare: remote destination: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
		return err
	}
	err = rs.DeleteRemoteDestination(ctx, p.User.ID, id, ifMatch)
	switch {
	case errors.Is(err, ErrVersionConflict):
		_, err := deny(fmt.Errorf("selfcare: remote destination: %w", err),
			auditReason(err))
		return err
	case err != nil:
		return fmt.Errorf("selfcare: remote destination: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: action,
		Target: "remote destination " + id, Outcome: OutcomeOK,
		Detail: cur.String() + " -> deleted", RemoteAddr: remoteAddr})
	return nil
}

// SetRemoteDestinationLimit sets how many remote destinations the user
// may have; a negative limit returns them to the configured default. It
// is an administrator's operation, recorded under actor ("" is the
// command line). It returns a [*ValidationError] naming "limit" above
// [MaxRemoteDestinationLimit], ErrNotFound for an unknown user, and
// ErrRemoteDestinationsOff. Existing destinations over a lowered limit
// stay; only new ones are refused.
func (s *Service) SetRemoteDestinationLimit(ctx context.Context, actor, userID string,
	limit int) error {
	rs, err := s.remoteDestinationStore()
	if err != nil {
		return err
	}
	if limit > MaxRemoteDestinationLimit {
		v := &ValidationError{}
		v.add("limit", fmt.Sprintf("Choose a limit from 0 to %d.",
			MaxRemoteDestinationLimit))
		return v
	}
	if _, err := s.store.User(ctx, userID); err != nil {
		return fmt.Errorf("selfcare: remote destination limit: %w", err)
	}
	old, err := s.remoteDestinationLimit(ctx, rs, userID)
	if err != nil {
		return err
	}
	if err := rs.SetRemoteDestinationLimit(ctx, userID, max(limit, -1)); err != nil {
		return fmt.Errorf("selfcare: remote destination limit: %w", err)
	}
	now, err := s.remoteDestinationLimit(ctx, rs, userID)
	if err != nil {
		return err
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionRemoteDestinationLimit,
		Target: "user " + userID, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("%d -> %d", old, now)})
	return nil
}

// RemoteDestinationLimit returns the number of remote destinations the
// user may have: the administrator's limit for them, or the configured
// default.
func (s *Service) RemoteDestinationLimit(ctx context.Context, userID string) (int, error) {
	rs, err := s.remoteDestinationStore()
	if err != nil {
		return 0, err
	}
	return s.remoteDestinationLimit(ctx, rs, userID)
}

func (s *Service) remoteDestinationLimit(ctx context.Context, rs RemoteDestinationStore,
	userID string) (int, error) {
	n, err := rs.RemoteDestinationLimit(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("selfcare: remote destination limit: %w", err)
	}
	if n < 0 {
		return s.rdLimit, nil
	}
	return n, nil
}

// rdDenier returns the function that audits a refusal and returns err.
func (s *Service) rdDenier(ctx context.Context, p *Principal, action, target,
	remoteAddr string) func(error, string) (RemoteDestination, error) {
	return func(err error, detail string) (RemoteDestination, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: action, Target: target,
			Outcome: OutcomeDenied, Detail: detail, RemoteAddr: remoteAddr})
		return RemoteDestination{}, err
	}
}

// newRemoteDestinationID draws 12 random bytes: IDs that cannot be
// guessed or counted, so they say nothing about other users' objects.
func (s *Service) newRemoteDestinationID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("selfcare: remote destination ID: %w", err)
	}
	return fmt.Sprintf("%x", b), nil
}

// checkRemoteDestination checks every field and reports every problem.
func (s *Service) checkRemoteDestination(ctx context.Context, d RemoteDestination) error {
	checker, err := s.destinations()
	if err != nil {
		return err
	}
	v := &ValidationError{}

	dest, err := ParseDestination(d.Number, DestinationRemote)
	if err == nil {
		err = checker.Check(dest)
	}
	if err == nil {
		exts, xerr := s.userExtensions(ctx, d.UserID)
		if xerr != nil {
			return xerr
		}
		// Any spelling of one of their lines is that line.
		key := checker.site.lineKey(d.Number)
		if slices.ContainsFunc(exts, func(e string) bool {
			return checker.site.lineKey(e) == key
		}) {
			err = &DestinationError{Code: DestErrSelf, Path: []string{d.Number},
				Message: d.Number + " is one of your own lines. An additional phone " +
					"is a phone outside this system, such as your mobile or home phone."}
		}
	}
	if err == nil {
		err = s.checkOutsideDirectory(ctx, checker, dest)
	}
	var de *DestinationError
	switch {
	case errors.As(err, &de):
		v.add("number", de.Message)
	case err != nil:
		return err
	}
	if msg := descriptionProblem(d.Description); msg != "" {
		v.add("description", msg)
	}

	timer := func(field, what string, t, hi Timer) {
		if t < 0 || t > hi {
			v.add(field, fmt.Sprintf("Choose %s from 0.0 to %s seconds.", what, hi))
		}
	}
	timer("delayBeforeRinging", "a delay before ringing", d.DelayBeforeRinging,
		MaxDelayBeforeRinging)
	timer("answerTooSoon", "an answer-too-soon time", d.AnswerTooSoon, MaxAnswerTooSoon)
	timer("answerTooLate", "an answer-too-late time", d.AnswerTooLate, MaxAnswerTooLate)
	if d.AnswerTooLate >= 0 && d.AnswerTooLate <= MaxAnswerTooLate &&
		d.AnswerTooSoon >= 0 && d.AnswerTooLate <= d.AnswerTooSoon {
		v.add("answerTooLate", fmt.Sprintf("Answer too late must be more than answer "+
			"too soon (%s seconds): an answer between the two is the only one that "+
			"counts as a person.", d.AnswerTooSoon))
	}
	if _, ok := voicemailAvoidanceNames[d.VoicemailAvoidance]; !ok {
		v.add("voicemailAvoidance", "Choose the system default, timer control or "+
			"user control.")
	}
	checkSchedule(v, d.Schedule)
	if msg := timeZoneProblem(d.TimeZone); msg != "" {
		v.add("timeZone", msg)
	}
	return v.err()
}

// LineDirectory is implemented by a [Store] that can tell whether a
// directory number is a line of any phone without reading every user's
// phones. It is optional: without it the service reads them all.
type LineDirectory interface {
	// HasLine reports whether a line of any device has extension ext. It
	// returns only storage errors.
	HasLine(ctx context.Context, ext string) (bool, error)
}

// checkOutsideDirectory refuses a remote destination that rings a line of
// this directory. Single Number Reach rings a user's remote destinations
// with their lines, so such a number would be a forward that the loop
// check of Call Forward All cannot see: B's line ringing A's line 2001,
// while 2001 forwards all calls to B's line, loops. Refusing the number
// keeps every remote destination outside the directory, so no order of
// saves can close a loop through one.
//
// Two tests, because neither is enough alone: the destination policy's
// internal class knows the site's extension shapes, including numbers no
// phone has yet (a line added later still cannot be reached through a
// remote destination saved now); the store knows the lines that exist,
// whatever a custom policy calls their class.
func (s *Service) checkOutsideDirectory(ctx context.Context, checker *DestinationChecker,
	d Destination) error {
	inside := checker.isInternal(d)
	// A line may be stored in any spelling the site dials as the same
	// number: +14155550123 is rung by 914155550123 too.
	for _, form := range checker.site.lineSpellings(d.Number) {
		if inside {
			break
		}
		var err error
		if inside, err = s.directoryHasLine(ctx, form); err != nil {
			return err
		}
	}
	if !inside {
		return nil
	}
	return &DestinationError{Code: DestErrInternal, Path: []string{d.Number},
		Message: d.Number + " is a line of this directory; additional phones are " +
			"numbers outside it, such as a mobile or home phone."}
}

// directoryHasLine reports whether a phone of any user has a line ext.
func (s *Service) directoryHasLine(ctx context.Context, ext string) (bool, error) {
	if ld, ok := s.store.(LineDirectory); ok {
		has, err := ld.HasLine(ctx, ext)
		if err != nil {
			return false, fmt.Errorf("selfcare: remote destination: directory: %w", err)
		}
		return has, nil
	}
	// Both stores of this module implement LineDirectory; another store
	// pays for this with one read of phones per user.
	users, err := s.store.Users(ctx)
	if err != nil {
		return false, fmt.Errorf("selfcare: remote destination: directory: %w", err)
	}
	for _, u := range users {
		exts, err := s.userExtensions(ctx, u.ID)
		if err != nil {
			return false, err
		}
		if slices.Contains(exts, ext) {
			return true, nil
		}
	}
	return false, nil
}

// descriptionProblem returns why a description is refused, or "".
func descriptionProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "The description is not valid text."
	case utf8.RuneCountInString(s) > MaxRemoteDestinationDescription:
		return fmt.Sprintf("Use at most %d characters for the description.",
			MaxRemoteDestinationDescription)
	case s != "" && blankText(s):
		return "Enter a description, or leave it empty."
	case strings.ContainsFunc(s, invisibleRune):
		return "The description holds a control, line-break or invisible character."
	case edgeBlank(s):
		return "Remove the spaces at the start or end of the description."
	}
	return ""
}

// checkSchedule checks the rows and that the rows of one day do not
// overlap; rows that touch (08:00-12:00, 12:00-17:00) are fine.
func checkSchedule(v *ValidationError, rows []ScheduleRow) {
	if len(rows) > MaxScheduleRows {
		v.add("schedule", fmt.Sprintf("Use at most %d rows.", MaxScheduleRows))
		return
	}
	type span struct{ row, start, end int }
	byDay := map[int][]span{}
	for i, r := range rows {
		field := fmt.Sprintf("schedule[%d].", i)
		start, end := parseTimeOfDay(r.Start), parseTimeOfDay(r.End)
		ok := true
		if r.Day < 0 || r.Day > 6 {
			v.add(field+"day", "Choose a day from Sunday to Saturday.")
			ok = false
		}
		if start < 0 || start == 24*60 {
			v.add(field+"start", "Enter a start time from 00:00 to 23:45, in "+
				"15-minute steps, as HH:MM.")
			ok = false
		}
		if end < 0 || end == 0 {
			v.add(field+"end", "Enter an end time from 00:15 to 24:00, in "+
				"15-minute steps, as HH:MM.")
			ok = false
		}
		if ok && start >= end {
			v.add(field+"end", "The end time must be after the start time.")
			ok = false
		}
		if ok {
			byDay[r.Day] = append(byDay[r.Day], span{i, start, end})
		}
	}
	for day, spans := range byDay {
		for i, a := range spans {
			for _, b := range spans[:i] {
				if a.start < b.end && b.start < a.end {
					v.add(fmt.Sprintf("schedule[%d].start", a.row), fmt.Sprintf(
						"This row overlaps row %d on %s; join them into one.",
						b.row+1, time.Weekday(day)))
				}
			}
		}
	}
}

// timeZoneProblem returns why a time zone is refused, or "".
func timeZoneProblem(name string) string {
	// LoadLocation also reads files: a name must look like an IANA name
	// before it is given a path.
	if name == "" || len(name) > 64 || strings.Contains(name, "..") ||
		strings.HasPrefix(name, "/") || strings.Trim(name,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != "" {
		return "Enter a time zone name such as Europe/Zurich or America/New_York."
	}
	if name == "Local" {
		return "Enter a named time zone such as Europe/Zurich, not Local."
	}
	if _, err := time.LoadLocation(name); err != nil {
		return fmt.Sprintf("%s is not a time zone this server knows; use a name "+
			"such as Europe/Zurich or America/New_York.", name)
	}
	return ""
}

// remoteDestinationDefaults returns the configured limit and time zone,
// replacing what is unset or unusable with the defaults.
func remoteDestinationDefaults(cfg Config) (int, string) {
	limit := cfg.RemoteDestinationLimit
	switch {
	case limit <= 0:
		limit = DefaultRemoteDestinationLimit
	case limit > MaxRemoteDestinationLimit:
		limit = MaxRemoteDestinationLimit
	}
	tz := cfg.RemoteDestinationTimeZone
	if timeZoneProblem(tz) != "" {
		tz = DefaultRemoteDestinationTimeZone
	}
	return limit, tz
}

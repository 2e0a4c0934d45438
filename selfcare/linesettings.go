package selfcare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ucselfcare/portal/params"
)

// Line settings belong to one line appearance: one line button of one
// phone, named by the phone and the line's index. The reference sets ring
// settings, the line label, voicemail notification and missed-call
// logging per line of a phone, so two phones showing the same directory
// number keep their own. Each appearance has one version.
//
// Settings stay with the user and the directory number they were saved
// for: the store keeps both, and a record whose owner or number is no
// longer the line's (the administrator gave the phone to someone else,
// or put another number on the button) reads as the defaults. The record
// is not deleted, so its version keeps counting and an old ETag never
// matches again; the next save overwrites it. This needs no hook in
// DeviceStore.PutDevice, and a store written by an older portal is safe.
//
// The four parts are gated separately: ring settings by Show Ring
// Settings, the label by Show Line Label Settings, voicemail notification
// by Show Message Waiting Settings and missed-call logging by Show Call
// History Settings. A hidden part is not shown and cannot be changed; an
// update that touches one is refused whole.

// MaxLineLabel bounds a user's line label, in characters. The reference
// leaves it open; a line key shows far fewer, and 30 leaves room for
// wide-screen phones without letting a label become a message.
const MaxLineLabel = 30

// ErrLineSettingsOff means the service's store keeps no line settings.
var ErrLineSettingsOff = fmt.Errorf("selfcare: the store keeps no line settings: %w",
	errors.ErrUnsupported)

// ActionLineSettings is the audit action of [Service.UpdateLineSettings].
const ActionLineSettings = "linesettings.change"

// lineValue is what the errors of the line settings' names call a value;
// the three kinds share it, as the API reports them alike.
const lineValue = "line setting value"

// RingSetting is how a line rings, when the phone is idle or when it is
// already on a call; its values are the reference's (0 to 5).
type RingSetting uint8

// The ring settings a user may choose.
const (
	// RingSystemDefault leaves it to the system. It is the default.
	RingSystemDefault RingSetting = 0
	RingDisable       RingSetting = 1
	RingFlashOnly     RingSetting = 2
	RingOnce          RingSetting = 3
	RingRing          RingSetting = 4
	RingBeepOnly      RingSetting = 5
)

var ringNames = map[RingSetting]string{RingSystemDefault: "useSystemDefault",
	RingDisable: "disable", RingFlashOnly: "flashOnly", RingOnce: "ringOnce",
	RingRing: "ring", RingBeepOnly: "beepOnly"}

// String returns the setting's name in the API, such as "flashOnly".
func (r RingSetting) String() string { return enumString(ringNames, r, "RingSetting") }

// MarshalText returns the name; an unknown setting is an error.
func (r RingSetting) MarshalText() ([]byte, error) {
	return enumMarshal(ringNames, r, lineValue)
}

// UnmarshalText reads a name that MarshalText returns.
func (r *RingSetting) UnmarshalText(b []byte) error {
	return enumUnmarshal(ringNames, r, b, lineValue)
}

// MWIVisual is how a line shows waiting voicemail: the message-waiting
// light and the screen prompt. Its values are the reference's (0 to 4).
type MWIVisual uint8

// The visual notifications a user may choose.
const (
	// MWIUseSystemPolicy leaves it to the system. It is the default.
	MWIUseSystemPolicy MWIVisual = 0
	MWILightAndPrompt  MWIVisual = 1
	MWIPromptOnly      MWIVisual = 2
	MWILightOnly       MWIVisual = 3
	MWINone            MWIVisual = 4
)

var mwiVisualNames = map[MWIVisual]string{MWIUseSystemPolicy: "useSystemPolicy",
	MWILightAndPrompt: "lightAndPrompt", MWIPromptOnly: "promptOnly",
	MWILightOnly: "lightOnly", MWINone: "none"}

// String returns the name in the API, such as "lightOnly".
func (v MWIVisual) String() string { return enumString(mwiVisualNames, v, "MWIVisual") }

// MarshalText returns the name; an unknown value is an error.
func (v MWIVisual) MarshalText() ([]byte, error) {
	return enumMarshal(mwiVisualNames, v, lineValue)
}

// UnmarshalText reads a name that MarshalText returns.
func (v *MWIVisual) UnmarshalText(b []byte) error {
	return enumUnmarshal(mwiVisualNames, v, b, lineValue)
}

// MWIAudible is whether the line plays a stutter tone for waiting
// voicemail while the user is on a call; its values are the reference's.
type MWIAudible uint8

// The audible notifications a user may choose.
const (
	MWIAudibleOff MWIAudible = 0
	MWIAudibleOn  MWIAudible = 1
	// MWIAudibleDefault leaves it to the system. It is the default.
	MWIAudibleDefault MWIAudible = 2
)

var mwiAudibleNames = map[MWIAudible]string{MWIAudibleOff: "off", MWIAudibleOn: "on",
	MWIAudibleDefault: "default"}

// String returns the name in the API: "off", "on" or "default".
func (a MWIAudible) String() string { return enumString(mwiAudibleNames, a, "MWIAudible") }

// MarshalText returns the name; an unknown value is an error.
func (a MWIAudible) MarshalText() ([]byte, error) {
	return enumMarshal(mwiAudibleNames, a, lineValue)
}

// UnmarshalText reads a name that MarshalText returns.
func (a *MWIAudible) UnmarshalText(b []byte) error {
	return enumUnmarshal(mwiAudibleNames, a, b, lineValue)
}

// LineSettings are a user's settings of one line appearance.
type LineSettings struct {
	// Device and Index name the line appearance.
	Device string
	Index  int
	// Owner and Extension are the phone's owner and the line's directory
	// number when the settings were saved; they are "" until then.
	Owner     string
	Extension string

	// RingIdle is how the line rings while the phone is idle (the
	// reference's notOnACallRingPreference), RingOnCall while it is on a
	// call (onACallRingPreference).
	RingIdle   RingSetting
	RingOnCall RingSetting
	// Label is the user's text for the line; "" for none, and then the
	// administrator's [Line.Label] is what the phone shows.
	Label string
	// MWIVisual and MWIAudible are the voicemail notification.
	MWIVisual  MWIVisual
	MWIAudible MWIAudible
	// LogMissedCalls keeps missed calls in the phone's call history.
	LogMissedCalls bool

	// Version counts the saves: 0 for an appearance never saved, one more
	// with every save.
	Version int64
}

// DefaultLineSettings returns the settings of a line appearance nobody
// saved: system defaults everywhere, no label, missed calls logged.
func DefaultLineSettings(device string, index int) LineSettings {
	return LineSettings{Device: device, Index: index, RingIdle: RingSystemDefault,
		RingOnCall: RingSystemDefault, MWIVisual: MWIUseSystemPolicy,
		MWIAudible: MWIAudibleDefault, LogMissedCalls: true}
}

// String describes the settings for the audit trail.
func (l LineSettings) String() string {
	return fmt.Sprintf("ring idle %s, on a call %s, label %s, voicemail %s, "+
		"stutter tone %s, log missed calls %t", l.RingIdle, l.RingOnCall,
		strconv.Quote(l.Label), l.MWIVisual, l.MWIAudible, l.LogMissedCalls)
}

// lineChanges describes, for the audit trail, each field that differs
// between old and new as "name old -> new": the whole settings would not
// fit in an audit event's detail.
func lineChanges(old, new LineSettings) string {
	var parts []string
	add := func(name string, differ bool, o, n any) {
		if differ {
			parts = append(parts, fmt.Sprintf("%s %v -> %v", name, o, n))
		}
	}
	add("ring idle", old.RingIdle != new.RingIdle, old.RingIdle, new.RingIdle)
	add("ring on a call", old.RingOnCall != new.RingOnCall, old.RingOnCall,
		new.RingOnCall)
	add("label", old.Label != new.Label, strconv.Quote(old.Label),
		strconv.Quote(new.Label))
	add("voicemail", old.MWIVisual != new.MWIVisual, old.MWIVisual, new.MWIVisual)
	add("stutter tone", old.MWIAudible != new.MWIAudible, old.MWIAudible,
		new.MWIAudible)
	add("log missed calls", old.LogMissedCalls != new.LogMissedCalls,
		old.LogMissedCalls, new.LogMissedCalls)
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// sameValues reports whether a and b hold the same settings, whatever
// their owner, number and version.
func (l LineSettings) sameValues(b LineSettings) bool {
	l.Owner, l.Extension, l.Version = b.Owner, b.Extension, b.Version
	return l == b
}

// LineSection is one separately gated part of [LineSettings].
type LineSection uint8

// The parts of the line settings, in the order the portal shows them.
const (
	// LineRing is RingIdle and RingOnCall.
	LineRing LineSection = iota
	// LineLabel is Label.
	LineLabel
	// LineMessageWaiting is MWIVisual and MWIAudible.
	LineMessageWaiting
	// LineCallHistory is LogMissedCalls.
	LineCallHistory
)

var lineSectionFeatures = [...]params.Feature{
	LineRing:           params.FeatureRingSettings,
	LineLabel:          params.FeatureLineLabels,
	LineMessageWaiting: params.FeatureMessageWaiting,
	LineCallHistory:    params.FeatureCallHistory,
}

// LineSections returns every part, in the order the portal shows them.
func LineSections() []LineSection {
	return []LineSection{LineRing, LineLabel, LineMessageWaiting, LineCallHistory}
}

// Feature returns the feature whose parameter gates the part.
func (sec LineSection) Feature() params.Feature {
	if int(sec) >= len(lineSectionFeatures) {
		return ""
	}
	return lineSectionFeatures[sec]
}

// LineSettingsPatch is a partial update in the manner of a JSON merge
// patch: an absent field stays as it is, a null one returns to its
// default ([DefaultLineSettings]); a null or empty Label removes it.
type LineSettingsPatch struct {
	RingIdle       PatchField[RingSetting]
	RingOnCall     PatchField[RingSetting]
	Label          PatchField[string]
	MWIVisual      PatchField[MWIVisual]
	MWIAudible     PatchField[MWIAudible]
	LogMissedCalls PatchField[bool]

	// AdminFields names members of the request that only an administrator
	// may set, such as the extension or the administrator's label. The
	// service refuses the update naming them, and audits the attempt.
	AdminFields []string
}

// Touches reports whether the patch changes a field of the part.
func (p LineSettingsPatch) Touches(sec LineSection) bool {
	switch sec {
	case LineRing:
		return p.RingIdle.Present || p.RingOnCall.Present
	case LineLabel:
		return p.Label.Present
	case LineMessageWaiting:
		return p.MWIVisual.Present || p.MWIAudible.Present
	case LineCallHistory:
		return p.LogMissedCalls.Present
	}
	return false
}

// Apply returns l changed by the patch. Owner, number and version are
// left alone.
func (p LineSettingsPatch) Apply(l LineSettings) LineSettings {
	def := DefaultLineSettings(l.Device, l.Index)
	l.RingIdle = applyLineField(p.RingIdle, l.RingIdle, def.RingIdle)
	l.RingOnCall = applyLineField(p.RingOnCall, l.RingOnCall, def.RingOnCall)
	l.Label = applyLineField(p.Label, l.Label, def.Label)
	l.MWIVisual = applyLineField(p.MWIVisual, l.MWIVisual, def.MWIVisual)
	l.MWIAudible = applyLineField(p.MWIAudible, l.MWIAudible, def.MWIAudible)
	l.LogMissedCalls = applyLineField(p.LogMissedCalls, l.LogMissedCalls, def.LogMissedCalls)
	return l
}

// applyLineField is PatchField.apply with def, not the zero value, for null.
func applyLineField[T any](f PatchField[T], cur, def T) T {
	if f.Null {
		return def
	}
	return f.apply(cur)
}

// LineAppearance is one line of one of the user's phones, as the
// administrator configured it, with the user's settings for it.
type LineAppearance struct {
	Device string
	// Line is the administrator's line; its Label is the administrator's.
	Line     Line
	Settings LineSettings
}

// ShownLabel returns the label the phone shows: the user's, or else the
// administrator's, or "" for none.
func (a LineAppearance) ShownLabel() string {
	if a.Settings.Label != "" {
		return a.Settings.Label
	}
	return a.Line.Label
}

// LineSettingsStore keeps line settings by phone and line index. memstore
// and sqlstore implement it; the service uses it when its [Store] does.
type LineSettingsStore interface {
	// LineSettings returns what is stored for line index of device. An
	// appearance with nothing stored reads as [DefaultLineSettings] at
	// Version 0, with no owner or number: the store does not know which
	// lines exist, so this is not ErrNotFound. It returns only storage
	// errors.
	LineSettings(ctx context.Context, device string, index int) (LineSettings, error)
	// DeviceLineSettings returns what is stored for the lines of device,
	// ordered by index; lines with nothing stored are left out. It
	// returns only storage errors.
	DeviceLineSettings(ctx context.Context, device string) ([]LineSettings, error)
	// UpdateLineSettings stores l, owner and number included, in one
	// transaction, when the stored version (0 when nothing is stored) is
	// l.Version, and returns what it stored, whose Version is l.Version+1.
	// It returns ErrVersionConflict, wrapped, when the version differs,
	// and writes nothing then. The caller has checked the values.
	UpdateLineSettings(ctx context.Context, l LineSettings) (LineSettings, error)
}

// VisibleLineSections returns the parts of the line settings that the
// parameters show to p, in the order the portal shows them.
func (s *Service) VisibleLineSections(ctx context.Context, p *Principal) []LineSection {
	var out []LineSection
	for _, sec := range LineSections() {
		if s.CheckFeature(ctx, p, sec.Feature()) == nil {
			out = append(out, sec)
		}
	}
	return out
}

// lineSettingsReady runs the checks every line settings operation shares:
// the principal, at least one visible part (otherwise the gate error of
// the first), and the store.
func (s *Service) lineSettingsReady(ctx context.Context, p *Principal) (
	LineSettingsStore, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if len(s.VisibleLineSections(ctx, p)) == 0 {
		if err := s.CheckFeature(ctx, p, LineRing.Feature()); err != nil {
			return nil, err
		}
	}
	ls, ok := s.store.(LineSettingsStore)
	if !ok {
		return nil, ErrLineSettingsOff
	}
	return ls, nil
}

// lineSettingsPhone returns device when it is one of the principal's phones;
// otherwise ErrNotFound, as for a phone that does not exist.
func (s *Service) lineSettingsPhone(ctx context.Context, p *Principal, device string) (Device,
	error) {
	ds, err := s.store.UserDevices(ctx, p.User.ID)
	if err != nil {
		return Device{}, fmt.Errorf("selfcare: line settings: %w", err)
	}
	i := slices.IndexFunc(ds, func(d Device) bool { return d.Name == device })
	if i < 0 {
		return Device{}, fmt.Errorf("selfcare: line settings: phone %q: %w",
			displayLine(device), ErrNotFound)
	}
	return ds[i], nil
}

// joinLineSettings joins a line of d with a stored record, which counts only
// while it was saved for the phone's owner and the line's number.
func joinLineSettings(d Device, l Line, stored LineSettings) LineAppearance {
	cur := stored
	if stored.Owner != d.Owner || stored.Extension != l.Extension {
		cur = DefaultLineSettings(d.Name, l.Index)
		cur.Version = stored.Version
	}
	cur.Device, cur.Index, cur.Owner, cur.Extension = d.Name, l.Index, d.Owner, l.Extension
	return LineAppearance{Device: d.Name, Line: l, Settings: cur}
}

// LineAppearances returns the lines of device, one of the principal's
// phones, with their settings, in the order the phone has them. It
// returns ErrNotFound, as for a phone that does not exist, when the phone
// is not the principal's; a [*params.GateError] naming Show Ring Settings
// when the parameters hide every part; and the errors of [Service.Phones].
func (s *Service) LineAppearances(ctx context.Context, p *Principal, device string) (
	[]LineAppearance, error) {
	ls, err := s.lineSettingsReady(ctx, p)
	if err != nil {
		return nil, err
	}
	d, err := s.lineSettingsPhone(ctx, p, device)
	if err != nil {
		return nil, err
	}
	stored, err := ls.DeviceLineSettings(ctx, device)
	if err != nil {
		return nil, fmt.Errorf("selfcare: line settings: %w", err)
	}
	out := make([]LineAppearance, 0, len(d.Lines))
	for _, l := range d.Lines {
		rec := DefaultLineSettings(device, l.Index)
		if i := slices.IndexFunc(stored, func(x LineSettings) bool {
			return x.Index == l.Index
		}); i >= 0 {
			rec = stored[i]
		}
		out = append(out, joinLineSettings(d, l, rec))
	}
	return out, nil
}

// LineAppearance returns line index of device, one of the principal's
// phones, with its settings. It returns ErrNotFound, as for a phone that
// does not exist, when the phone is not the principal's or has no such
// line, and otherwise the errors of [Service.LineAppearances].
func (s *Service) LineAppearance(ctx context.Context, p *Principal, device string,
	index int) (LineAppearance, error) {
	ls, err := s.lineSettingsReady(ctx, p)
	if err != nil {
		return LineAppearance{}, err
	}
	return s.lineAppearance(ctx, ls, p, device, index)
}

func (s *Service) lineAppearance(ctx context.Context, ls LineSettingsStore, p *Principal,
	device string, index int) (LineAppearance, error) {
	d, err := s.lineSettingsPhone(ctx, p, device)
	if err != nil {
		return LineAppearance{}, err
	}
	i := slices.IndexFunc(d.Lines, func(l Line) bool { return l.Index == index })
	if i < 0 {
		// The same answer as for a phone that does not exist, so that
		// nobody learns which phones exist by probing line numbers.
		return LineAppearance{}, fmt.Errorf("selfcare: line settings: phone %q: %w",
			displayLine(device), ErrNotFound)
	}
	rec, err := ls.LineSettings(ctx, device, index)
	if err != nil {
		return LineAppearance{}, fmt.Errorf("selfcare: line settings: %w", err)
	}
	return joinLineSettings(d, d.Lines[i], rec), nil
}

// UpdateLineSettings applies patch to the settings of line index of
// device, one of the principal's phones, when ifMatch is their current
// version, and returns the line with what is stored now. Fields the patch
// leaves alone stay as they are, hidden ones too.
//
// It returns, in the order it checks: the errors of [Service.Phones]; a
// [*params.GateError] naming the parameter of the first part the patch
// touches that the parameters hide (or of ring settings when they hide
// every part); ErrNotFound when the phone is not the principal's or has
// no such line; an error matching [ErrInvalid] that is a
// [*ValidationError] naming each member in patch.AdminFields, or each bad
// value: "notOnACallRingPreference", "onACallRingPreference",
// "messageWaitingVisualAlertPreference",
// "messageWaitingAudibleAlertPreference" outside their constants, and
// "label" when it is blank, longer than [MaxLineLabel] characters, not
// UTF-8, or holds control or invisible characters; and ErrVersionConflict
// when ifMatch is not the current version. Nothing is changed on any
// error. Every change and every refusal of a write is audited, the
// change with the old and new settings.
func (s *Service) UpdateLineSettings(ctx context.Context, p *Principal, device string,
	index int, patch LineSettingsPatch, ifMatch int64, remoteAddr string) (
	LineAppearance, error) {
	if err := s.ready(p); err != nil {
		return LineAppearance{}, err
	}

	// Every touched part must be shown, before anything else is looked at;
	// so must one part at least, as for a read.
	for _, sec := range LineSections() {
		if !patch.Touches(sec) {
			continue
		}
		if err := s.gate(ctx, p, sec.Feature(), ActionLineSettings,
			remoteAddr); err != nil {
			return LineAppearance{}, err
		}
	}
	if len(s.VisibleLineSections(ctx, p)) == 0 {
		if err := s.gate(ctx, p, LineRing.Feature(), ActionLineSettings,
			remoteAddr); err != nil {
			return LineAppearance{}, err
		}
	}
	ls, err := s.lineSettingsReady(ctx, p)
	if err != nil {
		return LineAppearance{}, err
	}
	target := "phone " + device + " line " + strconv.Itoa(index)
	deny := func(err error, detail string) (LineAppearance, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionLineSettings,
			Target: target, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return LineAppearance{}, err
	}
	cur, err := s.lineAppearance(ctx, ls, p, device, index)
	if errors.Is(err, ErrNotFound) {
		return deny(err, "no such line on the user's phones")
	}
	if err != nil {
		return LineAppearance{}, err
	}

	v := &ValidationError{}
	for _, f := range patch.AdminFields {
		v.add(f, "Only your administrator can change this.")
	}
	checkLineSettingsPatch(v, patch)
	if err := v.err(); err != nil {
		return deny(err, auditReason(err))
	}
	if cur.Settings.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: line settings: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Settings.Version))
	}
	next := patch.Apply(cur.Settings)
	if next.sameValues(cur.Settings) {
		return cur, nil
	}
	saved, err := ls.UpdateLineSettings(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: line settings: %w", err),
			fmt.Sprintf("%s: %s", lineChanges(cur.Settings, next), auditReason(err)))
	case err != nil:
		return LineAppearance{}, fmt.Errorf("selfcare: line settings: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionLineSettings,
		Target: target, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("%s (version %d)", lineChanges(cur.Settings, saved),
			saved.Version), RemoteAddr: remoteAddr})
	cur.Settings = saved
	return cur, nil
}

// checkLineSettingsPatch adds a problem for every value the patch sets
// that is not allowed. Null is always allowed: it means the default.
func checkLineSettingsPatch(v *ValidationError, p LineSettingsPatch) {
	if p.RingIdle.Present && !p.RingIdle.Null {
		if _, ok := ringNames[p.RingIdle.Value]; !ok {
			v.add("notOnACallRingPreference", lineRingChoices)
		}
	}
	if p.RingOnCall.Present && !p.RingOnCall.Null {
		if _, ok := ringNames[p.RingOnCall.Value]; !ok {
			v.add("onACallRingPreference", lineRingChoices)
		}
	}
	if p.MWIVisual.Present && !p.MWIVisual.Null {
		if _, ok := mwiVisualNames[p.MWIVisual.Value]; !ok {
			v.add("messageWaitingVisualAlertPreference", "Choose Use System Policy, "+
				"Light and Prompt, Prompt Only, Light Only or None.")
		}
	}
	if p.MWIAudible.Present && !p.MWIAudible.Null {
		if _, ok := mwiAudibleNames[p.MWIAudible.Value]; !ok {
			v.add("messageWaitingAudibleAlertPreference", "Choose Off, On or Default.")
		}
	}
	if p.Label.Present && !p.Label.Null {
		if msg := lineLabelProblem(p.Label.Value); msg != "" {
			v.add("label", msg)
		}
	}
}

const lineRingChoices = "Choose Use System Default, Disable, Flash Only, Ring Once, Ring " +
	"or Beep Only."

// lineLabelProblem returns why a line label is refused, or "". The empty
// label is allowed: it removes the user's label.
func lineLabelProblem(label string) string {
	switch {
	case label == "":
		return ""
	case !utf8.ValidString(label):
		return "The label is not valid text."
	case utf8.RuneCountInString(label) > MaxLineLabel:
		return fmt.Sprintf("Use at most %d characters for the label.", MaxLineLabel)
	case blankText(label):
		return "The label is only spaces; clear it to show your administrator's label."
	}
	// The speed dial label's rules for control and invisible characters.
	return labelProblem(label, false)
}

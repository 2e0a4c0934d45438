package selfcare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ucselfcare/portal/params"
)

// What a user sets on their phones, and the language they read them in.
//
// A phone carries two descriptions: the administrator's, which arrives
// with the device, and the user's, which overrides it while it is not
// empty. The user's lives apart from the device, keyed by phone and
// owner, so that an administrator who puts the device again (a new
// model, new lines) does not wipe it, and so that a phone handed to
// another user does not carry the first user's text along.
//
// The phone display language is per phone and shown only while Show Phone
// Display Locale allows; a phone without one follows the user's display
// language. The user's display language is [User.Locale] itself, the
// field an administrator sets when creating the user: there is one
// language per user, as in the reference, and whoever changed it last
// wins, each change audited. Both take their values only from the
// installed locales ([Config.InstalledLocales]).

// MaxPhoneDescription bounds a user's phone description, in characters.
// The description names the phone on My Phones and in the phone's title
// bar: 50 characters hold "Reception desk, 3rd floor, building B" with
// room to spare and still fit one line of either, while the 128 an
// administrator may use are for inventory notes nobody reads on a phone.
const MaxPhoneDescription = 50

// DefaultInstalledLocales are the locales a site offers when
// [Config.InstalledLocales] is empty. English (United States) comes first
// because it is [DefaultLocale], the locale of a new user and of a phone
// or user returned to the default; the others are the languages most
// often installed besides it in Europe and the Americas. A site lists
// what its phones really have loaded.
var DefaultInstalledLocales = []string{"en_US", "en_GB", "fr_FR", "de_DE", "es_ES"}

// localeNames gives the locales a site is likely to install a name that a
// person recognises; any other valid locale is shown by its code.
var localeNames = map[string]string{
	"en_US": "English (United States)", "en_GB": "English (United Kingdom)",
	"fr_FR": "French (France)", "fr_CA": "French (Canada)",
	"de_DE": "German (Germany)", "de_CH": "German (Switzerland)",
	"es_ES": "Spanish (Spain)", "es_419": "Spanish (Latin America)",
	"it_IT": "Italian (Italy)", "nl_NL": "Dutch (Netherlands)",
	"pt_BR": "Portuguese (Brazil)", "pt_PT": "Portuguese (Portugal)",
	"ja_JP": "Japanese (Japan)", "zh_CN": "Chinese (China)",
	"ko_KR": "Korean (Korea)", "sv_SE": "Swedish (Sweden)",
	"da_DK": "Danish (Denmark)", "nb_NO": "Norwegian (Norway)",
	"fi_FI": "Finnish (Finland)", "pl_PL": "Polish (Poland)",
}

// Locale is one installed locale.
type Locale struct {
	// Code is the locale name, such as en_US.
	Code string
	// Name is what a person reads, such as "English (United States)"; the
	// code itself for a locale without a known name.
	Name string
}

// LocaleOf returns code with its name.
func LocaleOf(code string) Locale {
	if n, ok := localeNames[code]; ok {
		return Locale{Code: code, Name: n}
	}
	return Locale{Code: code, Name: code}
}

// CheckInstalledLocales reports what is wrong with a list of installed
// locales: an empty list, a name that does not look like en_US (see
// [Service.CreateUser]) or one listed twice. It returns a
// [*ValidationError] with one field per problem, "installedLocales[i]".
func CheckInstalledLocales(locales []string) error {
	v := &ValidationError{}
	if len(locales) == 0 {
		v.add("installedLocales", "List at least one locale.")
	}
	seen := map[string]bool{}
	for i, l := range locales {
		field := fmt.Sprintf("installedLocales[%d]", i)
		switch {
		case !validLocale(l):
			v.add(field, fmt.Sprintf("%q does not look like en_US: a language of 2 or "+
				"3 letters, then optionally _ and a region.", clean(l)))
		case seen[l]:
			v.add(field, fmt.Sprintf("%s is listed twice.", l))
		}
		seen[l] = true
	}
	return v.err()
}

// installedLocales returns the list New keeps: cfg's when it is good, the
// defaults otherwise, since New reports nothing and a site with a typo in
// its list is better served by the defaults than by half a list.
func installedLocales(cfg []string, log *slog.Logger) []string {
	if len(cfg) == 0 {
		return slices.Clone(DefaultInstalledLocales)
	}
	if err := CheckInstalledLocales(cfg); err != nil {
		log.Warn("selfcare: installed locales refused; the defaults apply", "err", err)
		return slices.Clone(DefaultInstalledLocales)
	}
	return slices.Clone(cfg)
}

// InstalledLocales returns the locales users may choose from, in the
// order the site listed them; the first is the default.
func (s *Service) InstalledLocales() []Locale {
	out := make([]Locale, 0, len(s.locales))
	for _, c := range s.locales {
		out = append(out, LocaleOf(c))
	}
	return out
}

// defaultLocale is the site's default: the first installed locale.
func (s *Service) defaultLocale() string { return s.locales[0] }

// installed reports whether code is one of the installed locales.
func (s *Service) installed(code string) bool { return slices.Contains(s.locales, code) }

// Audit actions of this file.
const (
	// ActionPhoneSettings is the audit action of [Service.UpdatePhone].
	ActionPhoneSettings = "phone.settings.change"
	// ActionLanguage is the audit action of [Service.UpdateLanguage].
	ActionLanguage = "language.change"
)

// ErrPhoneSettingsOff means the service's store keeps no phone settings or
// no display language versions.
var ErrPhoneSettingsOff = fmt.Errorf("selfcare: the store keeps no phone settings: %w",
	errors.ErrUnsupported)

// Sources of a phone's description or display language: whose value the
// phone shows.
const (
	SourceUser  = "user"  // the user's description, or the user's language
	SourceAdmin = "admin" // the administrator's description
	SourcePhone = "phone" // the language chosen for this phone
)

// PhoneSettings is what a user set on one of their phones.
type PhoneSettings struct {
	// Device is the phone's name; Owner the user the settings belong to.
	Device string
	Owner  string
	// Description is the user's description; "" means none, and the
	// administrator's shows.
	Description string
	// PhoneLocale is the phone's display language; "" means none, and the
	// phone follows the user's display language.
	PhoneLocale string
	// Version counts the saves: 0 while nothing was saved, one more with
	// every save.
	Version int64
}

// String describes the settings for the audit trail.
func (ps PhoneSettings) String() string {
	return fmt.Sprintf("description=%q phoneLocale=%q", ps.Description, ps.PhoneLocale)
}

// PhoneSettingsPatch is a partial update in the manner of a JSON merge
// patch: an absent field stays, a null one, like "", returns to none.
type PhoneSettingsPatch struct {
	Description PatchField[string]
	PhoneLocale PatchField[string]
}

// Apply returns ps changed by the patch. The version is left alone.
func (p PhoneSettingsPatch) Apply(ps PhoneSettings) PhoneSettings {
	ps.Description = p.Description.apply(ps.Description)
	ps.PhoneLocale = p.PhoneLocale.apply(ps.PhoneLocale)
	return ps
}

// PhoneDetail is one of the user's phones with what they set on it.
type PhoneDetail struct {
	// Device is the phone as [Service.Phones] returns it: its Description
	// is the user's.
	Device Device
	// Settings holds the user's description and display language and the
	// version that guards them.
	Settings PhoneSettings
	// UserLocale is the user's display language, which the phone follows
	// while it has none of its own.
	UserLocale string
}

// Description returns what the phone shows as its name and whose it is:
// [SourceUser] or [SourceAdmin].
func (d PhoneDetail) Description() (string, string) {
	if d.Settings.Description != "" {
		return d.Settings.Description, SourceUser
	}
	return d.Device.AdminDescription, SourceAdmin
}

// PhoneLocale returns the language the phone shows and why: [SourcePhone]
// for its own, [SourceUser] when it follows the user's.
func (d PhoneDetail) PhoneLocale() (string, string) {
	if d.Settings.PhoneLocale != "" {
		return d.Settings.PhoneLocale, SourcePhone
	}
	return d.UserLocale, SourceUser
}

// UserLanguage is a user's display language, [User.Locale], with a version.
type UserLanguage struct {
	UserID string
	Locale string
	// Version changes whenever the locale does, whoever changed it.
	Version int64
}

// PhoneSettingsStore keeps what users set on their phones, by phone and
// owner. memstore and sqlstore implement it; the service uses it when its
// [Store] does.
type PhoneSettingsStore interface {
	// PhoneSettings returns what owner set on the phone named device.
	// Nothing stored, or settings stored while someone else owned the
	// phone, read as settings with only Device and Owner filled, at
	// Version 0; this is not ErrNotFound. It returns only storage errors.
	PhoneSettings(ctx context.Context, device, owner string) (PhoneSettings, error)
	// UserPhoneSettings returns the settings stored for the phones userID
	// owns now, ordered by device; phones without any are left out. It
	// returns only storage errors.
	UserPhoneSettings(ctx context.Context, userID string) ([]PhoneSettings, error)
	// UpdatePhoneSettings stores ps, in one transaction, when the phone
	// ps.Device exists and belongs to ps.Owner and the stored version (0
	// when nothing is stored for that owner) is ps.Version, and returns
	// what it stored, whose Version is ps.Version+1. It returns
	// ErrNotFound, wrapped, when the phone is missing or another user's,
	// and ErrVersionConflict, wrapped, when the version differs; it writes
	// nothing then. The caller has checked the values.
	UpdatePhoneSettings(ctx context.Context, ps PhoneSettings) (PhoneSettings, error)

	// PutDevice of the [DeviceStore] keeps the settings of a device whose
	// owner stays, and drops them when the owner changes.
}

// LanguageStore keeps a version for each user's display language, which
// is [User.Locale]. memstore and sqlstore implement it.
type LanguageStore interface {
	// UserLanguage returns the user's locale and its version: 0 until it
	// first changes after the user was created, and different after every
	// change, [UserStore.UpdateProfile] included. It returns ErrNotFound,
	// wrapped, for an unknown user.
	UserLanguage(ctx context.Context, userID string) (UserLanguage, error)
	// UpdateUserLanguage sets the user's locale to l.Locale, in one
	// transaction, when its version is l.Version, and returns what it
	// stored, whose Version is l.Version+1. It returns ErrNotFound,
	// wrapped, for an unknown user and ErrVersionConflict, wrapped, when
	// the version differs; it writes nothing then. The caller has checked
	// the locale.
	UpdateUserLanguage(ctx context.Context, l UserLanguage) (UserLanguage, error)
}

// phoneSettingsStore returns the store's phone settings, or
// ErrPhoneSettingsOff.
func (s *Service) phoneSettingsStore() (PhoneSettingsStore, error) {
	ps, ok := s.store.(PhoneSettingsStore)
	if !ok {
		return nil, ErrPhoneSettingsOff
	}
	return ps, nil
}

// withUserDescriptions lays the users' descriptions over ds, the devices
// of userID, so that every page shows what the user chose. A store
// without phone settings leaves ds as the device store has them.
func (s *Service) withUserDescriptions(ctx context.Context, userID string, ds []Device) (
	[]Device, error) {
	pss, err := s.phoneSettingsStore()
	if err != nil || len(ds) == 0 {
		return ds, nil
	}
	sets, err := pss.UserPhoneSettings(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("selfcare: phones: %w", err)
	}
	for _, set := range sets {
		i := slices.IndexFunc(ds, func(d Device) bool { return d.Name == set.Device })
		if i >= 0 {
			ds[i].Description = set.Description
		}
	}
	return ds, nil
}

// phoneReady runs the checks every phone settings operation shares: the
// principal, the store, and that the phone is the principal's. It
// returns the phone with the user's description laid over it.
func (s *Service) phoneReady(ctx context.Context, p *Principal, device string) (
	PhoneSettingsStore, Device, error) {
	if err := s.ready(p); err != nil {
		return nil, Device{}, err
	}
	pss, err := s.phoneSettingsStore()
	if err != nil {
		return nil, Device{}, err
	}
	ds, err := s.store.UserDevices(ctx, p.User.ID)
	if err != nil {
		return nil, Device{}, fmt.Errorf("selfcare: phone: %w", err)
	}
	i := slices.IndexFunc(ds, func(d Device) bool { return d.Name == device })
	if i < 0 {
		return nil, Device{}, fmt.Errorf("selfcare: phone %q: %w", displayLine(device),
			ErrNotFound)
	}
	return pss, ds[i], nil
}

// phoneDetail loads the settings of d, a phone of p, and the user's
// language.
func (s *Service) phoneDetail(ctx context.Context, pss PhoneSettingsStore, p *Principal,
	d Device) (PhoneDetail, error) {
	set, err := pss.PhoneSettings(ctx, d.Name, p.User.ID)
	if err != nil {
		return PhoneDetail{}, fmt.Errorf("selfcare: phone %q: %w", d.Name, err)
	}
	if set.Version == 0 {
		// Before the user's first save, a description that came with the
		// device (PutDevice) is theirs.
		set.Description = d.Description
	}
	d.Description = set.Description
	lang, err := s.userLocale(ctx, p)
	if err != nil {
		return PhoneDetail{}, err
	}
	return PhoneDetail{Device: d, Settings: set, UserLocale: lang}, nil
}

// userLocale returns the user's display language as stored now.
func (s *Service) userLocale(ctx context.Context, p *Principal) (string, error) {
	u, err := s.store.User(ctx, p.User.ID)
	if err != nil {
		return "", fmt.Errorf("selfcare: display language: %w", err)
	}
	if u.Locale == "" {
		return s.defaultLocale(), nil
	}
	return u.Locale, nil
}

// Phone returns device, one of the principal's phones, with what they set
// on it. While Show Phone Display Locale hides the phone's language,
// Settings.PhoneLocale reads "" whatever is stored. It returns
// ErrNotFound, as for a phone that does not exist, when the phone is not
// the principal's, ErrPhoneSettingsOff when the store keeps no settings,
// and the errors of [Service.Phones].
func (s *Service) Phone(ctx context.Context, p *Principal, device string) (PhoneDetail,
	error) {
	pss, d, err := s.phoneReady(ctx, p, device)
	if err != nil {
		return PhoneDetail{}, err
	}
	pd, err := s.phoneDetail(ctx, pss, p, d)
	if err != nil {
		return PhoneDetail{}, err
	}
	return s.shownPhone(ctx, p, pd), nil
}

// UpdatePhone applies patch to what the principal set on device, one of
// their phones, when ifMatch is the settings' current version, and returns
// the phone as it is now.
//
// It returns, in the order it checks: the errors of [Service.Phones]; a
// [*params.GateError] when the patch names the display language while Show
// Phone Display Locale hides it; ErrNotFound as [Service.Phone] does; an
// error matching [ErrInvalid] that is a [*ValidationError] naming
// "description" (more than [MaxPhoneDescription] characters, or control,
// format or line-break characters) or "phoneLocale" (not installed); and
// ErrVersionConflict when ifMatch is not the current version. Every change
// and every refusal after the ownership check is audited, old and new.
func (s *Service) UpdatePhone(ctx context.Context, p *Principal, device string,
	patch PhoneSettingsPatch, ifMatch int64, remoteAddr string) (PhoneDetail, error) {
	if err := s.ready(p); err != nil {
		return PhoneDetail{}, err
	}
	if patch.PhoneLocale.Present {
		if err := s.gate(ctx, p, params.FeaturePhoneLocale, ActionPhoneSettings,
			remoteAddr); err != nil {
			return PhoneDetail{}, err
		}
	}
	pss, d, err := s.phoneReady(ctx, p, device)
	if err != nil {
		return PhoneDetail{}, err
	}
	target := "phone " + device
	deny := func(err error, detail string) (PhoneDetail, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionPhoneSettings,
			Target: target, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return PhoneDetail{}, err
	}
	cur, err := s.phoneDetail(ctx, pss, p, d)
	if err != nil {
		return PhoneDetail{}, err
	}
	next := patch.Apply(cur.Settings)
	v := &ValidationError{}
	if patch.Description.Present {
		if msg := phoneDescriptionProblem(next.Description); msg != "" {
			v.add("description", msg)
		}
	}
	if patch.PhoneLocale.Present && next.PhoneLocale != "" && !s.installed(next.PhoneLocale) {
		v.add("phoneLocale", s.localeMessage())
	}
	if err := v.err(); err != nil {
		return deny(err, auditReason(err))
	}
	if cur.Settings.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: phone %q: %w", displayLine(device),
			ErrVersionConflict), fmt.Sprintf("stale version %d, stored %d", ifMatch,
			cur.Settings.Version))
	}
	if next == cur.Settings {
		return s.shownPhone(ctx, p, cur), nil
	}
	saved, err := pss.UpdatePhoneSettings(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: phone %q: %w", displayLine(device), err),
			fmt.Sprintf("%s -> %s: %s", cur.Settings, next, auditReason(err)))
	case errors.Is(err, ErrNotFound):
		// The phone changed hands between the check and the save.
		return deny(fmt.Errorf("selfcare: phone %q: %w", displayLine(device), err),
			"the phone is no longer the user's")
	case err != nil:
		return PhoneDetail{}, fmt.Errorf("selfcare: phone %q: %w", displayLine(device), err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionPhoneSettings, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%s -> %s (version %d)", cur.Settings,
			saved, saved.Version), RemoteAddr: remoteAddr})
	cur.Settings, cur.Device.Description = saved, saved.Description
	return s.shownPhone(ctx, p, cur), nil
}

// shownPhone returns d as the principal may see it: without the display
// language while Show Phone Display Locale hides it.
func (s *Service) shownPhone(ctx context.Context, p *Principal, d PhoneDetail) PhoneDetail {
	if s.CheckFeature(ctx, p, params.FeaturePhoneLocale) != nil {
		d.Settings.PhoneLocale = ""
	}
	return d
}

// phoneDescriptionProblem returns why a user's phone description is refused,
// or "". An empty one is fine: it gives the administrator's back.
func phoneDescriptionProblem(d string) string {
	switch {
	case !utf8.ValidString(d):
		return "The description is not valid text."
	case utf8.RuneCountInString(d) > MaxPhoneDescription:
		return fmt.Sprintf("Use at most %d characters for the description.",
			MaxPhoneDescription)
	case d != "" && blankText(d):
		return "Enter a description, or leave it empty to show the administrator's."
	case strings.ContainsFunc(d, invisibleRune):
		return "The description holds a control, line-break or invisible character."
	case edgeBlank(d):
		return "Remove the spaces at the start or end of the description."
	}
	return ""
}

// localeMessage says which locales may be chosen.
func (s *Service) localeMessage() string {
	names := make([]string, 0, len(s.locales))
	for _, l := range s.InstalledLocales() {
		names = append(names, l.Code)
	}
	return "Choose one of the installed languages: " + strings.Join(names, ", ") + "."
}

// languageStore returns the store's language versions, or
// ErrPhoneSettingsOff.
func (s *Service) languageStore() (LanguageStore, error) {
	ls, ok := s.store.(LanguageStore)
	if !ok {
		return nil, ErrPhoneSettingsOff
	}
	return ls, nil
}

// Language returns the principal's display language, which applies to all
// of their phones. A user created without a locale reads as the site's
// default, the first installed locale. It returns the errors of
// [Service.Phones] and ErrPhoneSettingsOff when the store keeps no
// versions.
func (s *Service) Language(ctx context.Context, p *Principal) (UserLanguage, error) {
	if err := s.ready(p); err != nil {
		return UserLanguage{}, err
	}
	ls, err := s.languageStore()
	if err != nil {
		return UserLanguage{}, err
	}
	l, err := ls.UserLanguage(ctx, p.User.ID)
	if err != nil {
		return UserLanguage{}, fmt.Errorf("selfcare: display language: %w", err)
	}
	if l.Locale == "" {
		l.Locale = s.defaultLocale()
	}
	return l, nil
}

// UpdateLanguage sets the principal's display language to locale when
// ifMatch is its current version; null returns it to the site's default,
// the first installed locale, and an absent field changes nothing. It
// returns the errors of [Service.Language]; a [*ValidationError] naming
// "locale" when the locale is not installed; and ErrVersionConflict when
// ifMatch is not the current version. Every change and every refusal is
// audited, old and new.
func (s *Service) UpdateLanguage(ctx context.Context, p *Principal,
	locale PatchField[string], ifMatch int64, remoteAddr string) (UserLanguage, error) {
	cur, err := s.Language(ctx, p)
	if err != nil {
		return UserLanguage{}, err
	}
	ls, err := s.languageStore()
	if err != nil {
		return UserLanguage{}, err
	}
	target := "user " + p.User.ID
	deny := func(err error, detail string) (UserLanguage, error) {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionLanguage,
			Target: target, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return UserLanguage{}, err
	}
	next := cur
	switch {
	case locale.Null:
		next.Locale = s.defaultLocale()
	case locale.Present:
		next.Locale = locale.Value
	}
	if locale.Present && !locale.Null && !s.installed(next.Locale) {
		v := &ValidationError{}
		v.add(FieldLocale, s.localeMessage())
		return deny(v, fmt.Sprintf("%q refused: not installed", next.Locale))
	}
	if cur.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: display language: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	}
	if next.Locale == cur.Locale {
		return cur, nil
	}
	saved, err := ls.UpdateUserLanguage(ctx, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: display language: %w", err),
			fmt.Sprintf("%s -> %s: %s", cur.Locale, next.Locale, auditReason(err)))
	case err != nil:
		return UserLanguage{}, fmt.Errorf("selfcare: display language: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionLanguage, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%s -> %s (version %d)", cur.Locale,
			saved.Locale, saved.Version), RemoteAddr: remoteAddr})
	return saved, nil
}

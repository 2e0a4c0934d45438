package selfcare

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ucselfcare/portal/acl"
)

// The administrator operations below are called by the command line and,
// later, an administration API. They trust their caller: authorising the
// administrator is the caller's job. actor names the administrator in the
// audit trail; "" means the command line.
//
// Their errors name the operation and its object once. The store and the
// directory name them in their own errors too, so an outcome that callers
// decide on is restated from its sentinel (see restate) rather than
// wrapped whole, which would print "create user "x": create user "x": ...".

// CreateUser adds u with the given password and PIN; an empty one leaves
// that credential unset (the user cannot log in without both). Any hashes in
// u are ignored. The ID must be 1 to 128 characters without spaces, slashes
// or control characters. The first and last names and the locale must be at
// most 64 characters without control characters or line breaks: they reach
// terminals, logs and phone displays, where an escape sequence or a forged
// line would do harm. The password and PIN rules apply, except history. It
// returns a [*ValidationError] naming each bad field, or an error wrapping
// ErrExists.
//
// Rank 0 means the default rank, [acl.DefaultRank] (1), as a zero field
// means its default everywhere in this package, so that a Go caller who
// leaves Rank unset gets an ordinary user. A caller that takes the rank
// from a person, such as a command line, should refuse 0 itself if it is
// not meant as "the default". Other ranks outside 1 to 10 are refused.
func (s *Service) CreateUser(ctx context.Context, actor string, u User, password,
	pin string) error {
	const op = "selfcare: create user"
	// The credential policy comes from the parameters in force.
	if err := s.syncParams(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	actor = actorOrCLI(actor)
	v := &ValidationError{}
	if msg := validUserID(u.ID); msg != "" {
		v.add(FieldUserID, msg)
	}
	checkProfileText(v, FieldFirstName, "first name", u.FirstName)
	checkProfileText(v, FieldLastName, "last name", u.LastName)
	if u.Locale == "" {
		u.Locale = DefaultLocale
	}
	if !validLocale(u.Locale) {
		v.add(FieldLocale, "The locale must look like en_US: a language of 2 or 3 "+
			"letters, then optionally _ and a region of 2 letters or 3 digits.")
	}
	u.Rank = rankOrDefault(u.Rank)
	if u.Rank < acl.HighestRank || u.Rank > acl.LowestRank {
		v.add(FieldRank, fmt.Sprintf("The user rank must be between %d and %d.",
			acl.HighestRank, acl.LowestRank))
	}
	// A new user has no lines yet, so the extension rules have nothing to
	// compare with.
	if password != "" {
		pv := s.passwordRules(FieldPassword, u, password, nil)
		v.Fields = append(v.Fields, pv.Fields...)
	}
	if pin != "" {
		v.Fields = append(v.Fields, s.pinRules(FieldPIN, u, pin, nil).Fields...)
	}
	if err := v.err(); err != nil {
		return err
	}

	now := s.now()
	u.PasswordHash, u.PINHash = "", ""
	u.PasswordChangedAt, u.PINChangedAt = now, now
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	var err error
	if password != "" {
		if u.PasswordHash, err = s.hash.hash(ctx, password); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if pin != "" {
		if u.PINHash, err = s.hash.hash(ctx, pin); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("%s %q: %w", op, u.ID, restate(err, ErrExists))
	}
	s.audit(ctx, AuditEvent{Actor: actor, Action: ActionUserCreate, Target: u.ID,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("rank=%d password=%t pin=%t mustChange=%t",
			u.Rank, password != "", pin != "", u.MustChangePassword)})
	return nil
}

// credentialTarget loads what the credential rules need to judge a new
// password or PIN of userID: the user and their extensions, under the
// credential policy in force.
func (s *Service) credentialTarget(ctx context.Context, op, userID string) (
	User, []string, error) {
	if err := s.syncParams(ctx); err != nil {
		return User{}, nil, fmt.Errorf("%s: %w", op, err)
	}
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return User{}, nil, fmt.Errorf("%s %q: %w", op, userID, restate(err, ErrNotFound))
	}
	exts, err := s.extensions(ctx, userID)
	if err != nil {
		return User{}, nil, fmt.Errorf("%s %q: %w", op, userID, err)
	}
	return u, exts, nil
}

// SetUserPassword sets a user's password as an administrator: the length,
// user ID, common-password and trivial rules apply, history does not.
// Every session of the user ends. mustChange makes the user pick their own at the next login.
// It returns a [*ValidationError] or an error wrapping ErrNotFound.
func (s *Service) SetUserPassword(ctx context.Context, actor, userID, password string,
	mustChange bool) error {
	const op = "selfcare: set user password"
	u, exts, err := s.credentialTarget(ctx, op, userID)
	if err != nil {
		return err
	}
	if err := s.passwordRules(FieldPassword, u, password, exts).err(); err != nil {
		return err
	}
	h, err := s.hash.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.store.SetPassword(ctx, userID, h, s.now(), s.credPolicy().historyKeep(),
		mustChange, nil)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, restate(err, ErrNotFound))
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionUserPassword,
		Target: userID, Outcome: OutcomeOK,
		Detail: "all sessions ended; mustChange=" + strconv.FormatBool(mustChange)})
	return nil
}

// SetUserPIN sets a user's PIN as an administrator, under the PIN rules. It
// returns a [*ValidationError] or an error wrapping ErrNotFound.
func (s *Service) SetUserPIN(ctx context.Context, actor, userID, pin string) error {
	const op = "selfcare: set user PIN"
	u, exts, err := s.credentialTarget(ctx, op, userID)
	if err != nil {
		return err
	}
	if err := s.pinRules(FieldPIN, u, pin, exts).err(); err != nil {
		return err
	}
	h, err := s.hash.hash(ctx, pin)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := s.store.SetPIN(ctx, userID, h, s.now()); err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, restate(err, ErrNotFound))
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionUserPIN,
		Target: userID, Outcome: OutcomeOK})
	return nil
}

// SetUserDisabled disables or enables a user. Disabling ends every session
// of the user at once. It returns an error wrapping ErrNotFound.
func (s *Service) SetUserDisabled(ctx context.Context, actor, userID string,
	disabled bool) error {
	if err := s.store.SetDisabled(ctx, userID, disabled); err != nil {
		return fmt.Errorf("selfcare: set user disabled %q: %w", userID,
			restate(err, ErrNotFound))
	}
	action, detail := ActionUserEnable, ""
	if disabled {
		action, detail = ActionUserDisable, "all sessions ended"
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: action, Target: userID,
		Outcome: OutcomeOK, Detail: detail})
	return nil
}

// Unlock clears a user's failed-logon counter, which ends a lockout. It
// returns an error wrapping ErrNotFound for an unknown user.
func (s *Service) Unlock(ctx context.Context, actor, userID string) error {
	const op = "selfcare: unlock"
	if _, err := s.store.User(ctx, userID); err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, restate(err, ErrNotFound))
	}
	if err := s.store.ClearFailures(ctx, userKey(userID)); err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionUserUnlock,
		Target: userID, Outcome: OutcomeOK})
	return nil
}

// AddGroupMember puts a user in an access control group, subject to the
// group's rank requirement. It returns an error wrapping ErrNotFound for an
// unknown user, or the [acl.Directory] errors (acl.ErrNotFound, acl.ErrRank,
// acl.ErrInvalid). Under the minimum overlap policy a new group can take
// access away; the sessions then end as for [Service.RemoveGroupMember].
func (s *Service) AddGroupMember(ctx context.Context, actor, groupID,
	userID string) error {
	const op = "selfcare: add group member"
	what := fmt.Sprintf("%q to %q", userID, groupID)
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, what, restate(err, ErrNotFound))
	}
	before, err := s.grant(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, what, err)
	}

	rank := rankOrDefault(u.Rank)
	err = s.directory.AddMember(ctx, groupID, userID, rank)
	if err != nil {
		cause := restate(err, acl.ErrNotFound, acl.ErrInvalid)
		if errors.Is(err, acl.ErrRank) {
			cause = fmt.Errorf("user rank %d: %w", rank, acl.ErrRank)
		}
		s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionGroupMemberAdd,
			Target: userID, Outcome: OutcomeFailed, Detail: "group " + groupID + ": " +
				cause.Error()})
		return fmt.Errorf("%s %s: %w", op, what, cause)
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionGroupMemberAdd,
		Target: userID, Outcome: OutcomeOK, Detail: "group " + groupID})

	err = s.endSessionsOnLoss(ctx, actor, userID, before, "added to group "+groupID)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, what, err)
	}
	return nil
}

// RemoveGroupMember takes a user out of an access control group. When that
// takes away the Self Care role, or administration access, every session of
// the user ends at once and the trail records it. It returns an error
// wrapping acl.ErrNotAMember when the user is not in the group, or a store
// error; one that comes after the removal says the sessions could not be
// ended, and the removal stands (the sessions are still refused when used).
func (s *Service) RemoveGroupMember(ctx context.Context, actor, groupID,
	userID string) error {
	const op = "selfcare: remove group member"
	what := fmt.Sprintf("%q from %q", userID, groupID)
	before, err := s.grant(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, what, err)
	}

	if err := s.directory.RemoveMember(ctx, groupID, userID); err != nil {
		return fmt.Errorf("%s %s: %w", op, what,
			restate(err, acl.ErrNotAMember, acl.ErrNotFound))
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionGroupMemberDrop,
		Target: userID, Outcome: OutcomeOK, Detail: "group " + groupID})

	err = s.endSessionsOnLoss(ctx, actor, userID, before, "removed from group "+groupID)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, what, err)
	}
	return nil
}

// endSessionsOnLoss ends every session of a user whose membership change
// took away access that their sessions rest on: the Self Care role or
// administration access, as before held them. Authenticate would refuse
// such a session, but only when it is next used; one left idle through the
// change would come back to life if the access were given back, which is
// not what an administrator who removed it expects.
//
// The store cannot tell a Self Care session from an administration one, so
// losing either access ends both kinds, and the user logs in again to what
// they may still use. A user left with neither loses every session too,
// even without a loss here, which also clears sessions that outlived an
// earlier change made by another process.
func (s *Service) endSessionsOnLoss(ctx context.Context, actor, userID string,
	before *acl.Grant, change string) error {
	// The directory dropped the cached grant already, but only from the
	// resolver it was built with; the decision must not rest on a stale one.
	s.resolver.Invalidate(userID)
	after, err := s.grant(ctx, userID)
	if err != nil {
		return fmt.Errorf("resolving the new grant: %w", err)
	}

	// The causes are those that Authenticate gives when it ends a session,
	// so that the trail says the same thing whichever path ended it.
	var lost, missing []string
	for _, admin := range []bool{false, true} {
		cause := accessCause(after, admin)
		if cause == "" {
			continue
		}
		missing = append(missing, cause)
		if accessCause(before, admin) == "" {
			lost = append(lost, cause)
		}
	}
	if len(lost) == 0 && len(missing) < 2 {
		return nil
	}

	n, err := s.store.DeleteUserSessions(ctx, userID)
	if err != nil {
		return fmt.Errorf("ending the sessions: %w", err)
	}
	if len(lost) == 0 && n == 0 {
		// Nothing was held and nothing ended: not worth a line.
		return nil
	}
	if len(lost) == 0 {
		lost = missing
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionSessionEnded,
		Target: userID, Outcome: OutcomeOK, Detail: strings.Join(lost, "; ")})
	s.log.Info("selfcare: sessions ended by a membership change", "user", userID,
		"change", change, "sessions", n)
	return nil
}

// restate returns the first of outcomes that err matches, and otherwise err
// itself. A caller that names the operation and its object uses it to drop
// the lower layers' own naming of them, which matters to nobody once the
// outcome is known; an unexpected error keeps its chain for the operator.
func restate(err error, outcomes ...error) error {
	for _, o := range outcomes {
		if errors.Is(err, o) {
			return o
		}
	}
	return err
}

// DefaultLocale is the locale of a user created without one.
const DefaultLocale = "en_US"

// validLocale reports whether s is a locale name such as en, en_US or
// es_419: a lower-case language, then an optional upper-case or numeric
// region.
func validLocale(s string) bool {
	lang, region, hasRegion := strings.Cut(s, "_")
	isLower := func(r rune) bool { return r >= 'a' && r <= 'z' }
	isUpper := func(r rune) bool { return r >= 'A' && r <= 'Z' }
	isDigit := func(r rune) bool { return r >= '0' && r <= '9' }
	all := func(s string, f func(rune) bool) bool {
		return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !f(r) })
	}
	if len(lang) < 2 || len(lang) > 3 || !all(lang, isLower) {
		return false
	}
	if !hasRegion {
		return true
	}
	return len(region) == 2 && all(region, isUpper) || len(region) == 3 && all(region, isDigit)
}

// maxProfileText bounds a user's first name, last name and locale, in
// characters: room for real names, none for a payload.
const maxProfileText = 64

// checkProfileText refuses a name or a locale that would not arrive as plain
// text wherever it is shown: bytes that are not UTF-8, control characters
// (escape sequences, line breaks), the Unicode line and paragraph
// separators, or more than maxProfileText characters.
func checkProfileText(v *ValidationError, field, what, val string) {
	// Format characters (unicode.Cf) include the bidirectional overrides
	// and the zero-width ones, which make a name read other than it is.
	breaks := func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			r == '\u2028' || r == '\u2029'
	}
	switch {
	case !utf8.ValidString(val):
		v.add(field, "The "+what+" holds bytes that are not text.")
	case strings.ContainsFunc(val, breaks):
		v.add(field, "The "+what+" must not contain control, format or line-break characters.")
	case utf8.RuneCountInString(val) > maxProfileText:
		v.add(field, fmt.Sprintf("The %s must be at most %d characters long.", what,
			maxProfileText))
	}
}

// maxDeviceText bounds device names, descriptions, extensions and labels.
const maxDeviceText = 128

// PutDevice creates or replaces a device and its lines. It returns a
// [*ValidationError] for an empty or over-long name, a line index below 1
// or used twice, an empty extension or text with control characters, a
// line number the destination policy keeps from being a directory number
// (see [Service.CheckLineNumbers]), and an
// error wrapping ErrNotFound when the owner does not exist.
func (s *Service) PutDevice(ctx context.Context, actor string, d Device) error {
	v := &ValidationError{}
	text := func(what, val string, required bool) {
		switch {
		case required && strings.TrimSpace(val) == "":
			v.add(FieldDevice, "The "+what+" must not be empty.")
		case len([]rune(val)) > maxDeviceText:
			v.add(FieldDevice, fmt.Sprintf("The %s must be at most %d characters long.",
				what, maxDeviceText))
		case strings.ContainsFunc(val, unicode.IsControl):
			v.add(FieldDevice, "The "+what+" must not contain control characters.")
		}
	}
	text("device name", d.Name, true)
	text("owner", d.Owner, true)
	text("model", d.Model, false)
	text("administrator description", d.AdminDescription, false)
	text("description", d.Description, false)
	seen := map[int]bool{}
	for _, l := range d.Lines {
		if l.Index < 1 || seen[l.Index] {
			v.add(FieldDevice, fmt.Sprintf(
				"Line index %d must be 1 or more and used once per device.", l.Index))
		}
		seen[l.Index] = true
		text("extension", l.Extension, true)
		text("line label", l.Label, false)
	}
	if err := s.checkLineClasses(v, d.Lines); err != nil {
		return err
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := s.store.PutDevice(ctx, d); err != nil {
		// ErrNotFound can only mean the owner (see DeviceStore).
		return fmt.Errorf("selfcare: put device %q: owner %q: %w", d.Name, d.Owner,
			restate(err, ErrNotFound))
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionDevicePut,
		Target: d.Name, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("owner=%s lines=%d", d.Owner, len(d.Lines))})
	return nil
}

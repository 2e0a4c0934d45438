package selfcare

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/ucselfcare/portal/acl"
)

// The administrator operations below are called by the command line and,
// later, an administration API. They trust their caller: authorising the
// administrator is the caller's job. actor names the administrator in the
// audit trail; "" means the command line.

// CreateUser adds u with the given password and PIN; an empty one leaves
// that credential unset (the user cannot log in without both). Any hashes in
// u are ignored. The ID must be 1 to 128 characters without spaces, slashes
// or control characters; rank 0 means 1. The password and PIN rules apply,
// except history. It returns a [*ValidationError], or an error wrapping
// ErrExists.
func (s *Service) CreateUser(ctx context.Context, actor string, u User, password,
	pin string) error {
	const op = "selfcare: create user"
	actor = actorOrCLI(actor)
	v := &ValidationError{}
	if msg := validUserID(u.ID); msg != "" {
		v.add(FieldUserID, msg)
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
		return fmt.Errorf("%s %q: %w", op, u.ID, err)
	}
	s.audit(ctx, AuditEvent{Actor: actor, Action: ActionUserCreate, Target: u.ID,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("rank=%d password=%t pin=%t mustChange=%t",
			u.Rank, password != "", pin != "", u.MustChangePassword)})
	return nil
}

// SetUserPassword sets a user's password as an administrator: the length,
// user ID and trivial rules apply, history does not. Every session of the
// user ends. mustChange makes the user pick their own at the next login.
// It returns a [*ValidationError] or an error wrapping ErrNotFound.
func (s *Service) SetUserPassword(ctx context.Context, actor, userID, password string,
	mustChange bool) error {
	const op = "selfcare: set user password"
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
	}
	exts, err := s.extensions(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
	}
	if err := s.passwordRules(FieldPassword, u, password, exts).err(); err != nil {
		return err
	}
	h, err := s.hash.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.store.SetPassword(ctx, userID, h, s.now(), s.policy.historyKeep(),
		mustChange, nil)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
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
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
	}
	exts, err := s.extensions(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
	}
	if err := s.pinRules(FieldPIN, u, pin, exts).err(); err != nil {
		return err
	}
	h, err := s.hash.hash(ctx, pin)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := s.store.SetPIN(ctx, userID, h, s.now()); err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
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
		return fmt.Errorf("selfcare: set user disabled %q: %w", userID, err)
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
		return fmt.Errorf("%s %q: %w", op, userID, err)
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
// unknown user, or the [acl.Directory] errors (acl.ErrNotFound, acl.ErrRank).
func (s *Service) AddGroupMember(ctx context.Context, actor, groupID,
	userID string) error {
	const op = "selfcare: add group member"
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, userID, err)
	}
	err = s.directory.AddMember(ctx, groupID, userID, rankOrDefault(u.Rank))
	if err != nil {
		s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionGroupMemberAdd,
			Target: userID, Outcome: OutcomeFailed, Detail: "group " + groupID + ": " +
				err.Error()})
		return fmt.Errorf("%s: %w", op, err)
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionGroupMemberAdd,
		Target: userID, Outcome: OutcomeOK, Detail: "group " + groupID})
	return nil
}

// RemoveGroupMember takes a user out of an access control group. It returns
// the [acl.Directory] errors, such as acl.ErrNotAMember.
func (s *Service) RemoveGroupMember(ctx context.Context, actor, groupID,
	userID string) error {
	if err := s.directory.RemoveMember(ctx, groupID, userID); err != nil {
		return fmt.Errorf("selfcare: remove group member: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionGroupMemberDrop,
		Target: userID, Outcome: OutcomeOK, Detail: "group " + groupID})
	return nil
}

// maxDeviceText bounds device names, descriptions, extensions and labels.
const maxDeviceText = 128

// PutDevice creates or replaces a device and its lines. It returns a
// [*ValidationError] for an empty or over-long name, a line index below 1
// or used twice, an empty extension or text with control characters, and an
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
	if err := v.err(); err != nil {
		return err
	}
	if err := s.store.PutDevice(ctx, d); err != nil {
		return fmt.Errorf("selfcare: put device %q: %w", d.Name, err)
	}
	s.audit(ctx, AuditEvent{Actor: actorOrCLI(actor), Action: ActionDevicePut,
		Target: d.Name, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("owner=%s lines=%d", d.Owner, len(d.Lines))})
	return nil
}

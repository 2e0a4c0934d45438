package selfcare

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ucselfcare/portal/acl"
)

// Causes of a refused login. They go to the audit trail and the log, never
// to the caller, who only ever sees ErrLoginFailed.
const (
	causeThrottled  = "address throttled"
	causeLocked     = "account locked out"
	causeUnknown    = "unknown user"
	causeNoPassword = "no password set"
	causeWrong      = "wrong password"
	causeDisabled   = "account disabled"
	causeNoPIN      = "no PIN set"
	causeNoRole     = "no Self Care role"
)

// maxSecretBytes bounds a password or PIN that reaches the hash. Longer input
// can never be right (the policy maximum is far below), and refusing it
// before hashing keeps a huge form field from costing more than a small one.
const maxSecretBytes = 4096

// maxUserIDLength bounds user IDs, in characters.
const maxUserIDLength = 128

// Login checks userID and password, coming from remoteAddr, and opens a new
// session. It returns the session token, which only the caller ever sees:
// the store keeps its SHA-256.
//
// Every refusal is ErrLoginFailed: unknown user, no password set, wrong
// password, disabled account, locked account, throttled address, no Self Care
// role, no PIN set. The real cause goes to the audit trail and the log. Each
// of these paths runs exactly one argon2id verification, against a dummy
// hash when there is no real one, and the same store round trips as far as
// the cause allows, so that neither the answer nor its timing tells an
// unknown user from a known one.
//
// Login returns ErrBusy when ctx ends while it waits for a hashing slot,
// and a wrapped store error when the store fails.
func (s *Service) Login(ctx context.Context, userID, password, remoteAddr string) (
	token string, p *Principal, err error) {
	return s.login(ctx, loginAttempt{userID: userID, addrKey: addressKey(remoteAddr)},
		password, remoteAddr)
}

// login is [Service.Login] and [Service.AdminLogin]; a.admin says which
// access the user needs.
func (s *Service) login(ctx context.Context, a loginAttempt, password, remoteAddr string) (
	token string, p *Principal, err error) {
	const op = "selfcare: login"
	now := s.now()

	// The credential policy comes from the parameters, which another
	// process may have changed. Every path pays this read alike.
	if err := s.syncParams(ctx); err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}

	// The first verification of the process builds the dummy hash; doing it
	// up front, on every path, keeps that one-off cost from marking the
	// first unknown-user attempt.
	if _, err := s.hash.dummy(); err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}

	if err := s.checkBeforeVerify(ctx, &a, now); err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}

	release, err := s.hash.acquire(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := s.reserveFailure(ctx, &a, now); err != nil {
		release()
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}

	// One verification on every path. A locked account still checks the
	// real hash so that it costs what an open one costs; the result is
	// ignored.
	stored := ""
	if a.known {
		stored = a.user.PasswordHash
	}
	secret := password
	if len(secret) > maxSecretBytes {
		secret, stored = "", "" // the dummy comparison always fails
	}
	ok, outdated, verr := s.hash.verifyHeld(stored, secret)
	release()
	switch {
	case errors.Is(verr, ErrBadHash):
		s.log.Warn("selfcare: stored password hash is malformed", "user", a.user.ID)
	case verr != nil:
		return "", nil, fmt.Errorf("%s: %w", op, verr)
	}

	grant, err := s.judge(ctx, &a, ok)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	if a.cause != "" {
		s.refuse(ctx, &a, remoteAddr, now)
		return "", nil, ErrLoginFailed
	}

	// The password was right: the counted attempt is not a failure.
	if err := s.store.ClearFailures(ctx, userKey(a.user.ID)); err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	token, sess, err := s.openSession(ctx, a.user.ID, remoteAddr, now)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	if outdated {
		s.rehash(ctx, a.user, password, sess.TokenHash)
	}
	detail := ""
	if a.admin {
		detail = "administration"
	}
	s.audit(ctx, AuditEvent{Actor: a.user.ID, Action: ActionLogin, Target: a.user.ID,
		Outcome: OutcomeOK, Detail: detail, RemoteAddr: remoteAddr})
	s.log.Debug("selfcare: login", "user", a.user.ID, "addr", clean(remoteAddr))
	s.markExpired(&a.user, now)
	return token, &Principal{User: a.user, Session: sess, Grant: grant}, nil
}

// loginAttempt carries what Login learns on its way.
type loginAttempt struct {
	userID  string
	addrKey string // "" when the address is unknown
	user    User
	known   bool
	// cause is the refusal found so far; "" means none yet.
	cause string
	// reserved means an account failure was counted before the password
	// check (see reserveFailure).
	reserved bool
	// failures is the account counter after this attempt was counted.
	failures Failures
	// admin asks for an administration session (see AdminLogin).
	admin bool
}

// checkBeforeVerify loads the user and applies the address throttle and the
// account lockout, which do not depend on the password.
func (s *Service) checkBeforeVerify(ctx context.Context, a *loginAttempt,
	now time.Time) error {
	if validUserID(a.userID) == "" {
		u, err := s.store.User(ctx, a.userID)
		switch {
		case err == nil:
			a.user, a.known = u, true
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}

	if a.addrKey != "" && s.addrLimit > 0 {
		f, err := s.store.Failures(ctx, a.addrKey)
		if err != nil {
			return err
		}
		if f.Count >= s.addrLimit && now.Sub(f.First) < s.addrWindow {
			a.cause = causeThrottled
		}
	}

	if s.credPolicy().FailedLogonThreshold <= 0 {
		return nil
	}
	// An unknown user gets the same read, so that the store round trips
	// do not tell the two apart.
	key := userKey(a.userID)
	if !a.known {
		key = mirrorKey
	}
	f, err := s.store.Failures(ctx, key)
	if err != nil {
		return err
	}
	if !a.known || f.Count < s.credPolicy().FailedLogonThreshold {
		return nil
	}
	if s.lockedAt(f, now) {
		if a.cause == "" {
			a.cause = causeLocked
		}
		return nil
	}
	// The lockout is over: the user starts again with a full allowance
	// rather than one attempt away from the next lockout.
	return s.store.ClearFailures(ctx, key)
}

// lockedAt reports whether counters at or above the threshold still lock.
func (s *Service) lockedAt(f Failures, now time.Time) bool {
	if s.credPolicy().LockoutDuration < 0 {
		return true
	}
	return now.Before(f.Last.Add(s.credPolicy().LockoutDuration))
}

// reserveFailure counts the attempt as a failure before the password is
// checked; a success clears it. Checking the counter and counting after the
// check would let a burst of parallel guesses all pass the check before any
// of them is counted, which is exactly how a lockout is bypassed.
func (s *Service) reserveFailure(ctx context.Context, a *loginAttempt,
	now time.Time) error {
	t := s.credPolicy().FailedLogonThreshold
	key := userKey(a.userID)
	if t <= 0 {
		return nil
	}
	if !a.known || a.cause != "" {
		// Not counted: an unknown name (counting names that do not exist
		// would let anyone fill the store), or an account already locked
		// (counting would extend the lockout with every attempt) or an
		// address already throttled. The write to a key that never holds
		// anything keeps the store round trips the same as a counted one.
		return s.store.ClearFailures(ctx, mirrorKey)
	}
	f, err := s.store.AddFailure(ctx, key, now, s.credPolicy().ResetFailedAfter)
	if err != nil {
		return err
	}
	a.reserved, a.failures = true, f
	if f.Count > t {
		// Parallel attempts used the allowance up while this one waited.
		a.cause = causeLocked
	}
	return nil
}

// judge finds the refusal cause, if any, once the password has been checked,
// and returns the user's grant when there is none.
func (s *Service) judge(ctx context.Context, a *loginAttempt, passwordOK bool) (
	*acl.Grant, error) {
	if a.cause != "" {
		return nil, nil
	}
	switch {
	case !a.known:
		a.cause = causeUnknown
	case a.user.PasswordHash == "":
		a.cause = causeNoPassword
	case !passwordOK:
		a.cause = causeWrong
	case a.user.Disabled:
		a.cause = causeDisabled
	case a.user.PINHash == "" && !a.admin:
		a.cause = causeNoPIN
	}
	if a.cause != "" {
		return nil, nil
	}
	g, err := s.grant(ctx, a.user.ID)
	if err != nil {
		return nil, err
	}
	if cause := accessCause(g, a.admin); cause != "" {
		a.cause = cause
		return nil, nil
	}
	return g, nil
}

// refuse records a refused login: counters, audit trail and log.
func (s *Service) refuse(ctx context.Context, a *loginAttempt, remoteAddr string,
	now time.Time) {
	// The store may fail here; the caller still gets ErrLoginFailed, since
	// the login is refused either way, and the failure is logged once.
	ctx = context.WithoutCancel(ctx)
	detail := a.cause

	switch a.cause {
	case causeUnknown, causeNoPassword, causeWrong, causeLocked:
		// A guess: count it against the address. The account was counted
		// already by reserveFailure, or is locked and not counted again.
		if a.addrKey != "" && s.addrLimit > 0 {
			_, err := s.store.AddFailure(ctx, a.addrKey, now, s.addrWindow)
			if err != nil {
				s.log.Error("selfcare: counting a failed login", "err", err)
			}
		}
		t := s.credPolicy().FailedLogonThreshold
		if a.reserved && t > 0 && a.failures.Count == t {
			detail += "; account now locked"
		}
	case causeDisabled, causeNoPIN, causeNoRole, causeNoAdmin:
		// The password was right, so the counted attempt was no guess.
		if a.reserved {
			if err := s.store.ClearFailures(ctx, userKey(a.user.ID)); err != nil {
				s.log.Error("selfcare: clearing failed logons", "err", err)
			}
		}
	}

	s.audit(ctx, AuditEvent{Action: ActionLoginFailed, Target: a.userID,
		Outcome: OutcomeDenied, Detail: detail, RemoteAddr: remoteAddr})
	s.log.Info("selfcare: login refused", "user", clean(a.userID),
		"addr", clean(remoteAddr), "cause", detail)
}

// rehash replaces a password hash made with weaker parameters. The store
// has no call that swaps a hash alone, so SetPassword does it, keeping the
// change time, the must-change flag and the new session; other sessions of
// the user end and the history gains a copy of the current password, which
// the current-password rule refuses anyway.
// TODO(store): a RehashPassword(ctx, id, oldHash, newHash) contract would
// avoid both side effects.
func (s *Service) rehash(ctx context.Context, u User, password string,
	keepSession []byte) {
	h, err := s.hash.hash(ctx, password)
	if err == nil {
		err = s.store.SetPassword(ctx, u.ID, h, u.PasswordChangedAt,
			s.credPolicy().historyKeep(), u.MustChangePassword, keepSession)
	}
	if err != nil {
		s.log.Warn("selfcare: upgrading a password hash", "user", u.ID, "err", err)
		return
	}
	s.audit(ctx, AuditEvent{Actor: u.ID, Action: ActionPasswordRehash, Target: u.ID,
		Outcome: OutcomeOK, Detail: "hash parameters upgraded"})
}

// grant syncs the resolver with the store, so that a change another process
// made is seen, and returns the user's grant.
func (s *Service) grant(ctx context.Context, userID string) (*acl.Grant, error) {
	if err := s.resolver.Sync(ctx); err != nil {
		return nil, err
	}
	return s.resolver.Grant(ctx, userID)
}

// mirrorKey is a failure-counter key that never holds a count.
const mirrorKey = "mirror:"

// userKey is the failure-counter key of an account.
func userKey(id string) string { return "user:" + id }

// addressKey is the failure-counter key of a source address, or "" when the
// address is empty. IPv6 addresses count per /64, the block one subscriber
// usually holds, since rotating within it costs an attacker nothing.
func addressKey(remote string) string {
	remote = strings.TrimSpace(remote)
	if remote == "" {
		return ""
	}
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remote); err != nil {
		return "addr:" + clean(remote)
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, err := a.Prefix(64)
		if err == nil {
			return "addr:" + p.String()
		}
	}
	return "addr:" + a.String()
}

// validUserID returns why id cannot be a user ID, or "".
func validUserID(id string) string {
	switch {
	case id == "":
		return "Enter a user ID."
	case !utf8.ValidString(id):
		return "The user ID holds bytes that are not text."
	case utf8.RuneCountInString(id) > maxUserIDLength:
		return fmt.Sprintf("The user ID must be at most %d characters long.",
			maxUserIDLength)
	case strings.ContainsFunc(id, unicode.IsControl):
		return "The user ID must not contain control characters."
	case strings.ContainsFunc(id, unicode.IsSpace):
		return "The user ID must not contain spaces."
	case strings.ContainsRune(id, '/'):
		return "The user ID must not contain a slash."
	}
	return ""
}

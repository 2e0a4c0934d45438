package selfcare

import (
	"context"
	"errors"
	"time"

	"github.com/ucselfcare/portal/acl"
)

// Errors that every [Store] implementation returns, wrapped or not.
var (
	ErrNotFound = errors.New("selfcare: not found")
	ErrExists   = errors.New("selfcare: already exists")
)

// User is an end user of the directory. Hashes are PHC strings as produced
// by [HashSecret]; an empty hash means the credential is not set.
type User struct {
	ID        string
	FirstName string
	LastName  string
	Locale    string
	// Rank is the user rank, 1 (highest) to 10.
	Rank int
	// Profile names the user profile; empty means the default profile.
	Profile  string
	Disabled bool

	PasswordHash      string
	PasswordChangedAt time.Time
	// MustChangePassword makes the next login end on the password page.
	MustChangePassword bool
	PINHash            string
	PINChangedAt       time.Time

	CreatedAt time.Time
}

// Device is a phone owned by or associated with a user.
type Device struct {
	// Name is the device name, such as SEP0011223344AA.
	Name  string
	Owner string
	Model string
	// AdminDescription is set by an administrator; Description by the user,
	// and when not empty it is what the portal shows.
	AdminDescription string
	Description      string
	Lines            []Line
}

// Line is one line appearance of a device.
type Line struct {
	// Index is the button position, from 1.
	Index int
	// Extension is the directory number.
	Extension string
	Label     string
}

// Session is a server-side login session. The token itself is never stored:
// TokenHash is the SHA-256 of it.
type Session struct {
	TokenHash []byte
	UserID    string
	CreatedAt time.Time
	// AuthenticatedAt is when the user last proved their password.
	AuthenticatedAt time.Time
	LastSeen        time.Time
	RemoteAddr      string
}

// Failures counts failed login attempts for one key (an account or a source
// address) within an observation window.
type Failures struct {
	Count int
	First time.Time
	Last  time.Time
}

// AuditEvent is one entry of the audit trail. It must never hold a secret.
type AuditEvent struct {
	ID         int64
	Time       time.Time
	Actor      string // user ID, or "" for anonymous
	Action     string // such as "login", "login.failed", "password.change"
	Target     string // the object touched, such as a user ID or device name
	Outcome    string // "ok", "denied", "failed"
	Detail     string // the real cause or the change, free text without secrets
	RemoteAddr string
}

// AuditFilter selects audit events; zero fields select everything.
type AuditFilter struct {
	Actor string
	// Subject selects events whose actor or target is this user, such as
	// the failed logins of an account, which have no actor.
	Subject string
	Action  string
	Since   time.Time
	// Limit caps the number of events returned, newest first; 0 means 100.
	Limit int
}

// UserStore keeps users and their credentials.
type UserStore interface {
	// CreateUser adds a user, or returns ErrExists.
	CreateUser(ctx context.Context, u User) error
	// User returns one user, or ErrNotFound.
	User(ctx context.Context, id string) (User, error)
	// Users returns every user, ordered by ID.
	Users(ctx context.Context) ([]User, error)
	// UpdateProfile replaces a user's names, locale, rank and profile and
	// the must-change flag, leaving credentials alone, or returns ErrNotFound.
	UpdateProfile(ctx context.Context, u User) error

	// SetPassword stores a new password hash in one transaction: the
	// previous hash moves to the history, which keeps at most keep entries
	// (newest first); every session of the user except the one whose token
	// hash is keepSession (nil: none) ends; the must-change flag is set to
	// mustChange. It returns ErrNotFound for an unknown user.
	SetPassword(ctx context.Context, userID, hash string, at time.Time, keep int,
		mustChange bool, keepSession []byte) error
	// PasswordHistory returns the previous password hashes, newest first.
	PasswordHistory(ctx context.Context, userID string) ([]string, error)
	// SetPIN stores a new PIN hash, or returns ErrNotFound.
	SetPIN(ctx context.Context, userID, hash string, at time.Time) error
	// SetDisabled disables or enables a user. Disabling ends every session
	// of the user in the same transaction. It returns ErrNotFound for an
	// unknown user.
	SetDisabled(ctx context.Context, userID string, disabled bool) error
}

// DeviceStore keeps the users' devices and lines.
type DeviceStore interface {
	// PutDevice creates or replaces a device with its lines. It returns
	// ErrNotFound when the owner does not exist.
	PutDevice(ctx context.Context, d Device) error
	// Device returns one device, or ErrNotFound.
	Device(ctx context.Context, name string) (Device, error)
	// UserDevices returns the devices owned by a user, ordered by name.
	UserDevices(ctx context.Context, userID string) ([]Device, error)
}

// SessionStore keeps login sessions.
type SessionStore interface {
	// CreateSession stores a new session, or returns ErrExists.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with the token hash, or ErrNotFound.
	Session(ctx context.Context, tokenHash []byte) (Session, error)
	// TouchSession sets LastSeen, or returns ErrNotFound.
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error
	// DeleteSession ends one session; ending a missing one is not an error.
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteUserSessions ends every session of a user and returns how many.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// DeleteExpiredSessions removes sessions last seen before idleBefore or
	// created before createdBefore, and returns how many.
	DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int, error)
}

// FailureStore counts failed login attempts so that every process sharing
// the store sees the same counters.
type FailureStore interface {
	// AddFailure records one failure for key at now, atomically. When the
	// previous first failure is older than window, counting restarts at 1.
	// It returns the counters after the change.
	AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (Failures, error)
	// Failures returns the counters for key; an unknown key has zero counters.
	Failures(ctx context.Context, key string) (Failures, error)
	// ClearFailures resets the counters for key.
	ClearFailures(ctx context.Context, key string) error
}

// AuditStore keeps the audit trail; it only ever appends.
type AuditStore interface {
	// AppendAudit adds one event.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// Audit returns events matching f, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}

// Store is everything the [Service] stores. memstore and sqlstore implement
// it, and storetest checks that they behave alike.
type Store interface {
	acl.Store
	UserStore
	DeviceStore
	SessionStore
	FailureStore
	AuditStore
}

package selfcare

import (
	"io"
	"log/slog"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
)

// NoLimit switches off a count limit of the [CredentialPolicy] or of
// [Config]: FailedLogonThreshold (accounts never lock), PasswordHistory
// (only the current password is refused) or AddressFailureLimit (no
// per-address throttling). Zero cannot say this because zero means "the
// default".
const NoLimit = -1

// LockoutUntilUnlocked, as a [CredentialPolicy] LockoutDuration, keeps a
// locked account locked until an administrator calls [Service.Unlock].
const LockoutUntilUnlocked time.Duration = -1

// NoExpiry, as a [CredentialPolicy] ExpiresAfter, lets passwords live for
// ever.
const NoExpiry time.Duration = -1

// CredentialPolicy is the credential policy for end-user passwords and PINs:
// failed-logon counting, lockout and the rules for new credentials. Zero
// fields mean the matching field of [DefaultCredentialPolicy].
type CredentialPolicy struct {
	// FailedLogonThreshold is the number of failed logons that locks the
	// account; NoLimit never locks.
	FailedLogonThreshold int
	// ResetFailedAfter is the observation window: counting restarts when
	// the first counted failure is older.
	ResetFailedAfter time.Duration
	// LockoutDuration is how long an account stays locked after its last
	// counted failure; LockoutUntilUnlocked waits for an administrator.
	LockoutDuration time.Duration
	// ExpiresAfter is the life of a password: a user whose password is
	// older must change it before anything else. NoExpiry never expires.
	ExpiresAfter time.Duration

	// MinPasswordLength and MaxPasswordLength bound a new password, in
	// characters (Unicode code points).
	MinPasswordLength int
	MaxPasswordLength int
	// PasswordHistory is how many of the latest passwords, the current one
	// included, a new password must differ from; NoLimit means only the
	// current one.
	PasswordHistory int

	// MinPINLength and MaxPINLength bound a new PIN, in digits.
	MinPINLength int
	MaxPINLength int

	// AllowTrivial switches off the trivial-credential rules (repeats,
	// sequences, keypad patterns, the user's extension or name). It is the
	// inverse of the reference's "Trivial-credential check" so that the zero
	// policy keeps the check on.
	AllowTrivial bool
}

// DefaultCredentialPolicy mirrors the reference's default credential policy
// (3 failures, a 30-minute window, a 30-minute lockout, passwords that
// expire after 180 days, 8 characters, 12 previous credentials, trivial
// check on).
//
// The PIN minimum is 8 digits as well, because the reference keeps one policy
// per credential type with the same defaults; sites whose phones need short
// PINs lower it, and the keypad and sequence rules then carry more weight.
// The maxima of 128 are the reference portal's own hint for both fields and
// are above the 64 characters that ASVS asks a password field to accept.
var DefaultCredentialPolicy = CredentialPolicy{
	FailedLogonThreshold: 3,
	ResetFailedAfter:     30 * time.Minute,
	LockoutDuration:      30 * time.Minute,
	ExpiresAfter:         180 * 24 * time.Hour,
	MinPasswordLength:    8,
	MaxPasswordLength:    128,
	PasswordHistory:      12,
	MinPINLength:         8,
	MaxPINLength:         128,
}

// withDefaults fills zero (and meaningless negative) fields from the
// defaults and makes each maximum at least its minimum.
func (p CredentialPolicy) withDefaults() CredentialPolicy {
	d := DefaultCredentialPolicy
	positive := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	if p.FailedLogonThreshold == 0 || p.FailedLogonThreshold < NoLimit {
		p.FailedLogonThreshold = d.FailedLogonThreshold
	}
	if p.ResetFailedAfter <= 0 {
		p.ResetFailedAfter = d.ResetFailedAfter
	}
	if p.LockoutDuration == 0 {
		p.LockoutDuration = d.LockoutDuration
	} else if p.LockoutDuration < 0 {
		p.LockoutDuration = LockoutUntilUnlocked
	}
	if p.ExpiresAfter == 0 {
		p.ExpiresAfter = d.ExpiresAfter
	} else if p.ExpiresAfter < 0 {
		p.ExpiresAfter = NoExpiry
	}
	if p.PasswordHistory == 0 || p.PasswordHistory < NoLimit {
		p.PasswordHistory = d.PasswordHistory
	}
	positive(&p.MinPasswordLength, d.MinPasswordLength)
	positive(&p.MaxPasswordLength, d.MaxPasswordLength)
	positive(&p.MinPINLength, d.MinPINLength)
	positive(&p.MaxPINLength, d.MaxPINLength)
	p.MaxPasswordLength = max(p.MaxPasswordLength, p.MinPasswordLength)
	p.MaxPINLength = max(p.MaxPINLength, p.MinPINLength)
	return p
}

// historyKeep is how many previous hashes the store keeps besides the
// current one.
func (p CredentialPolicy) historyKeep() int {
	return max(p.PasswordHistory-1, 0)
}

// Defaults for the [Config] fields that are not part of the credential
// policy.
const (
	// DefaultIdleTimeout ends a session nobody used for this long; the
	// low-risk end of OWASP's range, since the portal only changes a user's
	// own phone settings.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultAbsoluteTimeout ends every session after an office day.
	DefaultAbsoluteTimeout = 8 * time.Hour
	// DefaultAddressFailureLimit failed logons from one address within
	// DefaultAddressWindow throttle every login from that address.
	DefaultAddressFailureLimit = 20
	DefaultAddressWindow       = 15 * time.Minute
	// DefaultHashWait bounds the wait for a hashing slot, so that a flood
	// fails fast with ErrBusy instead of queueing goroutines without end.
	DefaultHashWait = 10 * time.Second
)

// Config configures a [Service]. Every zero field means its default.
type Config struct {
	// Logger receives operational logs; nil discards them. Passwords, PINs
	// and session tokens are never logged.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand supplies salts and session tokens; nil means crypto/rand.Reader.
	Rand io.Reader
	// Policy is the credential policy, field by field. The credential
	// policy parameters decide it (see package params): a non-zero field
	// here stands in for the default of the matching parameter, so it
	// applies while an administrator has not set that parameter, and a
	// value they set wins. MaxPasswordLength and MaxPINLength have no
	// parameter and come only from here.
	Policy CredentialPolicy

	// IdleTimeout ends a session not used for this long (default 30m).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after login (default 8h).
	AbsoluteTimeout time.Duration

	// Hash holds the argon2id parameters for new hashes, field by field.
	Hash HashParams
	// MaxConcurrentHashes bounds simultaneous argon2id computations;
	// zero means one less than runtime.GOMAXPROCS(0), and at least one.
	MaxConcurrentHashes int
	// HashWait bounds the wait for a hashing slot (default 10s); the
	// caller's context can end it sooner. Negative means only the context.
	HashWait time.Duration

	// AddressFailureLimit is how many failed logons from one source
	// address within AddressWindow refuse every further login from it
	// (default 20); NoLimit switches the throttle off.
	AddressFailureLimit int
	// AddressWindow is the throttle's observation window (default 15m).
	AddressWindow time.Duration

	// Resolver computes grants; nil means acl.NewResolver(store,
	// acl.ResolverConfig{}). Its overlap policy applies while the
	// parameter Effective Access Privileges For Overlapping User Groups
	// and Roles is not set; once it is, the service sets the resolver's
	// policy from it.
	Resolver *acl.Resolver

	// Params keeps the parameters, the user profiles and the users'
	// Extension Mobility choices; nil means the Store itself when it
	// implements ParamStore (memstore and sqlstore do), and otherwise a
	// stand-in that holds nothing, so that every default applies and
	// every change fails.
	Params ParamStore

	// Onboarding configures device activation with activation codes;
	// without a store and a sealer the service offers none.
	Onboarding OnboardingConfig

	// ServiceSecrets seals the secret parameters of phone services before
	// they are stored; nil means the one of Onboarding.Sealer, from the
	// same activation key. With neither, secret values are refused with
	// ErrServiceSecretsOff (servicesecrets.go).
	ServiceSecrets *onboarding.SecretSealer

	// Prober answers [Service.HostAlive] and decides which hosts may be
	// probed; nil switches the hostAlive route off (ErrForbidden).
	Prober HostProber
	// HostAliveEvery and HostAliveBurst are each user's probe budget: one
	// probe per HostAliveEvery (default 1s), with up to HostAliveBurst
	// saved (default 10). NoLimit as HostAliveBurst switches it off.
	HostAliveEvery time.Duration
	HostAliveBurst int

	// MaxContactsPerPhone bounds the phone contacts of one phone (default
	// DefaultMaxContactsPerPhone, 200); see contacts.go.
	MaxContactsPerPhone int

	// RemoteDestinationLimit is how many remote destinations (additional
	// phones) a user may have unless an administrator sets their own
	// limit (default DefaultRemoteDestinationLimit, 4; at most
	// MaxRemoteDestinationLimit). RemoteDestinationTimeZone is the IANA time zone of a new
	// one's ring schedule (default DefaultRemoteDestinationTimeZone).
	RemoteDestinationLimit    int
	RemoteDestinationTimeZone string

	// InstalledLocales are the locales users may choose for their display
	// language and their phones', the site's default first; empty means
	// DefaultInstalledLocales. A list that [CheckInstalledLocales] refuses
	// is replaced by the defaults, with a warning in the log.
	InstalledLocales []string
}

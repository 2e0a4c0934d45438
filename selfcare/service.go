package selfcare

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
)

// Service is the Self Care portal's use cases: login, sessions, credential
// changes, the user's phones and the administrator's user operations. It is
// safe for concurrent use; several processes may share one [Store].
type Service struct {
	store    Store
	log      *slog.Logger
	now      func() time.Time
	rand     io.Reader
	idle     time.Duration
	absolute time.Duration

	addrLimit  int
	addrWindow time.Duration

	hash      *hasher
	resolver  *acl.Resolver
	directory *acl.Directory
	// params holds the parameters in force and what follows from them,
	// the credential policy among them (params.go).
	params *paramsState

	hostAlive *hostAlive
	// activation is device activation; nil when not configured.
	activation *activation
	// destinations returns the compiled destination policy in force
	// (destpolicy.go).
	destinations func() (*DestinationChecker, error)
	// rdLimit and rdTimeZone are the remote destination defaults
	// (remotedest.go).
	rdLimit    int
	rdTimeZone string
	// contactLimit bounds the contacts of one phone (contacts.go).
	contactLimit int
	// locales are the installed locales, the default first (phonesettings.go).
	locales []string
	// secrets seals phone service secrets; nil refuses them (servicesecrets.go).
	secrets *onboarding.SecretSealer
}

// New returns a service that keeps its data in store. Zero fields of cfg
// take their defaults; New never fails, so bad values are replaced by the
// defaults rather than reported.
func New(store Store, cfg Config) *Service {
	s := &Service{
		store:      store,
		log:        cfg.Logger,
		now:        cfg.Now,
		rand:       cfg.Rand,
		idle:       cfg.IdleTimeout,
		absolute:   cfg.AbsoluteTimeout,
		addrLimit:  cfg.AddressFailureLimit,
		addrWindow: cfg.AddressWindow,
		resolver:   cfg.Resolver,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.idle <= 0 {
		s.idle = DefaultIdleTimeout
	}
	if s.absolute <= 0 {
		s.absolute = DefaultAbsoluteTimeout
	}
	if s.addrLimit == 0 || s.addrLimit < NoLimit {
		s.addrLimit = DefaultAddressFailureLimit
	}
	if s.addrWindow <= 0 {
		s.addrWindow = DefaultAddressWindow
	}

	slots := cfg.MaxConcurrentHashes
	if slots <= 0 {
		// Leave one processor to the requests that do not hash, so that a
		// login flood slows logins, not the rest of the portal.
		slots = max(1, runtime.GOMAXPROCS(0)-1)
	}
	wait := cfg.HashWait
	switch {
	case wait == 0:
		wait = DefaultHashWait
	case wait < 0:
		wait = 0
	}
	s.hash = newHasher(cfg.Hash.withDefaults(), s.rand, slots, wait)
	s.hostAlive = newHostAlive(cfg)

	if s.resolver == nil {
		s.resolver = acl.NewResolver(store, acl.ResolverConfig{Logger: s.log})
	}
	s.directory = acl.NewDirectory(store, acl.DirectoryConfig{
		Logger:   s.log,
		Resolver: s.resolver,
		Rand:     s.rand,
		UserRank: s.userRank,
	})
	s.params = newParamsState(store, cfg, s.resolver, s.log)
	s.activation = s.newActivation(cfg.Onboarding)
	s.destinations = s.destinationSource()
	s.rdLimit, s.rdTimeZone = remoteDestinationDefaults(cfg)
	s.contactLimit = contactLimit(cfg)
	s.locales = installedLocales(cfg.InstalledLocales, s.log)
	s.secrets = serviceSecrets(cfg)
	return s
}

// Resolver returns the resolver that decides Self Care access.
func (s *Service) Resolver() *acl.Resolver { return s.resolver }

// Directory returns the access control directory, for administrators. Its
// changes invalidate the service's resolver.
func (s *Service) Directory() *acl.Directory { return s.directory }

// Policy returns the credential policy in force, from the parameters as
// of the last request, with every default filled in, so that a page can
// show the real rules next to the fields.
func (s *Service) Policy() CredentialPolicy { return s.credPolicy() }

// userRank lets the directory check a rank requirement against members.
func (s *Service) userRank(ctx context.Context, userID string) (int, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return 0, err
	}
	return rankOrDefault(u.Rank), nil
}

// Principal is the caller of a request: the user, their session and their
// grant, as [Service.Login] or [Service.Authenticate] found them.
type Principal struct {
	User    User
	Session Session
	Grant   *acl.Grant
}

// MustChangePassword reports whether the user must change their password
// before doing anything else.
func (p *Principal) MustChangePassword() bool {
	return p != nil && p.User.MustChangePassword
}

// Phones returns the devices the principal owns, ordered by name. It returns
// ErrUnauthenticated for a nil principal and ErrPasswordChangeRequired while
// the user must change their password.
func (s *Service) Phones(ctx context.Context, p *Principal) ([]Device, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	ds, err := s.store.UserDevices(ctx, p.User.ID)
	if err != nil {
		return nil, fmt.Errorf("selfcare: phones: %w", err)
	}
	return s.withUserDescriptions(ctx, p.User.ID, ds)
}

// ready refuses a request from nobody, or from a user who must first change
// their password.
func (s *Service) ready(p *Principal) error {
	if p == nil || p.User.ID == "" {
		return ErrUnauthenticated
	}
	if p.MustChangePassword() {
		return ErrPasswordChangeRequired
	}
	return nil
}

// rankOrDefault maps the unset rank 0 to the default rank.
func rankOrDefault(r int) int {
	if r == 0 {
		return acl.DefaultRank
	}
	return r
}

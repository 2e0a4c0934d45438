package selfcare

import (
	"errors"
	"fmt"
	"maps"

	"github.com/ucselfcare/portal/onboarding"
)

// Secret parameters of phone services are sealed at rest: the service
// seals each new secret value for its place (phone, service, parameter)
// with an [onboarding.SecretSealer] before the store sees it, so that the
// database holds "v1:" and base64 instead of the value, and a value copied
// to another row does not open. The key derives from the activation key,
// which is kept outside the database. Nothing in the portal opens a
// secret: users and administrators only learn which secrets are set.
//
// Without a key the service stores no new secret value: adding a service
// with a secret parameter, and subscribing or changing a secret, fail
// with [ErrServiceSecretsOff]. Refusing is the safer answer: storing in
// clear would leave the database holding what it must not.
//
// A database from before sealing may hold secrets in clear. They still
// count as set, and each is sealed at the next save of its subscription;
// without a key such a value is written back as it was, since the row
// holds it already.

// ErrServiceSecretsOff means that the service has no key to seal phone
// service secrets with, so it stores none: see [Config].ServiceSecrets.
var ErrServiceSecretsOff = fmt.Errorf("selfcare: no activation key seals phone "+
	"service secrets, so none is stored: %w", errors.ErrUnsupported)

// serviceSecrets returns the sealer of cfg, or nil.
func serviceSecrets(cfg Config) *onboarding.SecretSealer {
	if cfg.ServiceSecrets != nil {
		return cfg.ServiceSecrets
	}
	if cfg.Onboarding.Sealer != nil {
		return cfg.Onboarding.Sealer.Secrets()
	}
	return nil
}

// ServiceSecretsEnabled reports whether the service seals, and therefore
// accepts, secret parameters of phone services.
func (s *Service) ServiceSecretsEnabled() bool { return s.secrets != nil }

// secretsAccepted refuses a catalogue entry with a secret parameter while
// there is no key to seal its values.
func (s *Service) secretsAccepted(ps PhoneService) error {
	if s.secrets != nil {
		return nil
	}
	for _, p := range ps.Params {
		if p.Secret {
			return fmt.Errorf("selfcare: phone service %q, parameter %q: %w", ps.ID,
				p.Name, ErrServiceSecretsOff)
		}
	}
	return nil
}

// secretPlace is where the value of parameter name belongs.
func secretPlace(device, serviceID, name string) onboarding.SecretPlace {
	return onboarding.SecretPlace{Device: device, Service: serviceID, Param: name}
}

// sealSecrets returns next, the checked values of the subscription of
// device to ps, as the store is to keep them: every secret sealed. cur is
// what the store holds now (nil for a new subscription). A value equal to
// the stored one is the stored one: a seal stays as it is, and a clear
// value from before sealing is sealed now. Any other secret is new and
// sealed, or refused with ErrServiceSecretsOff without a key.
func (s *Service) sealSecrets(ps PhoneService, device string, cur,
	next map[string]string) (map[string]string, error) {
	out := maps.Clone(next)
	for _, prm := range ps.Params {
		v := next[prm.Name]
		old, kept := cur[prm.Name]
		kept = kept && old == v
		switch {
		case !prm.Secret || v == "":
			continue
		case kept && onboarding.IsSealedSecret(v):
			continue
		case s.secrets == nil && kept:
			// A clear value from before sealing, with nothing to seal
			// it: the row holds it already.
			continue
		case s.secrets == nil:
			return nil, fmt.Errorf("selfcare: phone service %q, parameter %q: %w", ps.ID,
				prm.Name, ErrServiceSecretsOff)
		}
		sealed, err := s.secrets.Seal(v, secretPlace(device, ps.ID, prm.Name))
		if err != nil {
			return nil, fmt.Errorf("selfcare: phone service %q, parameter %q: %w", ps.ID,
				prm.Name, err)
		}
		out[prm.Name] = sealed
	}
	return out, nil
}

// OpenServiceSecrets returns the values of sub, a subscription to ps as
// the store keeps it, with its secrets opened by sealer: what a phone's
// service URL would carry. The portal itself never needs it; it is for
// whatever builds service URLs, and must never feed a page, the API, a
// log or the audit trail. A clear secret stored before sealing is
// returned as it is. A seal that does not open under sealer, or not for
// this phone, service and parameter, is [onboarding.ErrSecretSeal].
func OpenServiceSecrets(sealer *onboarding.SecretSealer, ps PhoneService,
	sub ServiceSubscription) (map[string]string, error) {
	out := maps.Clone(sub.Values)
	if out == nil {
		out = map[string]string{}
	}
	for _, prm := range ps.Params {
		v := out[prm.Name]
		if !prm.Secret || !onboarding.IsSealedSecret(v) {
			continue
		}
		if sealer == nil {
			return nil, ErrServiceSecretsOff
		}
		plain, err := sealer.Open(v, secretPlace(sub.Device, sub.ServiceID, prm.Name))
		if err != nil {
			return nil, fmt.Errorf("selfcare: phone %q, service %q, parameter %q: %w",
				displayLine(sub.Device), sub.ServiceID, prm.Name, err)
		}
		out[prm.Name] = plain
	}
	return out, nil
}

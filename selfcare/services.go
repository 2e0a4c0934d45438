package selfcare

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
)

// Phone services are an administrator's catalogue of IP phone services, each
// with a URL that only the administrator sets and a template of parameters
// that a user fills in when they subscribe one of their phones. A user
// never supplies a URL: the phone's service URL is the administrator's URL
// with the user's parameter values, so a user cannot point their phone, or
// anybody's, at a server of their choosing.
//
// A catalogue service is added whole and removed whole, never edited: a
// template that changed under existing subscriptions would leave values
// that no longer pass it. To change a service, remove it (with its
// subscriptions) and add it again.
//
// A subscription carries its own version: subscribing, changing the values
// and unsubscribing one service of a phone never races with another
// service of the same phone.

// Limits of the catalogue, chosen here and documented in the README.
const (
	// MaxServiceName bounds a service's name and a parameter's display
	// name, in characters: what a phone's services menu shows.
	MaxServiceName = 64
	// MaxServiceDescription bounds a service's description, in characters.
	MaxServiceDescription = 256
	// MaxServiceURL bounds a service URL, in bytes.
	MaxServiceURL = 1024
	// MaxServiceParams bounds the parameters of one service.
	MaxServiceParams = 16
	// MaxServiceParamLength is the highest MaxLength of a parameter, in
	// characters.
	MaxServiceParamLength = 256
)

// ErrPhoneServicesOff means the service's store keeps no phone services.
var ErrPhoneServicesOff = fmt.Errorf("selfcare: the store keeps no phone services: %w",
	errors.ErrUnsupported)

// ErrSubscribed means the phone is already subscribed to the service. It
// matches [ErrExists], so the API answers 409.
var ErrSubscribed = fmt.Errorf("selfcare: the phone is already subscribed to the "+
	"service: %w", ErrExists)

// ErrServiceInUse means a catalogue service still has subscriptions and
// was not removed. It matches [ErrExists], so the API answers 409.
var ErrServiceInUse = fmt.Errorf("selfcare: phones are subscribed to the service: %w",
	ErrExists)

// Audit actions of phone services.
const (
	// ActionPhoneServiceAdd is [Service.AddPhoneService].
	ActionPhoneServiceAdd = "phoneservice.add"
	// ActionPhoneServiceRemove is [Service.RemovePhoneService].
	ActionPhoneServiceRemove = "phoneservice.remove"
	// ActionServiceSubscribe is [Service.SubscribeService].
	ActionServiceSubscribe = "phoneservice.subscribe"
	// ActionServiceChange is [Service.UpdateSubscribedService].
	ActionServiceChange = "phoneservice.change"
	// ActionServiceUnsubscribe is [Service.UnsubscribeService].
	ActionServiceUnsubscribe = "phoneservice.unsubscribe"
)

// secretMask stands for a secret value in the audit trail.
const secretMask = "****"

// Secret values must reach the phone's service URL, so they cannot be
// hashed as passwords are; they are sealed under a key kept outside the
// database instead (servicesecrets.go), and no view, a user's or an
// administrator's, returns them.

// PhoneServiceKind tells an internal service, which the cluster itself
// serves, from an external URL; Phone Service Display decides which kinds
// users are offered.
type PhoneServiceKind uint8

// The kinds of phone service.
const (
	PhoneServiceInternal PhoneServiceKind = 0
	PhoneServiceExternal PhoneServiceKind = 1
)

var serviceKindNames = map[PhoneServiceKind]string{PhoneServiceInternal: "internal",
	PhoneServiceExternal: "external"}

// String returns the kind's name in the API: "internal" or "external".
func (k PhoneServiceKind) String() string {
	return enumString(serviceKindNames, k, "PhoneServiceKind")
}

// MarshalText returns the name; an unknown kind is an error.
func (k PhoneServiceKind) MarshalText() ([]byte, error) {
	return enumMarshal(serviceKindNames, k, "phone service kind")
}

// UnmarshalText reads a name that MarshalText returns.
func (k *PhoneServiceKind) UnmarshalText(b []byte) error {
	return enumUnmarshal(serviceKindNames, k, b, "phone service kind")
}

// offeredBy reports whether Phone Service Display d offers kind k.
func (k PhoneServiceKind) offeredBy(d params.PhoneServiceDisplay) bool {
	switch d {
	case params.PhoneServiceBoth:
		return true
	case params.PhoneServiceExternal:
		return k == PhoneServiceExternal
	}
	return k == PhoneServiceInternal
}

// ServiceParamKind is what a parameter's value may hold.
type ServiceParamKind uint8

// The kinds of parameter value.
const (
	// ServiceParamText is any text without control or invisible characters.
	ServiceParamText ServiceParamKind = 0
	// ServiceParamDigits is the ASCII digits 0 to 9 only.
	ServiceParamDigits ServiceParamKind = 1
)

var paramKindNames = map[ServiceParamKind]string{ServiceParamText: "text",
	ServiceParamDigits: "digits"}

// String returns the kind's name in the API: "text" or "digits".
func (k ServiceParamKind) String() string {
	return enumString(paramKindNames, k, "ServiceParamKind")
}

// MarshalText returns the name; an unknown kind is an error.
func (k ServiceParamKind) MarshalText() ([]byte, error) {
	return enumMarshal(paramKindNames, k, "parameter kind")
}

// UnmarshalText reads a name that MarshalText returns.
func (k *ServiceParamKind) UnmarshalText(b []byte) error {
	return enumUnmarshal(paramKindNames, k, b, "parameter kind")
}

// ServiceParam is one parameter of a service's template.
type ServiceParam struct {
	// Name identifies the parameter in the service URL and in the API:
	// an ASCII letter, then up to 31 letters, digits or underscores.
	Name string
	// DisplayName is what the form shows as the field's label.
	DisplayName string
	Required    bool
	// MaxLength bounds a value, in characters, from 1 to
	// [MaxServiceParamLength].
	MaxLength int
	Kind      ServiceParamKind
	// Secret marks a value, such as an agent password, that is never
	// shown again once saved and is masked in the audit trail. A secret
	// has no default.
	Secret bool
	// Default is the value of a parameter the user leaves out.
	Default string
}

// PhoneService is one service of the catalogue.
type PhoneService struct {
	// ID is the service's stable name in the API: 1 to 32 lower-case
	// ASCII letters, digits and hyphens, starting with a letter or digit.
	ID          string
	Name        string
	Description string
	Kind        PhoneServiceKind
	// URL is where phones fetch the service; administrators only. The
	// user operations return services with an empty URL.
	URL    string
	Params []ServiceParam
}

// param returns the template's parameter called name.
func (ps PhoneService) param(name string) (ServiceParam, bool) {
	i := slices.IndexFunc(ps.Params, func(p ServiceParam) bool { return p.Name == name })
	if i < 0 {
		return ServiceParam{}, false
	}
	return ps.Params[i], true
}

// forUser returns the service as users may see it: without its URL.
func (ps PhoneService) forUser() PhoneService {
	ps.URL = ""
	ps.Params = slices.Clone(ps.Params)
	return ps
}

// ServiceSubscription is a phone's subscription to a service as the store
// keeps it, secrets included.
type ServiceSubscription struct {
	Device    string
	ServiceID string
	// Values holds a value for every parameter of the template.
	Values map[string]string
	// Version is 1 for a new subscription and one more with every save.
	Version int64
}

// SubscribedService is a subscription as its user sees it: the service
// without its URL, and the values without the secrets.
type SubscribedService struct {
	Device  string
	Service PhoneService
	// Values holds the values of the parameters that are not secret.
	Values map[string]string
	// SecretsSet names the secret parameters that hold a value, in the
	// template's order.
	SecretsSet []string
	// Offered is false when Phone Service Display no longer offers the
	// service's kind: the user may unsubscribe but not change it.
	Offered bool
	Version int64
}

// ServicePatch changes a subscription's values in the manner of a JSON
// merge patch, by parameter name: an absent parameter stays as it is, a
// null one returns to its default, a value is set.
type ServicePatch map[string]PatchField[string]

// PhoneServiceStore keeps the catalogue and the subscriptions. memstore
// and sqlstore implement it; the service uses it when its [Store] does.
type PhoneServiceStore interface {
	// PhoneServices returns the catalogue, ordered by ID. It returns only
	// storage errors.
	PhoneServices(ctx context.Context) ([]PhoneService, error)
	// PhoneService returns one service, or ErrNotFound.
	PhoneService(ctx context.Context, id string) (PhoneService, error)
	// AddPhoneService adds a service, or returns ErrExists when its ID is
	// taken. The caller has checked it.
	AddPhoneService(ctx context.Context, ps PhoneService) error
	// RemovePhoneService removes a service, in one transaction, and
	// returns how many subscriptions went with it. While phones are
	// subscribed it removes nothing and returns ErrServiceInUse, wrapped,
	// unless cascade is true, when the subscriptions go too. It returns
	// ErrNotFound for an unknown service.
	RemovePhoneService(ctx context.Context, id string, cascade bool) (int, error)

	// Subscriptions returns the subscriptions of the phone named device,
	// ordered by service ID; none is not an error.
	Subscriptions(ctx context.Context, device string) ([]ServiceSubscription, error)
	// Subscription returns one subscription, or ErrNotFound.
	Subscription(ctx context.Context, device, serviceID string) (ServiceSubscription,
		error)
	// Subscribe stores a new subscription at Version 1 and returns it. It
	// returns ErrSubscribed, wrapped, when the phone has one to the
	// service, and ErrNotFound when the service is not in the catalogue.
	Subscribe(ctx context.Context, sub ServiceSubscription) (ServiceSubscription, error)
	// UpdateSubscription replaces the values when the stored version is
	// sub.Version and returns what it stored, at sub.Version+1. It returns
	// ErrNotFound for no subscription, and ErrVersionConflict, wrapped,
	// for another version, writing nothing then.
	UpdateSubscription(ctx context.Context, sub ServiceSubscription) (
		ServiceSubscription, error)
	// Unsubscribe removes the subscription when its version is version. It
	// returns ErrNotFound and ErrVersionConflict as UpdateSubscription.
	Unsubscribe(ctx context.Context, device, serviceID string, version int64) error
}

// phoneServiceStore returns the store's phone services, or
// ErrPhoneServicesOff.
func (s *Service) phoneServiceStore() (PhoneServiceStore, error) {
	ps, ok := s.store.(PhoneServiceStore)
	if !ok {
		return nil, ErrPhoneServicesOff
	}
	return ps, nil
}

// --- Administrators ---

// PhoneServiceCatalogue returns every service of the catalogue, URLs
// included, ordered by ID; c needs read access to [acl.ResourceDevices],
// since services are part of the phones' configuration.
func (s *Service) PhoneServiceCatalogue(ctx context.Context, c Caller) ([]PhoneService,
	error) {
	if err := s.authorize(ctx, c, acl.ResourceDevices, acl.Read, "phoneservice.list",
		""); err != nil {
		return nil, err
	}
	st, err := s.phoneServiceStore()
	if err != nil {
		return nil, err
	}
	all, err := st.PhoneServices(ctx)
	if err != nil {
		return nil, fmt.Errorf("selfcare: phone services: %w", err)
	}
	return all, nil
}

// AddPhoneService adds ps to the catalogue; c needs update access to
// [acl.ResourceDevices]. It returns, in the order it checks: ErrForbidden;
// a [*ValidationError] naming each bad field ("id", "name",
// "description", "kind", "url", "parameters[i].name" and so on); and
// ErrExists when the ID is taken. Every outcome is audited.
func (s *Service) AddPhoneService(ctx context.Context, c Caller, ps PhoneService) error {
	if err := s.authorize(ctx, c, acl.ResourceDevices, acl.Update,
		ActionPhoneServiceAdd, clean(ps.ID)); err != nil {
		return err
	}
	st, err := s.phoneServiceStore()
	if err != nil {
		return err
	}
	ps.Params = slices.Clone(ps.Params)
	deny := func(err error) error {
		s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionPhoneServiceAdd,
			Target: "service " + ps.ID, Outcome: OutcomeDenied, Detail: auditReason(err),
			RemoteAddr: c.addr})
		return err
	}
	if err := checkPhoneService(ps); err != nil {
		return deny(err)
	}
	if err := s.secretsAccepted(ps); err != nil {
		return deny(err)
	}
	if err := st.AddPhoneService(ctx, ps); err != nil {
		if errors.Is(err, ErrExists) {
			return deny(fmt.Errorf("selfcare: phone service %q: %w", ps.ID, err))
		}
		return fmt.Errorf("selfcare: phone service %q: %w", ps.ID, err)
	}
	s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionPhoneServiceAdd,
		Target: "service " + ps.ID, Outcome: OutcomeOK, Detail: describeService(ps),
		RemoteAddr: c.addr})
	return nil
}

// RemovePhoneService removes a service from the catalogue and returns how
// many subscriptions went with it; c needs update access to
// [acl.ResourceDevices]. While phones are subscribed it returns
// ErrServiceInUse unless cascade is true, when their subscriptions end
// too. An unknown service is ErrNotFound. Every outcome is audited.
func (s *Service) RemovePhoneService(ctx context.Context, c Caller, id string,
	cascade bool) (int, error) {
	if err := s.authorize(ctx, c, acl.ResourceDevices, acl.Update,
		ActionPhoneServiceRemove, clean(id)); err != nil {
		return 0, err
	}
	st, err := s.phoneServiceStore()
	if err != nil {
		return 0, err
	}
	n, err := st.RemovePhoneService(ctx, id, cascade)
	switch {
	case errors.Is(err, ErrServiceInUse) || errors.Is(err, ErrNotFound):
		err = fmt.Errorf("selfcare: phone service %q: %w", id, err)
		s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionPhoneServiceRemove,
			Target: "service " + id, Outcome: OutcomeDenied, Detail: auditReason(err),
			RemoteAddr: c.addr})
		return 0, err
	case err != nil:
		return 0, fmt.Errorf("selfcare: phone service %q: %w", id, err)
	}
	s.audit(ctx, AuditEvent{Actor: c.actor, Action: ActionPhoneServiceRemove,
		Target: "service " + id, Outcome: OutcomeOK,
		Detail: fmt.Sprintf("removed with %d subscriptions", n), RemoteAddr: c.addr})
	return n, nil
}

// checkPhoneService reports every problem of a catalogue entry at once.
func checkPhoneService(ps PhoneService) error {
	v := &ValidationError{}
	if !validServiceID(ps.ID) {
		v.add("id", "Use 1 to 32 lower-case letters, digits and hyphens, starting "+
			"with a letter or digit.")
	}
	if msg := textProblem(ps.Name, MaxServiceName, true); msg != "" {
		v.add("name", "The name: "+msg)
	}
	if msg := textProblem(ps.Description, MaxServiceDescription, false); msg != "" {
		v.add("description", "The description: "+msg)
	}
	if _, ok := serviceKindNames[ps.Kind]; !ok {
		v.add("kind", "Choose internal or external.")
	}
	if msg := serviceURLProblem(ps.URL); msg != "" {
		v.add("url", msg)
	}
	if len(ps.Params) > MaxServiceParams {
		v.add("parameters", fmt.Sprintf("A service has at most %d parameters.",
			MaxServiceParams))
	}
	seen := map[string]bool{}
	for i, p := range ps.Params {
		field := fmt.Sprintf("parameters[%d].", i)
		switch {
		case !validParamName(p.Name):
			v.add(field+"name", "Start with a letter; then use up to 31 letters, "+
				"digits or underscores.")
		case seen[p.Name]:
			v.add(field+"name", "Another parameter has this name.")
		}
		seen[p.Name] = true
		if msg := textProblem(p.DisplayName, MaxServiceName, true); msg != "" {
			v.add(field+"displayName", "The display name: "+msg)
		}
		if p.MaxLength < 1 || p.MaxLength > MaxServiceParamLength {
			v.add(field+"maxLength", fmt.Sprintf("Choose a maximum length from 1 to %d.",
				MaxServiceParamLength))
		}
		if _, ok := paramKindNames[p.Kind]; !ok {
			v.add(field+"kind", "Choose text or digits.")
		}
		switch {
		case p.Secret && p.Default != "":
			v.add(field+"default", "A secret has no default: it would be shared by "+
				"every subscriber.")
		case p.Default != "" && p.MaxLength >= 1:
			if msg := valueProblem(p, p.Default); msg != "" {
				v.add(field+"default", msg)
			}
		}
	}
	return v.err()
}

// validServiceID reports whether id can name a service in a path.
func validServiceID(id string) bool {
	if id == "" || len(id) > 32 || id[0] == '-' {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-'
	})
}

// validParamName reports whether name can name a parameter in a URL query
// and in a form field.
func validParamName(name string) bool {
	if name == "" || len(name) > 32 || !isASCIILetter(rune(name[0])) {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool {
		return !isASCIILetter(r) && (r < '0' || r > '9') && r != '_'
	})
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// serviceURLProblem returns why a service URL is refused, or "".
func serviceURLProblem(raw string) string {
	if len(raw) > MaxServiceURL {
		return fmt.Sprintf("Use at most %d characters for the URL.", MaxServiceURL)
	}
	u, err := url.Parse(raw)
	switch {
	case raw == "" || err != nil || !u.IsAbs() || u.Host == "":
		return "Enter an absolute http or https URL, such as " +
			"https://services.example.com/directory."
	case u.Scheme != "http" && u.Scheme != "https":
		return "Use an http or https URL."
	case u.User != nil:
		return "Put no user name or password in the URL; use a secret parameter."
	case strings.ContainsFunc(raw, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r)
	}):
		return "The URL holds spaces or control characters."
	}
	return ""
}

// textProblem returns why a name or a description is refused, or "".
func textProblem(text string, maxLen int, required bool) string {
	switch {
	case !utf8.ValidString(text):
		return "it is not valid text."
	case required && blankText(text):
		return "enter it."
	case utf8.RuneCountInString(text) > maxLen:
		return fmt.Sprintf("use at most %d characters.", maxLen)
	case strings.ContainsFunc(text, invisibleRune):
		return "it holds a control or invisible character."
	case edgeBlank(text):
		return "remove the spaces at its start or end."
	}
	return ""
}

// valueProblem returns why a value of parameter p is refused, or "". It
// never repeats the value, which may be a secret.
func valueProblem(p ServiceParam, val string) string {
	switch {
	case !utf8.ValidString(val):
		return "The value is not valid text."
	case val == "" && p.Required:
		return "Enter " + p.DisplayName + "; it is required."
	case utf8.RuneCountInString(val) > p.MaxLength:
		return fmt.Sprintf("Use at most %d characters.", p.MaxLength)
	case p.Kind == ServiceParamDigits && strings.ContainsFunc(val, func(r rune) bool {
		return r < '0' || r > '9'
	}):
		return "Use digits 0 to 9 only."
	case strings.ContainsFunc(val, invisibleRune):
		return "The value holds a control or invisible character."
	}
	return ""
}

// describeService describes a catalogue entry for the audit trail.
func describeService(ps PhoneService) string {
	names := make([]string, 0, len(ps.Params))
	for _, p := range ps.Params {
		n := p.Name
		if p.Secret {
			n += " (secret)"
		}
		names = append(names, n)
	}
	return fmt.Sprintf("%s %q %s, parameters: %s", ps.Kind, ps.Name, ps.URL,
		strings.Join(names, ", "))
}

// --- Users ---

// servicesReady runs the checks every user operation shares: the
// principal, the gate and the store.
func (s *Service) servicesReady(ctx context.Context, p *Principal) (PhoneServiceStore,
	error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if err := s.CheckFeature(ctx, p, params.FeaturePhoneServices); err != nil {
		return nil, err
	}
	return s.phoneServiceStore()
}

// ownsPhone returns ErrNotFound, as for a phone that does not exist, when
// device is not one of the principal's phones.
func (s *Service) ownsPhone(ctx context.Context, p *Principal, device string) error {
	ds, err := s.store.UserDevices(ctx, p.User.ID)
	if err != nil {
		return fmt.Errorf("selfcare: phone services: %w", err)
	}
	if !slices.ContainsFunc(ds, func(d Device) bool { return d.Name == device }) {
		return fmt.Errorf("selfcare: phone services: phone %q: %w", displayLine(device),
			ErrNotFound)
	}
	return nil
}

// offered reports whether the parameters in force offer ps to p.
func (s *Service) offered(ctx context.Context, p *Principal, ps PhoneService) bool {
	return ps.Kind.offeredBy(s.Features(ctx, p).PhoneServiceDisplay)
}

// errNoService is the one answer for a service that is missing, removed
// or not offered, so that a user learns nothing of the rest.
func errNoService(id string) error {
	return fmt.Errorf("selfcare: phone service %q: %w", displayLine(id), ErrNotFound)
}

// PhoneServices returns the services the principal may subscribe to,
// those whose kind Phone Service Display offers, ordered by ID and
// without URLs. It returns a [*params.GateError] while Show Phone
// Services Settings hides phone services, and the errors of
// [Service.Phones].
func (s *Service) PhoneServices(ctx context.Context, p *Principal) ([]PhoneService,
	error) {
	st, err := s.servicesReady(ctx, p)
	if err != nil {
		return nil, err
	}
	all, err := st.PhoneServices(ctx)
	if err != nil {
		return nil, fmt.Errorf("selfcare: phone services: %w", err)
	}
	out := make([]PhoneService, 0, len(all))
	for _, ps := range all {
		if s.offered(ctx, p, ps) {
			out = append(out, ps.forUser())
		}
	}
	return out, nil
}

// SubscribedServices returns the subscriptions of device, one of the
// principal's phones, ordered by service ID, without URLs or secrets. It
// returns ErrNotFound, as for a phone that does not exist, when the phone
// is not the principal's, and the errors of [Service.PhoneServices].
func (s *Service) SubscribedServices(ctx context.Context, p *Principal, device string) (
	[]SubscribedService, error) {
	st, err := s.servicesReady(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := s.ownsPhone(ctx, p, device); err != nil {
		return nil, err
	}
	subs, err := st.Subscriptions(ctx, device)
	if err != nil {
		return nil, fmt.Errorf("selfcare: phone services: %w", err)
	}
	all, err := st.PhoneServices(ctx)
	if err != nil {
		return nil, fmt.Errorf("selfcare: phone services: %w", err)
	}
	out := make([]SubscribedService, 0, len(subs))
	for _, sub := range subs {
		i := slices.IndexFunc(all, func(ps PhoneService) bool { return ps.ID == sub.ServiceID })
		if i < 0 {
			continue // removed between the two reads
		}
		out = append(out, s.redact(ctx, p, all[i], sub))
	}
	return out, nil
}

// SubscribedService returns the subscription of device to the service id.
// It returns ErrNotFound when the phone is not the principal's or has no
// such subscription, and the errors of [Service.PhoneServices].
func (s *Service) SubscribedService(ctx context.Context, p *Principal, device,
	id string) (SubscribedService, error) {
	st, err := s.servicesReady(ctx, p)
	if err != nil {
		return SubscribedService{}, err
	}
	if err := s.ownsPhone(ctx, p, device); err != nil {
		return SubscribedService{}, err
	}
	ps, sub, err := subscriptionOf(ctx, st, device, id)
	if err != nil {
		return SubscribedService{}, err
	}
	return s.redact(ctx, p, ps, sub), nil
}

// subscriptionOf reads a subscription and its service; either missing is
// ErrNotFound.
func subscriptionOf(ctx context.Context, st PhoneServiceStore, device, id string) (
	PhoneService, ServiceSubscription, error) {
	sub, err := st.Subscription(ctx, device, id)
	if errors.Is(err, ErrNotFound) {
		return PhoneService{}, ServiceSubscription{}, errNoService(id)
	}
	if err != nil {
		return PhoneService{}, ServiceSubscription{},
			fmt.Errorf("selfcare: phone services: %w", err)
	}
	ps, err := st.PhoneService(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return PhoneService{}, ServiceSubscription{}, errNoService(id)
	}
	if err != nil {
		return PhoneService{}, ServiceSubscription{},
			fmt.Errorf("selfcare: phone services: %w", err)
	}
	return ps, sub, nil
}

// redact returns what the user may see of a subscription.
func (s *Service) redact(ctx context.Context, p *Principal, ps PhoneService,
	sub ServiceSubscription) SubscribedService {
	out := SubscribedService{Device: sub.Device, Service: ps.forUser(),
		Values: map[string]string{}, Offered: s.offered(ctx, p, ps), Version: sub.Version}
	for _, prm := range ps.Params {
		v, ok := sub.Values[prm.Name]
		switch {
		case !ok:
		case prm.Secret:
			if v != "" {
				out.SecretsSet = append(out.SecretsSet, prm.Name)
			}
		default:
			out.Values[prm.Name] = v
		}
	}
	return out
}

// serviceDenier audits a refused write of the principal and returns err.
func (s *Service) serviceDenier(ctx context.Context, p *Principal, action, target,
	remoteAddr string) func(err error, detail string) error {
	return func(err error, detail string) error {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: action, Target: target,
			Outcome: OutcomeDenied, Detail: detail, RemoteAddr: remoteAddr})
		return err
	}
}

// SubscribeService subscribes device, one of the principal's phones, to
// the offered service id with values by parameter name; a parameter left
// out takes its default. It returns what is stored, at Version 1.
//
// It returns, in the order it checks: the errors of
// [Service.SubscribedServices]; ErrNotFound when the service is missing
// or its kind is not offered, the same answer as for a missing phone; a
// [*ValidationError] naming "parameters.NAME" for each value that is
// unknown to the template, missing while required, too long, not digits
// where digits are asked for, or holding control characters; and
// ErrSubscribed when the phone is already subscribed. Every change and
// every refusal is audited, secrets masked.
func (s *Service) SubscribeService(ctx context.Context, p *Principal, device, id string,
	values map[string]string, remoteAddr string) (SubscribedService, error) {
	if err := s.ready(p); err != nil {
		return SubscribedService{}, err
	}
	if err := s.gate(ctx, p, params.FeaturePhoneServices, ActionServiceSubscribe,
		remoteAddr); err != nil {
		return SubscribedService{}, err
	}
	st, err := s.servicesReady(ctx, p)
	if err != nil {
		return SubscribedService{}, err
	}
	target := "phone " + device + " service " + id
	deny := s.serviceDenier(ctx, p, ActionServiceSubscribe, target, remoteAddr)
	if err := s.ownsPhone(ctx, p, device); err != nil {
		return SubscribedService{}, deny(err, "not a phone of the user")
	}
	ps, err := st.PhoneService(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && !s.offered(ctx, p, ps):
		return SubscribedService{}, deny(errNoService(id), "no such service offered")
	case err != nil:
		return SubscribedService{}, fmt.Errorf("selfcare: phone services: %w", err)
	}

	patch := make(ServicePatch, len(values))
	for k, v := range values {
		patch[k] = Set(v)
	}
	next, err := applyServicePatch(ps, nil, patch)
	if err != nil {
		return SubscribedService{}, deny(err, auditReason(err))
	}
	sealed, err := s.sealSecrets(ps, device, nil, next)
	if err != nil {
		return SubscribedService{}, deny(err, auditReason(err))
	}
	saved, err := st.Subscribe(ctx, ServiceSubscription{Device: device, ServiceID: id,
		Values: sealed})
	switch {
	case errors.Is(err, ErrExists):
		return SubscribedService{}, deny(fmt.Errorf("selfcare: phone services: %w",
			ErrSubscribed), "already subscribed")
	case errors.Is(err, ErrNotFound):
		return SubscribedService{}, deny(errNoService(id), "service removed meanwhile")
	case err != nil:
		return SubscribedService{}, fmt.Errorf("selfcare: phone services: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionServiceSubscribe,
		Target: target, Outcome: OutcomeOK,
		Detail:     describeValues(ps, next) + " (version 1)",
		RemoteAddr: remoteAddr})
	return s.redact(ctx, p, ps, saved), nil
}

// UpdateSubscribedService applies patch to the values of the subscription
// of device to service id when ifMatch is its version, and returns what is
// stored now.
//
// It returns, in the order it checks: the errors of
// [Service.SubscribedService]; ErrNotFound, too, while the service's kind
// is not offered; the [*ValidationError] of [Service.SubscribeService];
// and ErrVersionConflict when ifMatch is not the current version. Every
// change and every refusal is audited, old and new values, secrets
// masked.
func (s *Service) UpdateSubscribedService(ctx context.Context, p *Principal, device,
	id string, patch ServicePatch, ifMatch int64, remoteAddr string) (
	SubscribedService, error) {
	if err := s.ready(p); err != nil {
		return SubscribedService{}, err
	}
	if err := s.gate(ctx, p, params.FeaturePhoneServices, ActionServiceChange,
		remoteAddr); err != nil {
		return SubscribedService{}, err
	}
	st, err := s.servicesReady(ctx, p)
	if err != nil {
		return SubscribedService{}, err
	}
	target := "phone " + device + " service " + id
	deny := s.serviceDenier(ctx, p, ActionServiceChange, target, remoteAddr)
	if err := s.ownsPhone(ctx, p, device); err != nil {
		return SubscribedService{}, deny(err, "not a phone of the user")
	}
	ps, cur, err := subscriptionOf(ctx, st, device, id)
	if errors.Is(err, ErrNotFound) || err == nil && !s.offered(ctx, p, ps) {
		return SubscribedService{}, deny(errNoService(id), "no such subscription offered")
	}
	if err != nil {
		return SubscribedService{}, err
	}
	next, err := applyServicePatch(ps, cur.Values, patch)
	if err != nil {
		return SubscribedService{}, deny(err, auditReason(err))
	}
	if cur.Version != ifMatch {
		return SubscribedService{}, deny(fmt.Errorf("selfcare: phone services: %w",
			ErrVersionConflict), fmt.Sprintf("stale version %d, stored %d", ifMatch,
			cur.Version))
	}
	if maps.Equal(next, cur.Values) {
		return s.redact(ctx, p, ps, cur), nil
	}
	sealed, err := s.sealSecrets(ps, device, cur.Values, next)
	if err != nil {
		return SubscribedService{}, deny(err, auditReason(err))
	}
	saved, err := st.UpdateSubscription(ctx, ServiceSubscription{Device: device,
		ServiceID: id, Values: sealed, Version: ifMatch})
	switch {
	case errors.Is(err, ErrVersionConflict):
		return SubscribedService{}, deny(fmt.Errorf("selfcare: phone services: %w", err),
			fmt.Sprintf("stale version %d: %s", ifMatch, auditReason(err)))
	case errors.Is(err, ErrNotFound):
		return SubscribedService{}, deny(errNoService(id), "unsubscribed meanwhile")
	case err != nil:
		return SubscribedService{}, fmt.Errorf("selfcare: phone services: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionServiceChange, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%s -> %s (version %d)",
			describeValues(ps, cur.Values), describeChange(ps, cur.Values, next),
			saved.Version), RemoteAddr: remoteAddr})
	return s.redact(ctx, p, ps, saved), nil
}

// UnsubscribeService ends the subscription of device to service id when
// ifMatch is its version. A service whose kind is no longer offered can
// still be unsubscribed. It returns the errors of
// [Service.SubscribedService] and ErrVersionConflict when ifMatch is not
// the current version. Every change and every refusal is audited.
func (s *Service) UnsubscribeService(ctx context.Context, p *Principal, device,
	id string, ifMatch int64, remoteAddr string) error {
	if err := s.ready(p); err != nil {
		return err
	}
	if err := s.gate(ctx, p, params.FeaturePhoneServices, ActionServiceUnsubscribe,
		remoteAddr); err != nil {
		return err
	}
	st, err := s.servicesReady(ctx, p)
	if err != nil {
		return err
	}
	target := "phone " + device + " service " + id
	deny := s.serviceDenier(ctx, p, ActionServiceUnsubscribe, target, remoteAddr)
	if err := s.ownsPhone(ctx, p, device); err != nil {
		return deny(err, "not a phone of the user")
	}
	ps, cur, err := subscriptionOf(ctx, st, device, id)
	if errors.Is(err, ErrNotFound) {
		return deny(err, "no such subscription")
	}
	if err != nil {
		return err
	}
	err = st.Unsubscribe(ctx, device, id, ifMatch)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: phone services: %w", err),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	case errors.Is(err, ErrNotFound):
		return deny(errNoService(id), "unsubscribed meanwhile")
	case err != nil:
		return fmt.Errorf("selfcare: phone services: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionServiceUnsubscribe,
		Target: target, Outcome: OutcomeOK, Detail: describeValues(ps, cur.Values) +
			" -> none", RemoteAddr: remoteAddr})
	return nil
}

// applyServicePatch returns cur, the values of a subscription (nil for a
// new one), changed by patch and checked against the template of ps. Every
// parameter of the template has a value in the result. A secret that is
// set keeps its value unless the patch names it.
func applyServicePatch(ps PhoneService, cur map[string]string, patch ServicePatch) (
	map[string]string, error) {
	v := &ValidationError{}
	for _, name := range slices.Sorted(maps.Keys(patch)) {
		if _, ok := ps.param(name); !ok {
			v.add("parameters."+clean(name), "This service has no such parameter.")
		}
	}
	next := make(map[string]string, len(ps.Params))
	for _, prm := range ps.Params {
		val, ok := cur[prm.Name]
		if !ok {
			val = prm.Default
		}
		// A kept seal was checked before it was sealed, and would now
		// fail the length rule.
		sealed := ok && prm.Secret && onboarding.IsSealedSecret(val)
		if f, ok := patch[prm.Name]; ok && (f.Present || f.Null) {
			sealed = false
			val = f.Value
			if f.Null {
				val = prm.Default
			}
		}
		if msg := valueProblem(prm, val); msg != "" && !sealed {
			v.add("parameters."+prm.Name, msg)
		}
		next[prm.Name] = val
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return next, nil
}

// describeValues lists a subscription's values for the audit trail, in
// the template's order, secrets masked.
func describeValues(ps PhoneService, vals map[string]string) string {
	parts := make([]string, 0, len(ps.Params))
	for _, prm := range ps.Params {
		v := vals[prm.Name]
		if prm.Secret && v != "" {
			v = secretMask
		}
		parts = append(parts, fmt.Sprintf("%s=%q", prm.Name, v))
	}
	if len(parts) == 0 {
		return "subscribed"
	}
	return strings.Join(parts, ", ")
}

// describeChange is describeValues for the new values, saying which
// secrets changed, since their masks alone would look the same.
func describeChange(ps PhoneService, old, next map[string]string) string {
	d := describeValues(ps, next)
	var changed []string
	for _, prm := range ps.Params {
		if prm.Secret && old[prm.Name] != next[prm.Name] {
			changed = append(changed, prm.Name)
		}
	}
	if len(changed) > 0 {
		d += " (secret changed: " + strings.Join(changed, ", ") + ")"
	}
	return d
}

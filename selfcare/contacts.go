package selfcare

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ucselfcare/portal/params"
)

// Phone contacts belong to a phone, as in the reference: each phone keeps
// its own list, and a user with two phones has two lists. Each contact is
// its own resource with its own version, so that editing one contact never
// races with adding another, and a stale edit or delete of one contact
// is refused without touching the rest.
//
// A contact's numbers go through the destination grammar, with the speed
// dial kind: a contact may hold a conference bridge with its access code
// after a pause, or a directory URI, as a speed dial may. The
// administrator's destination policy does not apply to them. A contact
// sends no call anywhere by itself: the user dials it from the phone as
// they would dial by hand, and the switch's calling search space decides
// where that call may go. The policy governs where the portal makes the
// switch send calls on the user's behalf (forwarding, ringing remote
// destinations, speed dials), and applying it here would refuse, say, an
// international number that the user can dial from the keypad anyway.
//
// A contact list belongs to the phone's owner at the time it was written.
// When an administrator gives the phone to someone else, the stores drop
// the list, so that the new owner never reads the old owner's contacts.

// Limits of a contact, chosen here and documented in the README.
const (
	// MaxContactName bounds each of the first name, last name, nickname
	// and company, in characters.
	MaxContactName = 64
	// MaxContactEmail bounds an e-mail address, as RFC 5321 bounds a path.
	MaxContactEmail = 254
	// MaxContactMethods bounds the numbers of one contact.
	MaxContactMethods = 5
)

// DefaultMaxContactsPerPhone is the default of
// [Config.MaxContactsPerPhone]: room for a real address book, and a
// bound on what one user can make the store keep.
const DefaultMaxContactsPerPhone = 200

// ErrContactsOff means the service's store keeps no phone contacts.
var ErrContactsOff = fmt.Errorf("selfcare: the store keeps no phone contacts: %w",
	errors.ErrUnsupported)

// ErrContactLimit means the phone already holds as many contacts as
// [Config.MaxContactsPerPhone] allows. Nothing was added.
var ErrContactLimit = errors.New("selfcare: the phone holds the most contacts allowed")

// ActionContacts is the audit action of the contact changes.
const ActionContacts = "contacts.change"

// ContactMethodType says which number of a contact it is.
type ContactMethodType uint8

// The types of a contact method. The zero value is not a type.
const (
	ContactWork ContactMethodType = iota + 1
	ContactHome
	ContactMobile
	ContactOther
)

var contactTypeNames = map[ContactMethodType]string{ContactWork: "work",
	ContactHome: "home", ContactMobile: "mobile", ContactOther: "other"}

// ContactMethodTypes returns every type, in the order a page offers them.
func ContactMethodTypes() []ContactMethodType {
	return []ContactMethodType{ContactWork, ContactHome, ContactMobile, ContactOther}
}

// String returns the type's name in the API, such as "mobile".
func (t ContactMethodType) String() string {
	return enumString(contactTypeNames, t, "ContactMethodType")
}

// MarshalText returns the name; an unknown type is an error.
func (t ContactMethodType) MarshalText() ([]byte, error) {
	return enumMarshal(contactTypeNames, t, "contact method type")
}

// UnmarshalText reads a name that MarshalText returns.
func (t *ContactMethodType) UnmarshalText(b []byte) error {
	return enumUnmarshal(contactTypeNames, t, b, "contact method type")
}

// ContactMethod is one number of a contact.
type ContactMethod struct {
	Type ContactMethodType
	// Number is a number or directory URI as [ParseDestination] accepted
	// it for a speed dial, exactly as typed.
	Number string
}

// Contact is one contact of a phone.
type Contact struct {
	// ID names the contact within its phone: 16 lowercase hexadecimal
	// digits, drawn at random by [Service.CreateContact].
	ID string
	// Device is the phone's name.
	Device string

	FirstName string
	LastName  string
	Nickname  string
	Company   string
	// Email is an e-mail address, or "" for none.
	Email   string
	Methods []ContactMethod

	// Version is 1 for a contact just created, one more with every save.
	Version int64
}

// DisplayName is how a list shows the contact: the names, or failing
// them the nickname, or the company.
func (c Contact) DisplayName() string {
	if n := strings.TrimSpace(c.FirstName + " " + c.LastName); n != "" {
		return n
	}
	if strings.TrimSpace(c.Nickname) != "" {
		return c.Nickname
	}
	return c.Company
}

// String describes the contact for the audit trail.
func (c Contact) String() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("first", c.FirstName)
	add("last", c.LastName)
	add("nickname", c.Nickname)
	add("company", c.Company)
	add("email", c.Email)
	for _, m := range c.Methods {
		parts = append(parts, m.Type.String()+"="+m.Number)
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}

// ContactPatch is a partial update in the manner of a JSON merge patch:
// an absent field stays as it is, a null one returns to empty. Methods
// is replaced whole when present.
type ContactPatch struct {
	FirstName PatchField[string]
	LastName  PatchField[string]
	Nickname  PatchField[string]
	Company   PatchField[string]
	Email     PatchField[string]
	Methods   PatchField[[]ContactMethod]
}

// Apply returns c changed by the patch. The ID, device and version are
// left alone.
func (p ContactPatch) Apply(c Contact) Contact {
	c.FirstName = p.FirstName.apply(c.FirstName)
	c.LastName = p.LastName.apply(c.LastName)
	c.Nickname = p.Nickname.apply(c.Nickname)
	c.Company = p.Company.apply(c.Company)
	c.Email = p.Email.apply(c.Email)
	c.Methods = slices.Clone(p.Methods.apply(c.Methods))
	return c
}

// ContactStore keeps phone contacts by phone, for the phone's owner.
// memstore and sqlstore implement it; the service uses it when its
// [Store] does. Every method takes the owner the caller believes the
// phone has and checks it in the same transaction as the read or write,
// so that a phone given to another user in the meantime is not written
// for the wrong owner. A store must drop a phone's contacts when the
// phone's owner changes: the new owner starts with none.
type ContactStore interface {
	// Contacts returns the contacts of device, ordered by ID. It returns
	// ErrNotFound when the phone does not exist or owner does not own it.
	Contacts(ctx context.Context, owner, device string) ([]Contact, error)
	// Contact returns one contact. It returns ErrNotFound when the phone
	// does not exist, owner does not own it, or it has no contact id.
	Contact(ctx context.Context, owner, device, id string) (Contact, error)
	// CreateContact adds c to c.Device and returns it at Version 1. It
	// returns, wrapped, ErrNotFound as Contacts does, ErrExists when the
	// phone already has a contact c.ID, and ErrContactLimit when the phone
	// already holds limit contacts; it counts in the same transaction as
	// it adds, and adds nothing on error. The caller has checked c.
	CreateContact(ctx context.Context, owner string, c Contact, limit int) (Contact,
		error)
	// UpdateContact replaces the contact c.ID of c.Device when its stored
	// version is c.Version, in one transaction, and returns what it
	// stored, at Version c.Version+1. It returns, wrapped, ErrNotFound as
	// Contact does and ErrVersionConflict when the version differs, and
	// writes nothing then. The caller has checked c.
	UpdateContact(ctx context.Context, owner string, c Contact) (Contact, error)
	// DeleteContact removes the contact id of device when its stored
	// version is version. It returns, wrapped, ErrNotFound as Contact does
	// and ErrVersionConflict when the version differs.
	DeleteContact(ctx context.Context, owner, device, id string, version int64) error
}

// contactIDBytes is the randomness of a contact ID: 64 bits, so that IDs
// of one phone never collide in practice and none can be guessed from
// another; the store refuses a collision anyway.
const contactIDBytes = 8

// NewContactID draws a contact ID from r: 16 lowercase hexadecimal digits.
func NewContactID(r io.Reader) (string, error) {
	b := make([]byte, contactIDBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("selfcare: contact ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// validContactID reports whether id has the form NewContactID makes.
func validContactID(id string) bool {
	return len(id) == 2*contactIDBytes &&
		strings.Trim(id, "0123456789abcdef") == ""
}

// contactLimit returns the per-phone limit of cfg, or the default.
func contactLimit(cfg Config) int {
	if cfg.MaxContactsPerPhone <= 0 {
		return DefaultMaxContactsPerPhone
	}
	return cfg.MaxContactsPerPhone
}

// ContactLimit returns the number of contacts one phone may hold.
func (s *Service) ContactLimit() int { return s.contactLimit }

// contactsReady runs the checks every contact operation shares: the
// principal, the gate, the store, and that the phone is the principal's.
func (s *Service) contactsReady(ctx context.Context, p *Principal, device string) (
	ContactStore, error) {
	if err := s.ready(p); err != nil {
		return nil, err
	}
	if err := s.CheckFeature(ctx, p, params.FeaturePhoneContacts); err != nil {
		return nil, err
	}
	cs, ok := s.store.(ContactStore)
	if !ok {
		return nil, ErrContactsOff
	}
	ds, err := s.store.UserDevices(ctx, p.User.ID)
	if err != nil {
		return nil, fmt.Errorf("selfcare: contacts: %w", err)
	}
	if !slices.ContainsFunc(ds, func(d Device) bool { return d.Name == device }) {
		return nil, fmt.Errorf("selfcare: contacts: phone %q: %w", displayLine(device),
			ErrNotFound)
	}
	return cs, nil
}

// Contacts returns the contacts of device, one of the principal's phones,
// ordered by display name. It returns ErrNotFound, as for a phone that
// does not exist, when the phone is not the principal's; a
// [*params.GateError] while Show Phone Contacts hides contacts; and the
// errors of [Service.Phones].
func (s *Service) Contacts(ctx context.Context, p *Principal, device string) (
	[]Contact, error) {
	cs, err := s.contactsReady(ctx, p, device)
	if err != nil {
		return nil, err
	}
	list, err := cs.Contacts(ctx, p.User.ID, device)
	if err != nil {
		return nil, fmt.Errorf("selfcare: contacts: %w", err)
	}
	slices.SortStableFunc(list, func(a, b Contact) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName()),
			strings.ToLower(b.DisplayName())), strings.Compare(a.ID, b.ID))
	})
	return list, nil
}

// Contact returns the contact id of device, one of the principal's phones.
// It returns the errors of [Service.Contacts], and ErrNotFound for an id
// the phone does not have, whether it names another phone's contact or
// none at all.
func (s *Service) Contact(ctx context.Context, p *Principal, device, id string) (
	Contact, error) {
	cs, err := s.contactsReady(ctx, p, device)
	if err != nil {
		return Contact{}, err
	}
	return s.readContact(ctx, cs, p, device, id)
}

// readContact reads one contact of a phone whose ownership is checked.
func (s *Service) readContact(ctx context.Context, cs ContactStore, p *Principal,
	device, id string) (Contact, error) {
	if !validContactID(id) {
		return Contact{}, fmt.Errorf("selfcare: contacts: contact %q: %w",
			displayLine(id), ErrNotFound)
	}
	c, err := cs.Contact(ctx, p.User.ID, device, id)
	if err != nil {
		return Contact{}, fmt.Errorf("selfcare: contacts: %w", err)
	}
	return c, nil
}

// contactWrite opens a contact change: the principal and the gate, with
// the refusal audited, then the ownership of the phone. deny audits a
// later refusal.
func (s *Service) contactWrite(ctx context.Context, p *Principal, device, target,
	remoteAddr string) (ContactStore, func(error, string) error, error) {
	if err := s.ready(p); err != nil {
		return nil, nil, err
	}
	if err := s.gate(ctx, p, params.FeaturePhoneContacts, ActionContacts,
		remoteAddr); err != nil {
		return nil, nil, err
	}
	deny := func(err error, detail string) error {
		s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionContacts,
			Target: target, Outcome: OutcomeDenied, Detail: detail,
			RemoteAddr: remoteAddr})
		return err
	}
	cs, err := s.contactsReady(ctx, p, device)
	if errors.Is(err, ErrNotFound) {
		// Someone else's phone, or none: worth a line in the trail, with
		// the same answer as for a phone that does not exist.
		return nil, nil, deny(err, "phone not found")
	}
	if err != nil {
		return nil, nil, err
	}
	return cs, deny, nil
}

// CreateContact adds c to device, one of the principal's phones, and
// returns it as stored, with a new ID and Version 1; the ID, Device and
// Version of c are ignored.
//
// It returns, in the order it checks: the errors of [Service.Contacts]; an
// error matching [ErrInvalid] that is a [*ValidationError] naming
// "firstName", "lastName", "nickname", "company", "email",
// "methods[i].type" or "methods[i].number" (i from 0, in the order given),
// or "methods" for more than [MaxContactMethods]; and ErrContactLimit when
// the phone is full. Every change and every refusal is audited.
func (s *Service) CreateContact(ctx context.Context, p *Principal, device string,
	c Contact, remoteAddr string) (Contact, error) {
	cs, deny, err := s.contactWrite(ctx, p, device, "phone "+device, remoteAddr)
	if err != nil {
		return Contact{}, err
	}
	c.Device, c.Version = device, 0
	c.Methods = slices.Clone(c.Methods)
	if err := checkContact(c); err != nil {
		return Contact{}, deny(err, auditReason(err))
	}
	if c.ID, err = NewContactID(s.rand); err != nil {
		return Contact{}, err
	}
	target := contactTarget(device, c.ID)
	saved, err := cs.CreateContact(ctx, p.User.ID, c, s.contactLimit)
	switch {
	case errors.Is(err, ErrContactLimit):
		return Contact{}, deny(fmt.Errorf("selfcare: contacts: phone %q: %w",
			displayLine(device), ErrContactLimit), fmt.Sprintf("limit of %d reached",
			s.contactLimit))
	case errors.Is(err, ErrNotFound):
		return Contact{}, deny(fmt.Errorf("selfcare: contacts: %w", err),
			"phone not found")
	case err != nil:
		return Contact{}, fmt.Errorf("selfcare: contacts: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionContacts, Target: target,
		Outcome: OutcomeOK, Detail: "created: " + saved.String(),
		RemoteAddr: remoteAddr})
	return saved, nil
}

// UpdateContact applies patch to the contact id of device, one of the
// principal's phones, when ifMatch is its current version, and returns
// what is stored now.
//
// It returns, in the order it checks: the errors of [Service.Contact];
// the validation errors of [Service.CreateContact] for the contact as
// patched; and ErrVersionConflict when ifMatch is not the current version.
// Every change and every refusal is audited, old and new.
func (s *Service) UpdateContact(ctx context.Context, p *Principal, device, id string,
	patch ContactPatch, ifMatch int64, remoteAddr string) (Contact, error) {
	target := contactTarget(device, id)
	cs, deny, err := s.contactWrite(ctx, p, device, target, remoteAddr)
	if err != nil {
		return Contact{}, err
	}
	cur, err := s.readContact(ctx, cs, p, device, id)
	if errors.Is(err, ErrNotFound) {
		return Contact{}, deny(err, "contact not found")
	}
	if err != nil {
		return Contact{}, err
	}
	next := patch.Apply(cur)
	if err := checkContact(next); err != nil {
		return Contact{}, deny(err, auditReason(err))
	}
	if cur.Version != ifMatch {
		return Contact{}, deny(fmt.Errorf("selfcare: contacts: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	}
	if sameContact(cur, next) {
		return cur, nil
	}
	saved, err := cs.UpdateContact(ctx, p.User.ID, next)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return Contact{}, deny(fmt.Errorf("selfcare: contacts: %w", err),
			fmt.Sprintf("%s -> %s: %s", cur, next, auditReason(err)))
	case errors.Is(err, ErrNotFound):
		return Contact{}, deny(fmt.Errorf("selfcare: contacts: %w", err),
			"contact not found")
	case err != nil:
		return Contact{}, fmt.Errorf("selfcare: contacts: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionContacts, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("%s -> %s (version %d)", cur, saved,
			saved.Version), RemoteAddr: remoteAddr})
	return saved, nil
}

// DeleteContact removes the contact id of device, one of the principal's
// phones, when ifMatch is its current version. It returns the errors of
// [Service.Contact] and ErrVersionConflict when ifMatch is not the current
// version, and then removes nothing. It is audited with what was removed.
func (s *Service) DeleteContact(ctx context.Context, p *Principal, device, id string,
	ifMatch int64, remoteAddr string) error {
	target := contactTarget(device, id)
	cs, deny, err := s.contactWrite(ctx, p, device, target, remoteAddr)
	if err != nil {
		return err
	}
	cur, err := s.readContact(ctx, cs, p, device, id)
	if errors.Is(err, ErrNotFound) {
		return deny(err, "contact not found")
	}
	if err != nil {
		return err
	}
	if cur.Version != ifMatch {
		return deny(fmt.Errorf("selfcare: contacts: %w", ErrVersionConflict),
			fmt.Sprintf("stale version %d, stored %d", ifMatch, cur.Version))
	}
	err = cs.DeleteContact(ctx, p.User.ID, device, id, ifMatch)
	switch {
	case errors.Is(err, ErrVersionConflict):
		return deny(fmt.Errorf("selfcare: contacts: %w", err), auditReason(err))
	case errors.Is(err, ErrNotFound):
		return deny(fmt.Errorf("selfcare: contacts: %w", err), "contact not found")
	case err != nil:
		return fmt.Errorf("selfcare: contacts: %w", err)
	}
	s.audit(ctx, AuditEvent{Actor: p.User.ID, Action: ActionContacts, Target: target,
		Outcome: OutcomeOK, Detail: fmt.Sprintf("deleted: %s (version %d)", cur,
			cur.Version), RemoteAddr: remoteAddr})
	return nil
}

// contactTarget names a contact in the audit trail.
func contactTarget(device, id string) string {
	return "phone " + device + " contact " + id
}

// sameContact reports whether two contacts hold the same values.
func sameContact(a, b Contact) bool {
	return a.FirstName == b.FirstName && a.LastName == b.LastName &&
		a.Nickname == b.Nickname && a.Company == b.Company && a.Email == b.Email &&
		slices.Equal(a.Methods, b.Methods)
}

// checkContact checks every field and reports every problem at once.
func checkContact(c Contact) error {
	v := &ValidationError{}
	names := []struct{ field, what, val string }{
		{"firstName", "first name", c.FirstName},
		{"lastName", "last name", c.LastName},
		{"nickname", "nickname", c.Nickname},
		{"company", "company", c.Company},
	}
	blank := true
	for _, n := range names {
		if msg := contactTextProblem(n.what, n.val, MaxContactName); msg != "" {
			v.add(n.field, msg)
		}
		blank = blank && blankText(n.val)
	}
	if blank {
		v.add("firstName", "Enter a first name, a last name, a nickname or a company.")
	}
	if c.Email != "" {
		if msg := emailProblem(c.Email); msg != "" {
			v.add("email", msg)
		}
	}
	if len(c.Methods) > MaxContactMethods {
		v.add("methods", fmt.Sprintf("A contact has at most %d numbers.",
			MaxContactMethods))
		return v.err()
	}
	for i, m := range c.Methods {
		field := fmt.Sprintf("methods[%d].", i)
		if _, ok := contactTypeNames[m.Type]; !ok {
			v.add(field+"type", "Choose work, home, mobile or other.")
		}
		_, err := ParseDestination(m.Number, DestinationSpeedDial)
		var de *DestinationError
		if errors.As(err, &de) {
			v.add(field+"number", de.Message)
		}
	}
	return v.err()
}

// contactTextProblem returns why a name is refused, or "".
func contactTextProblem(what, val string, limit int) string {
	switch {
	case !utf8.ValidString(val):
		return "The " + what + " is not valid text."
	case utf8.RuneCountInString(val) > limit:
		return fmt.Sprintf("Use at most %d characters for the %s.", limit, what)
	case strings.ContainsFunc(val, invisibleRune):
		return "The " + what + " holds a control or invisible character."
	case !blankText(val) && edgeBlank(val):
		// Blank text is the missing name's concern, said once.
		return "Remove the spaces at the start or end of the " + what + "."
	}
	return ""
}

// emailProblem returns why an e-mail address is refused, or "". It takes
// the common form local@host: a local part of letters, digits and the
// punctuation RFC 5322 allows unquoted, and a host that a directory URI
// could have. Quoted local parts and address literals are refused; people
// do not type them into a phone's address book.
func emailProblem(email string) string {
	const allowed = "Enter an e-mail address such as name@example.com."
	if msg := contactTextProblem("e-mail address", email, MaxContactEmail); msg != "" {
		return msg
	}
	local, host, ok := strings.Cut(email, "@")
	switch {
	case !ok || strings.Contains(host, "@"):
		return "An e-mail address has one @. " + allowed
	case local == "" || len(local) > 64:
		return "The part before the @ has 1 to 64 characters. " + allowed
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") ||
		strings.Contains(local, ".."):
		return "The part before the @ cannot start or end with a dot or have two " +
			"dots in a row. " + allowed
	}
	for _, r := range local {
		if r >= 0x80 || !(isLetter(byte(r)) || isDigit(byte(r)) ||
			strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) {
			return fmt.Sprintf("The character %q is not allowed before the @. %s", r,
				allowed)
		}
	}
	if msg := checkHost(host); msg != "" {
		return msg + " " + allowed
	}
	return ""
}

package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/strictjson"
)

// Phone contacts, per phone: a collection under the phone, each contact a
// resource of its own with its version in its ETag. POST adds a contact
// (no version to match: a new contact conflicts with nothing), PATCH
// takes a JSON merge patch under If-Match, DELETE takes If-Match too. The
// page lists one phone's contacts, chosen with a plain GET form, and has
// one form per action: add, edit (the contact chosen with ?edit=), delete.

func (h *Handler) routesContacts() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	coll := api + "phones/{device}/contacts"
	h.mux.Handle("GET "+coll, h.api(h.apiAuthed(h.apiContacts)))
	h.mux.Handle("POST "+coll, h.api(h.apiAuthed(h.apiCreateContact)))
	h.mux.Handle("GET "+coll+"/{id}", h.api(h.apiAuthed(h.apiContact)))
	h.mux.Handle("PATCH "+coll+"/{id}", h.api(h.apiAuthed(h.apiPatchContact)))
	h.mux.Handle("DELETE "+coll+"/{id}", h.api(h.apiAuthed(h.apiDeleteContact)))
	h.mux.Handle("GET "+p+"contacts", h.page(h.authed(h.contactsPage)))
	h.mux.Handle("POST "+p+"contacts", h.page(h.authed(h.contactsSubmit)))
}

// contactMethodView is one number of a contact in the API.
type contactMethodView struct {
	Type   selfcare.ContactMethodType `json:"type"`
	Number string                     `json:"number"`
}

// contactView is a contact in the API; the version is also the ETag.
type contactView struct {
	ID        string              `json:"id"`
	Device    string              `json:"device"`
	FirstName string              `json:"firstName"`
	LastName  string              `json:"lastName"`
	Nickname  string              `json:"nickname"`
	Company   string              `json:"company"`
	Email     string              `json:"email"`
	Methods   []contactMethodView `json:"methods"`
	Version   int64               `json:"version"`
}

func toContactView(c selfcare.Contact) contactView {
	v := contactView{ID: c.ID, Device: c.Device, FirstName: c.FirstName,
		LastName: c.LastName, Nickname: c.Nickname, Company: c.Company, Email: c.Email,
		Methods: make([]contactMethodView, 0, len(c.Methods)), Version: c.Version}
	for _, m := range c.Methods {
		v.Methods = append(v.Methods, contactMethodView(m))
	}
	return v
}

// contactMembers are what a client may send; contactServerMembers are set
// by the server alone, and a request that sends them is refused with a
// message that names them.
var (
	contactMembers = map[string]bool{"firstName": true, "lastName": true,
		"nickname": true, "company": true, "email": true, "methods": true}
	contactServerMembers = []string{"id", "device", "version", "owner"}
)

// decodeContactPatch reads a contact's members from a body of media type
// want: each text member a string or null, methods a list of {type,
// number} or null. It serves POST, where what is absent or null is empty,
// and PATCH, a JSON merge patch.
func decodeContactPatch(r *http.Request, want string, typeErr error) (
	selfcare.ContactPatch, error) {
	var patch selfcare.ContactPatch
	body, err := readBody(r, want, typeErr)
	if err != nil {
		return patch, err
	}
	known := map[string]bool{}
	for k := range contactMembers {
		known[k] = true
	}
	for _, k := range contactServerMembers {
		known[k] = true
	}
	m, err := objectMembers(body, known)
	if err != nil {
		return patch, err
	}
	v := &selfcare.ValidationError{}
	for _, k := range contactServerMembers {
		if _, ok := m[k]; ok {
			v.Fields = append(v.Fields, selfcare.FieldError{Field: k,
				Message: "The " + k + " is set by the server; leave it out."})
		}
	}
	if len(v.Fields) > 0 {
		return patch, v
	}
	for name, f := range map[string]*selfcare.PatchField[string]{
		"firstName": &patch.FirstName, "lastName": &patch.LastName,
		"nickname": &patch.Nickname, "company": &patch.Company, "email": &patch.Email,
	} {
		if *f, err = patchField[string](m, name); err != nil {
			return patch, err
		}
	}
	raw, ok := m["methods"]
	switch {
	case !ok:
		return patch, nil
	case isNull(raw):
		patch.Methods = selfcare.Null[[]selfcare.ContactMethod]()
		return patch, nil
	}
	// Each method is a whole value, not a patch: its members are read
	// strictly, a missing one being empty.
	var items []contactMethodView
	if err := strictjson.Decode(raw, &items); err != nil {
		return patch, within("methods", err)
	}
	methods := make([]selfcare.ContactMethod, 0, len(items))
	for _, mv := range items {
		methods = append(methods, selfcare.ContactMethod(mv))
	}
	patch.Methods = selfcare.Set(methods)
	return patch, nil
}

func (h *Handler) writeContact(w http.ResponseWriter, status int, c selfcare.Contact) {
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, status, toContactView(c))
}

func (h *Handler) apiContacts(w http.ResponseWriter, r *http.Request) error {
	device := r.PathValue("device")
	list, err := h.svc.Contacts(r.Context(), principalFrom(r.Context()), device)
	if err != nil {
		return err
	}
	v := struct {
		Device   string        `json:"device"`
		Limit    int           `json:"limit"`
		Contacts []contactView `json:"contacts"`
	}{device, h.svc.ContactLimit(), make([]contactView, 0, len(list))}
	for _, c := range list {
		v.Contacts = append(v.Contacts, toContactView(c))
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handler) apiCreateContact(w http.ResponseWriter, r *http.Request) error {
	patch, err := decodeContactPatch(r, "application/json", errMediaType)
	if err != nil {
		return err
	}
	device := r.PathValue("device")
	c, err := h.svc.CreateContact(r.Context(), principalFrom(r.Context()), device,
		patch.Apply(selfcare.Contact{}), remoteAddr(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", h.cfg.Prefix+"api/v1/phones/"+url.PathEscape(device)+
		"/contacts/"+c.ID)
	h.writeContact(w, http.StatusCreated, c)
	return nil
}

func (h *Handler) apiContact(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.Contact(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeContact(w, http.StatusOK, c)
	return nil
}

func (h *Handler) apiPatchContact(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	patch, err := decodeContactPatch(r, mergePatchType, errMergePatchType)
	if err != nil {
		return err
	}
	c, err := h.svc.UpdateContact(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), r.PathValue("id"), patch, version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeContact(w, http.StatusOK, c)
	return nil
}

func (h *Handler) apiDeleteContact(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	err = h.svc.DeleteContact(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), r.PathValue("id"), version, remoteAddr(r))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// contactsPage is what contacts.html gets.
type contactsPage struct {
	pageData
	// Phones are the user's phones to choose from; Device is the one
	// shown, "" when the user has none.
	Phones       []contactPhone
	Device       string
	Contacts     []contactRow
	Limit, Count int
	// Form is the add form, or the edit form of one contact.
	Form  contactForm
	Types []dndChoice
}

// contactPhone is one choice of the phone list.
type contactPhone struct {
	Device, Title string
	Selected      bool
}

// contactRow is one contact of the list.
type contactRow struct {
	ID, Name, Nickname, Company, Email string
	Methods                            []string
	Version                            int64
}

// contactForm is the add or edit form, as stored or as typed.
type contactForm struct {
	// Editing is the ID of the contact edited, "" for the add form.
	Editing string
	Version int64
	// P prefixes the form's element IDs.
	P                                             string
	FirstName, LastName, Nickname, Company, Email string
	Methods                                       []contactFormMethod
	// Errors holds a message per field; Summary lists them for the
	// page's error summary, linked to their fields.
	Errors  map[string]string
	Summary []problem
}

// contactFormMethod is one number row of the form.
type contactFormMethod struct {
	// N counts the rows from 1, for labels.
	N            int
	Type, Number string
	Error        string
}

// Err returns the message for a field, for the template.
func (f contactForm) Err(field string) string { return f.Errors[field] }

var contactTypeChoices = []dndChoice{
	{selfcare.ContactWork.String(), "Work"},
	{selfcare.ContactHome.String(), "Home"},
	{selfcare.ContactMobile.String(), "Mobile"},
	{selfcare.ContactOther.String(), "Other"},
}

// newContactForm returns the form for c: the add form when c has no ID.
func newContactForm(c selfcare.Contact) contactForm {
	f := contactForm{Editing: c.ID, Version: c.Version, P: "ct-new",
		FirstName: c.FirstName, LastName: c.LastName, Nickname: c.Nickname,
		Company: c.Company, Email: c.Email}
	if c.ID != "" {
		f.P = "ct-edit"
	}
	for _, m := range c.Methods {
		f.Methods = append(f.Methods, contactFormMethod{Type: m.Type.String(),
			Number: m.Number})
	}
	f.fillRows()
	return f
}

// fillRows adds blank number rows up to the most a contact may have, and
// numbers the rows.
func (f *contactForm) fillRows() {
	for len(f.Methods) < selfcare.MaxContactMethods {
		f.Methods = append(f.Methods, contactFormMethod{
			Type: selfcare.ContactWork.String()})
	}
	for i := range f.Methods {
		f.Methods[i].N = i + 1
	}
}

// contactsData loads the page for device ("" for the first phone), with
// the edit form of the contact edit when it is not "".
func (h *Handler) contactsData(r *http.Request, device, edit string) (contactsPage, error) {
	ctx := r.Context()
	p := principalFrom(ctx)
	if err := h.gatePage(r, params.FeaturePhoneContacts); err != nil {
		return contactsPage{}, err
	}
	phones, err := h.svc.Phones(ctx, p)
	if err != nil {
		return contactsPage{}, err
	}
	d := contactsPage{pageData: pageData{Title: "Phone Contacts", Nav: "contacts"},
		Limit: h.svc.ContactLimit(), Types: contactTypeChoices,
		Form: newContactForm(selfcare.Contact{})}
	if device == "" && len(phones) > 0 {
		device = phones[0].Name
	}
	for _, ph := range phones {
		title := ph.Description
		if title == "" {
			title = ph.AdminDescription
		}
		d.Phones = append(d.Phones, contactPhone{Device: ph.Name, Title: title,
			Selected: ph.Name == device})
	}
	if device == "" {
		return d, nil
	}

	// Another user's phone fails here, as one that does not exist does.
	list, err := h.svc.Contacts(ctx, p, device)
	if err != nil {
		return contactsPage{}, err
	}
	d.Device, d.Count = device, len(list)
	for _, c := range list {
		row := contactRow{ID: c.ID, Name: c.DisplayName(), Nickname: c.Nickname,
			Company: c.Company, Email: c.Email, Version: c.Version}
		for _, m := range c.Methods {
			row.Methods = append(row.Methods, upperFirst(m.Type.String())+": "+m.Number)
		}
		d.Contacts = append(d.Contacts, row)
	}
	if edit != "" {
		c, err := h.svc.Contact(ctx, p, device, edit)
		if err != nil {
			return contactsPage{}, err
		}
		d.Form = newContactForm(c)
	}
	return d, nil
}

func (h *Handler) contactsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d, err := h.contactsData(r, q.Get("device"), q.Get("edit"))
	if err != nil {
		return err
	}
	// The saved marker is "deleted", or "saved:" and the contact's ID.
	switch what, id, _ := strings.Cut(savedMarker(r), ":"); {
	case what == "deleted" && id == "":
		d.Notice = "The contact has been deleted."
	case what == "saved":
		for _, c := range d.Contacts {
			if c.ID == id {
				d.Notice = "The contact " + c.Name + " has been saved."
			}
		}
	}
	h.renderContacts(w, r, http.StatusOK, d)
	return nil
}

// typedContact is what the form posted, as a contact and as form rows;
// rowOf maps each method of the contact to its row.
type typedContact struct {
	contact selfcare.Contact
	form    contactForm
	rowOf   []int
}

// readContactForm reads the contact fields of a posted form; rows whose
// number is empty are left out, so that blank rows add nothing.
func readContactForm(r *http.Request) (typedContact, error) {
	f := r.PostForm
	t := typedContact{contact: selfcare.Contact{FirstName: f.Get("firstName"),
		LastName: f.Get("lastName"), Nickname: f.Get("nickname"),
		Company: f.Get("company"), Email: f.Get("email")}}
	types, numbers := f["methodType"], f["methodNumber"]
	// Too many rows is the user's to correct, beside the numbers: the
	// service refuses more than MaxContactMethods by field.
	if len(types) != len(numbers) {
		return t, badRequest("the form's number rows are incomplete")
	}
	t.form = newContactForm(t.contact)
	t.form.Methods = nil
	for i := range types {
		t.form.Methods = append(t.form.Methods, contactFormMethod{Type: types[i],
			Number: numbers[i]})
		if strings.TrimSpace(numbers[i]) == "" {
			continue
		}
		var typ selfcare.ContactMethodType
		_ = typ.UnmarshalText([]byte(types[i])) // an unknown type stays 0: refused
		t.contact.Methods = append(t.contact.Methods, selfcare.ContactMethod{Type: typ,
			Number: numbers[i]})
		t.rowOf = append(t.rowOf, i)
	}
	t.form.fillRows()
	return t, nil
}

// contactFieldLabels lead the summary's message about each field.
var contactFieldLabels = map[string]string{"firstName": "First name: ",
	"lastName": "Last name: ", "nickname": "Nickname: ", "company": "Company: ",
	"email": "E-mail address: ", "methods": "Numbers: "}

// contactFieldInputs names the input of each field the service may refuse.
var contactFieldInputs = map[string]string{"firstName": "first", "lastName": "last",
	"nickname": "nick", "company": "company", "email": "email", "methods": "type-0"}

// showProblems puts the messages of a validation error beside the typed
// fields and into the summary.
func (t *typedContact) showProblems(err error) {
	ae, _ := toAPIError(err)
	t.form.Errors = map[string]string{}
	for _, fe := range ae.Fields {
		var (
			n    int
			part string
		)
		if _, serr := fmt.Sscanf(fe.Field, "methods[%d].%s", &n, &part); serr == nil {
			if n < 0 || n >= len(t.rowOf) {
				continue
			}
			row := t.rowOf[n]
			m := &t.form.Methods[row]
			m.Error = strings.TrimSpace(m.Error + " " + fe.Message)
			t.form.Summary = append(t.form.Summary, problem{
				Target:  fmt.Sprintf("%s-%s-%d", t.form.P, part, row),
				Message: fmt.Sprintf("Number %d: %s", row+1, fe.Message)})
			continue
		}
		t.form.Errors[fe.Field] = fe.Message
		in := contactFieldInputs[fe.Field]
		if in == "" {
			in = "first"
		}
		t.form.Summary = append(t.form.Summary, problem{
			Target: t.form.P + "-" + in, Message: contactFieldLabels[fe.Field] + fe.Message})
	}
}

// contactsSubmit runs one form: add, save (an edit) or delete, each
// against the phone named in the form and, for save and delete, the
// version the page was rendered with.
func (h *Handler) contactsSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(errBadRequest, err)
	}
	if err := h.gatePage(r, params.FeaturePhoneContacts); err != nil {
		return err
	}
	if _, err := (formParts{"contact": nil}).named(r.PostForm); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	f := r.PostForm
	device, id := f.Get("device"), f.Get("id")
	var version int64
	if act := f.Get("action"); act == "save" || act == "delete" {
		v, err := strconv.ParseInt(f.Get("version"), 10, 64)
		if err != nil {
			return badRequest("the form lacks the contact's version")
		}
		version = v
	}

	switch f.Get("action") {
	case "delete":
		uerr := h.svc.DeleteContact(ctx, p, device, id, version, remoteAddr(r))
		if uerr == nil {
			return h.seeSaved(w, r, "contacts", url.Values{"device": {device}}, "deleted")
		}
		d, err := h.contactsData(r, device, "")
		if err != nil {
			return err
		}
		switch {
		case errors.Is(uerr, selfcare.ErrVersionConflict):
			d.Error = "This contact was changed elsewhere after you opened this " +
				"page, so it was not deleted. Its current values are shown; delete " +
				"it again if you still want to."
			h.renderContacts(w, r, http.StatusConflict, d)
		default:
			return uerr
		}
		return nil

	case "add", "save":
		t, err := readContactForm(r)
		if err != nil {
			return err
		}
		var (
			saved selfcare.Contact
			uerr  error
		)
		if f.Get("action") == "add" {
			saved, uerr = h.svc.CreateContact(ctx, p, device, t.contact, remoteAddr(r))
		} else {
			patch := selfcare.ContactPatch{FirstName: selfcare.Set(t.contact.FirstName),
				LastName: selfcare.Set(t.contact.LastName),
				Nickname: selfcare.Set(t.contact.Nickname),
				Company:  selfcare.Set(t.contact.Company),
				Email:    selfcare.Set(t.contact.Email),
				Methods:  selfcare.Set(t.contact.Methods)}
			saved, uerr = h.svc.UpdateContact(ctx, p, device, id, patch, version,
				remoteAddr(r))
		}
		return h.contactSaved(w, r, device, id, t, saved, uerr)
	}
	return badRequest("the form's action must be add, save or delete")
}

// contactSaved renders the page after an add or a save: the list with a
// notice, the typed values with their problems, or the stored values
// after a conflict.
func (h *Handler) contactSaved(w http.ResponseWriter, r *http.Request, device, id string,
	t typedContact, saved selfcare.Contact, uerr error) error {
	if uerr == nil {
		return h.seeSaved(w, r, "contacts", url.Values{"device": {device}},
			"saved:"+saved.ID)
	}
	editing := ""
	if errors.Is(uerr, selfcare.ErrVersionConflict) {
		editing = id
	}
	d, err := h.contactsData(r, device, editing)
	if err != nil {
		return err
	}
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict):
		status = http.StatusConflict
		d.Error = "This contact was changed elsewhere after you opened this page, " +
			"so your change was not saved. Its current values are shown; make your " +
			"change again."
		d.Summary = []problem{{Target: d.Form.P + "-h", Message: "Edit contact"}}
	case errors.Is(uerr, selfcare.ErrContactLimit):
		status = http.StatusConflict
		d.Error = fmt.Sprintf("This phone already has %d contacts, the most it may "+
			"keep, so the contact was not added. Delete one to add another.", d.Limit)
		d.Form = t.form
	case errors.Is(uerr, selfcare.ErrInvalid):
		ae, _ := toAPIError(uerr)
		status = ae.status
		if id != "" {
			t.form.Editing, t.form.P = id, "ct-edit"
			t.form.Version, _ = strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
		}
		t.showProblems(uerr)
		d.Error = "The contact was not saved. Correct the fields listed below."
		d.Form, d.Summary = t.form, t.form.Summary
	default:
		return uerr
	}
	h.renderContacts(w, r, status, d)
	return nil
}

// renderContacts is render for the contacts page's own data.
func (h *Handler) renderContacts(w http.ResponseWriter, r *http.Request, status int,
	d contactsPage) {
	h.renderPage(w, r, status, "contacts.html", &d.pageData, &d)
}

package web

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/strictjson"
)

// Phone services, per phone: the offered catalogue (without URLs), and a
// phone's subscriptions, each a JSON resource with its own version in its
// ETag. POST subscribes, a JSON merge patch under If-Match changes the
// values, DELETE under If-Match unsubscribes. The page lists one phone's
// subscriptions, one form per action.
//
// A user never sends a URL: the members that carry one in other products
// are refused by name, so that a client learns why rather than seeing its
// URL silently dropped.

// adminOnlyServiceMembers are members a user's request may not carry, with
// why.
var adminOnlyServiceMembers = map[string]string{
	"url":         "The service URL is set by your administrator; it cannot be sent.",
	"serviceUrl":  "The service URL is set by your administrator; it cannot be sent.",
	"secureUrl":   "The service URL is set by your administrator; it cannot be sent.",
	"urlTemplate": "The service URL is set by your administrator; it cannot be sent.",
	"name":        "The service's name is set by your administrator.",
	"kind":        "The service's kind is set by your administrator.",
}

func (h *Handler) routesPhoneServices() {
	p, api := h.cfg.Prefix, h.cfg.Prefix+"api/v1/"
	h.mux.Handle("GET "+api+"phone-services", h.api(h.apiAuthed(h.apiPhoneServices)))
	h.mux.Handle("GET "+api+"phones/{device}/services",
		h.api(h.apiAuthed(h.apiSubscribedServices)))
	h.mux.Handle("POST "+api+"phones/{device}/services",
		h.api(h.apiAuthed(h.apiSubscribeService)))
	h.mux.Handle("GET "+api+"phones/{device}/services/{id}",
		h.api(h.apiAuthed(h.apiSubscribedService)))
	h.mux.Handle("PATCH "+api+"phones/{device}/services/{id}",
		h.api(h.apiAuthed(h.apiPatchSubscribedService)))
	h.mux.Handle("DELETE "+api+"phones/{device}/services/{id}",
		h.api(h.apiAuthed(h.apiUnsubscribeService)))
	h.mux.Handle("GET "+p+"services", h.page(h.authed(h.servicesPage)))
	h.mux.Handle("POST "+p+"services", h.page(h.authed(h.servicesSubmit)))
}

// serviceParamView is one parameter of a template in the API.
type serviceParamView struct {
	Name        string                    `json:"name"`
	DisplayName string                    `json:"displayName"`
	Required    bool                      `json:"required"`
	MaxLength   int                       `json:"maxLength"`
	Kind        selfcare.ServiceParamKind `json:"kind"`
	Secret      bool                      `json:"secret"`
	Default     string                    `json:"default"`
}

// phoneServiceView is an offered service in the API; it has no URL.
type phoneServiceView struct {
	ID          string                    `json:"id"`
	Name        string                    `json:"name"`
	Description string                    `json:"description"`
	Kind        selfcare.PhoneServiceKind `json:"kind"`
	Parameters  []serviceParamView        `json:"parameters"`
}

func toPhoneServiceView(ps selfcare.PhoneService) phoneServiceView {
	v := phoneServiceView{ID: ps.ID, Name: ps.Name, Description: ps.Description,
		Kind: ps.Kind, Parameters: make([]serviceParamView, 0, len(ps.Params))}
	for _, p := range ps.Params {
		v.Parameters = append(v.Parameters, serviceParamView(p))
	}
	return v
}

// subscriptionView is a subscription in the API: the values of the
// parameters that are not secret, and the names of the secrets that are
// set. The version is also the ETag.
type subscriptionView struct {
	Device     string            `json:"device"`
	ServiceID  string            `json:"serviceId"`
	Name       string            `json:"name"`
	Offered    bool              `json:"offered"`
	Parameters map[string]string `json:"parameters"`
	SecretsSet []string          `json:"secretsSet"`
	Version    int64             `json:"version"`
}

func toSubscriptionView(s selfcare.SubscribedService) subscriptionView {
	v := subscriptionView{Device: s.Device, ServiceID: s.Service.ID, Name: s.Service.Name,
		Offered: s.Offered, Parameters: s.Values, SecretsSet: s.SecretsSet,
		Version: s.Version}
	if v.Parameters == nil {
		v.Parameters = map[string]string{}
	}
	if v.SecretsSet == nil {
		v.SecretsSet = []string{}
	}
	return v
}

func (h *Handler) apiPhoneServices(w http.ResponseWriter, r *http.Request) error {
	all, err := h.svc.PhoneServices(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	out := struct {
		Services []phoneServiceView `json:"services"`
	}{make([]phoneServiceView, 0, len(all))}
	for _, ps := range all {
		out.Services = append(out.Services, toPhoneServiceView(ps))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) apiSubscribedServices(w http.ResponseWriter, r *http.Request) error {
	device := r.PathValue("device")
	subs, err := h.svc.SubscribedServices(r.Context(), principalFrom(r.Context()), device)
	if err != nil {
		return err
	}
	out := struct {
		Device   string             `json:"device"`
		Services []subscriptionView `json:"services"`
	}{device, make([]subscriptionView, 0, len(subs))}
	for _, s := range subs {
		out.Services = append(out.Services, toSubscriptionView(s))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) writeSubscription(w http.ResponseWriter, status int,
	s selfcare.SubscribedService) {
	w.Header().Set("ETag", etag(s.Version))
	writeJSON(w, status, toSubscriptionView(s))
}

func (h *Handler) apiSubscribedService(w http.ResponseWriter, r *http.Request) error {
	s, err := h.svc.SubscribedService(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeSubscription(w, http.StatusOK, s)
	return nil
}

// serviceMembers reads a JSON object whose members are known, refusing
// the administrator's members by name with a field error.
func serviceMembers(body []byte, known map[string]bool) (map[string]json.RawMessage,
	error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err == nil {
		v := &selfcare.ValidationError{}
		for _, name := range slices.Sorted(maps.Keys(probe)) {
			if why, ok := adminOnlyServiceMembers[name]; ok {
				v.Fields = append(v.Fields, selfcare.FieldError{Field: name, Message: why})
			}
		}
		if len(v.Fields) > 0 {
			return nil, v
		}
	}
	return objectMembers(body, known)
}

// serviceValues reads the parameters member: an object whose values are
// strings, or null too when nullOK.
func serviceValues(raw json.RawMessage, nullOK bool) (selfcare.ServicePatch, error) {
	// A name twice is refused here, where a Go map would keep the last.
	var m map[string]*string
	if err := strictjson.Decode(raw, &m); err != nil {
		return nil, within("parameters", err)
	}
	if m == nil {
		return nil, memberError("parameters", "must be an object of parameter names "+
			"and values")
	}
	out := make(selfcare.ServicePatch, len(m))
	for name, v := range m {
		switch {
		case v != nil:
			out[name] = selfcare.Set(*v)
		case nullOK:
			out[name] = selfcare.Null[string]()
		default:
			return nil, within("parameters", &strictjson.Error{Path: name,
				Reason: "must be a string"})
		}
	}
	return out, nil
}

func (h *Handler) apiSubscribeService(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, "application/json", errMediaType)
	if err != nil {
		return err
	}
	m, err := serviceMembers(body, map[string]bool{"serviceId": true, "parameters": true})
	if err != nil {
		return err
	}
	var id string
	if err := strictjson.Decode(m["serviceId"], &id); err != nil || id == "" {
		return badRequest("serviceId must name a service of the catalogue")
	}
	values := map[string]string{}
	if raw, ok := m["parameters"]; ok {
		patch, err := serviceValues(raw, false)
		if err != nil {
			return err
		}
		for k, f := range patch {
			values[k] = f.Value
		}
	}
	device := r.PathValue("device")
	s, err := h.svc.SubscribeService(r.Context(), principalFrom(r.Context()), device, id,
		values, remoteAddr(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", h.cfg.Prefix+"api/v1/phones/"+device+"/services/"+id)
	h.writeSubscription(w, http.StatusCreated, s)
	return nil
}

func (h *Handler) apiPatchSubscribedService(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, mergePatchType, errMergePatchType)
	if err != nil {
		return err
	}
	m, err := serviceMembers(body, map[string]bool{"parameters": true})
	if err != nil {
		return err
	}
	patch := selfcare.ServicePatch{}
	if raw, ok := m["parameters"]; ok {
		if patch, err = serviceValues(raw, true); err != nil {
			return err
		}
	}
	s, err := h.svc.UpdateSubscribedService(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), r.PathValue("id"), patch, version, remoteAddr(r))
	if err != nil {
		return err
	}
	h.writeSubscription(w, http.StatusOK, s)
	return nil
}

func (h *Handler) apiUnsubscribeService(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	err = h.svc.UnsubscribeService(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), r.PathValue("id"), version, remoteAddr(r))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// servicesPage is what services.html gets: the phones to choose from, and
// the chosen phone's subscriptions and the services it may subscribe to.
type servicesPage struct {
	pageData
	Choices    []serviceChoice
	Device     string
	Subscribed []serviceForm
	Available  []serviceForm
}

// serviceChoice is one phone of the phone picker.
type serviceChoice struct {
	Name, Title string
	Selected    bool
}

// serviceForm is the form of one service.
type serviceForm struct {
	// HeadingID is the id of the form's heading, unique on the page.
	HeadingID             string
	ID, Name, Description string
	Offered               bool
	Version               int64
	Fields                []serviceField
	// Error and Notice concern this form's last submission.
	Error, Notice string
}

// serviceField is one parameter's field.
type serviceField struct {
	// HTMLID is unique on the page: services and parameters have names
	// restricted to letters, digits, underscores and hyphens.
	HTMLID, Name, Label, Value string
	Required, Secret, Digits   bool
	// IsSet says that a secret holds a value, which is never shown.
	IsSet     bool
	MaxLength int
	Error     string
}

// newServiceForm returns the form of ps, filled from s when subscribed.
func newServiceForm(prefix string, ps selfcare.PhoneService,
	s *selfcare.SubscribedService) serviceForm {
	f := serviceForm{HeadingID: prefix + "-" + ps.ID, ID: ps.ID, Name: ps.Name,
		Description: ps.Description, Offered: true}
	if s != nil {
		f.Offered, f.Version = s.Offered, s.Version
	}
	for _, p := range ps.Params {
		fd := serviceField{HTMLID: prefix + "-" + ps.ID + "-" + p.Name, Name: "p." + p.Name,
			Label: p.DisplayName, Required: p.Required, Secret: p.Secret,
			Digits: p.Kind == selfcare.ServiceParamDigits, MaxLength: p.MaxLength}
		switch {
		case s == nil && !p.Secret:
			fd.Value = p.Default
		case s != nil && p.Secret:
			fd.IsSet = slices.Contains(s.SecretsSet, p.Name)
		case s != nil:
			fd.Value = s.Values[p.Name]
		}
		f.Fields = append(f.Fields, fd)
	}
	return f
}

// servicesData loads the page for device, or for the user's first phone
// when device is "". Another user's phone is not found.
func (h *Handler) servicesData(r *http.Request, device string) (servicesPage, error) {
	ctx := r.Context()
	p := principalFrom(ctx)
	if err := h.gatePage(r, params.FeaturePhoneServices); err != nil {
		return servicesPage{}, err
	}
	phones, err := h.svc.Phones(ctx, p)
	if err != nil {
		return servicesPage{}, err
	}
	d := servicesPage{pageData: pageData{Title: "Phone Services", Nav: "services"}}
	if len(phones) == 0 {
		return d, nil
	}
	if device == "" {
		device = phones[0].Name
	}
	subs, err := h.svc.SubscribedServices(ctx, p, device)
	if err != nil {
		return servicesPage{}, err
	}
	offered, err := h.svc.PhoneServices(ctx, p)
	if err != nil {
		return servicesPage{}, err
	}
	d.Device = device
	for _, ph := range phones {
		title := ph.Description
		if title == "" {
			title = ph.AdminDescription
		}
		d.Choices = append(d.Choices, serviceChoice{Name: ph.Name, Title: title,
			Selected: ph.Name == device})
	}
	for i := range subs {
		d.Subscribed = append(d.Subscribed, newServiceForm("sub", subs[i].Service, &subs[i]))
	}
	for _, ps := range offered {
		if !slices.ContainsFunc(subs, func(s selfcare.SubscribedService) bool {
			return s.Service.ID == ps.ID
		}) {
			d.Available = append(d.Available, newServiceForm("new", ps, nil))
		}
	}
	return d, nil
}

func (h *Handler) servicesPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.servicesData(r, r.URL.Query().Get("device"))
	if err != nil {
		return err
	}
	// The saved marker is the action done and the service's ID.
	action, id, _ := strings.Cut(savedMarker(r), ":")
	if form := d.form(id); form != nil && serviceNotices[action] != "" {
		form.Notice = serviceNotices[action]
		d.Notice = serviceNotices[action] + " " + form.Name
	}
	h.renderServices(w, r, http.StatusOK, d)
	return nil
}

// serviceNotices are the outcomes of the form's actions.
var serviceNotices = map[string]string{"subscribe": "Subscribed.", "update": "Saved.",
	"unsubscribe": "Unsubscribed."}

// servicesSubmit runs one form's action: subscribe, update or
// unsubscribe, and shows the phone's page again with the outcome.
func (h *Handler) servicesSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(errBadRequest, err)
	}
	if _, err := (formParts{"service-parameters": nil}).named(r.PostForm); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	f := r.PostForm
	device, id, action := f.Get("device"), f.Get("service"), f.Get("action")
	if device == "" || id == "" {
		return badRequest("the form lacks the phone or the service")
	}
	var version int64
	if action != "subscribe" {
		v, err := strconv.ParseInt(f.Get("version"), 10, 64)
		if err != nil {
			return badRequest("the form lacks the subscription's version")
		}
		version = v
	}

	// Secrets are never shown, so an empty secret field means "keep".
	secret := map[string]bool{}
	if all, err := h.svc.PhoneServices(ctx, p); err == nil {
		if i := slices.IndexFunc(all, func(ps selfcare.PhoneService) bool {
			return ps.ID == id
		}); i >= 0 {
			for _, prm := range all[i].Params {
				secret[prm.Name] = prm.Secret
			}
		}
	}
	typed := map[string]string{}
	patch := selfcare.ServicePatch{}
	for k, vs := range f {
		name, ok := strings.CutPrefix(k, "p.")
		if !ok || len(vs) != 1 {
			continue
		}
		if !secret[name] {
			typed[name] = vs[0]
		}
		if secret[name] && vs[0] == "" {
			continue
		}
		patch[name] = selfcare.Set(vs[0])
	}

	var uerr error
	switch action {
	case "subscribe":
		values := make(map[string]string, len(patch))
		for k, v := range patch {
			values[k] = v.Value
		}
		_, uerr = h.svc.SubscribeService(ctx, p, device, id, values, remoteAddr(r))
	case "update":
		_, uerr = h.svc.UpdateSubscribedService(ctx, p, device, id, patch, version,
			remoteAddr(r))
	case "unsubscribe":
		uerr = h.svc.UnsubscribeService(ctx, p, device, id, version, remoteAddr(r))
	default:
		return badRequest("unknown action")
	}
	// Another user's phone, or a service not offered, ends here as a
	// missing one would, before the page shows anything.
	if uerr != nil && !errors.Is(uerr, selfcare.ErrVersionConflict) &&
		!errors.Is(uerr, selfcare.ErrInvalid) && !errors.Is(uerr, selfcare.ErrSubscribed) {
		return uerr
	}
	if uerr == nil {
		return h.seeSaved(w, r, "services", url.Values{"device": {device}},
			action+":"+id)
	}

	d, err := h.servicesData(r, device)
	if err != nil {
		return err
	}
	form := d.form(id)
	var status int
	switch {
	case errors.Is(uerr, selfcare.ErrVersionConflict):
		status = http.StatusConflict
		d.Error = "This subscription was changed elsewhere after you opened this page, " +
			"so your change was not saved. The values now in force are shown; make " +
			"your change again."
		if form != nil {
			form.Error = d.Error
			d.Summary = []problem{{Target: form.HeadingID, Message: form.Name}}
		}
	case errors.Is(uerr, selfcare.ErrSubscribed):
		status = http.StatusConflict
		d.Error = "This phone is already subscribed to " + serviceTitle(form, id) + "."
		if form != nil {
			d.Summary = []problem{{Target: form.HeadingID, Message: form.Name}}
		}
	default:
		ae, _ := toAPIError(uerr)
		status = ae.status
		d.Error = "Not saved: " + serviceTitle(form, id) + " needs changes. See the " +
			"messages beside the fields."
		if form != nil {
			form.Error = "Not saved."
			form.showTyped(typed, ae.Fields)
			for _, fd := range form.Fields {
				if fd.Error != "" {
					d.Summary = append(d.Summary, problem{Target: fd.HTMLID,
						Message: form.Name + ", " + fd.Label + ": " + fd.Error})
				}
			}
		}
	}
	h.renderServices(w, r, status, d)
	return nil
}

// form returns the page's form of service id, subscribed or not.
func (d *servicesPage) form(id string) *serviceForm {
	for _, list := range [][]serviceForm{d.Subscribed, d.Available} {
		for i := range list {
			if list[i].ID == id {
				return &list[i]
			}
		}
	}
	return nil
}

// showTyped puts back what the user typed, secrets excepted, and the
// message of each refused field beside it.
func (f *serviceForm) showTyped(typed map[string]string, errs []fieldError) {
	for i := range f.Fields {
		fd := &f.Fields[i]
		name := strings.TrimPrefix(fd.Name, "p.")
		if v, ok := typed[name]; ok {
			fd.Value = v
		}
		for _, e := range errs {
			if e.Field == "parameters."+name {
				fd.Error = strings.TrimSpace(fd.Error + " " + e.Message)
			}
		}
	}
}

// serviceTitle names a service in a message.
func serviceTitle(f *serviceForm, id string) string {
	if f != nil {
		return f.Name
	}
	return id
}

// renderServices is render for the phone services page's own data.
func (h *Handler) renderServices(w http.ResponseWriter, r *http.Request, status int,
	d servicesPage) {
	h.renderPage(w, r, status, "services.html", &d.pageData, &d)
}

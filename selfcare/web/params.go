package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// This file serves what the parameters add to the portal: the feature
// gates on pages and in errors, the Extension Mobility page and API, the
// default-server endpoint, and the administration API under
// api/v1/admin/.
//
// Administrators sign in with POST api/v1/admin/session, which needs the
// administration access of a standard administrator group rather than the
// Self Care role, and get a cookie of their own, sent only to the
// administration API. The Self Care pages never read it, so they stay
// closed to administrators who are not end users. The administration API
// also takes an end user's Self Care session; what either may do is then
// their grant's business, and anything it does not allow is a 403.

// AdminCookieName is the administration session's cookie; with
// Config.Secure it carries the __Host- prefix.
const AdminCookieName = "selfcare_admin"

func (h *Handler) routesParams() {
	p := h.cfg.Prefix
	api := p + "api/v1/"
	h.mux.Handle("GET "+p+"extension-mobility", h.page(h.authed(h.emPage)))
	h.mux.Handle("POST "+p+"extension-mobility", h.page(h.authed(h.emSubmit)))
	h.mux.Handle("GET "+api+"features", h.api(h.apiAuthed(h.apiFeatures)))
	h.mux.Handle("GET "+api+"extension-mobility", h.api(h.apiAuthed(h.apiEM)))
	h.mux.Handle("PUT "+api+"extension-mobility", h.api(h.apiAuthed(h.apiSetEM)))
	h.mux.Handle("GET "+api+"default-server", h.api(h.apiDefaultServer))

	adm := api + "admin/"
	h.mux.Handle("POST "+adm+"session", h.api(h.apiAdminLogin))
	h.mux.Handle("DELETE "+adm+"session", h.api(h.apiAdminLogout))
	h.mux.Handle("GET "+adm+"params", h.api(h.admin(h.apiParams)))
	h.mux.Handle("GET "+adm+"params/{key}", h.api(h.admin(h.apiParam)))
	h.mux.Handle("PUT "+adm+"params/{key}", h.api(h.admin(h.apiSetParam)))
	h.mux.Handle("DELETE "+adm+"params/{key}", h.api(h.admin(h.apiResetParam)))
	h.mux.Handle("GET "+adm+"profiles", h.api(h.admin(h.apiProfiles)))
	h.mux.Handle("GET "+adm+"profiles/{name}", h.api(h.admin(h.apiProfile)))
	h.mux.Handle("PUT "+adm+"profiles/{name}", h.api(h.admin(h.apiPutProfile)))
	h.mux.Handle("DELETE "+adm+"profiles/{name}", h.api(h.admin(h.apiDeleteProfile)))
	h.mux.Handle("PUT "+adm+"users/{id}/profile", h.api(h.admin(h.apiAssignProfile)))
	h.mux.Handle("GET "+adm+"servers", h.api(h.admin(h.apiServers)))
	h.mux.Handle("PUT "+adm+"servers/{name}", h.api(h.admin(h.apiPutServer)))
	h.mux.Handle("DELETE "+adm+"servers/{name}", h.api(h.admin(h.apiRemoveServer)))
}

// paramsPage is what the pages need from the parameters: which pages the
// navigation offers, and the Extension Mobility page's data.
type paramsPage struct {
	ShowPassword bool
	ShowPIN      bool
	ShowEM       bool
	// ShowForwarding offers the call forwarding page (forwarding.go).
	ShowForwarding bool
	// ShowSpeedDials offers the speed dial page (speeddial.go).
	ShowSpeedDials bool
	// ShowDND offers the Do Not Disturb page (dnd.go).
	ShowDND bool
	// ShowConferencing offers the Conferencing page (conferencing.go).
	ShowConferencing bool
	// ShowPhoneServices offers the phone services page (services.go).
	ShowPhoneServices bool
	// ShowLineSettings offers the line settings page (linesettings.go).
	ShowLineSettings bool
	// ShowAdditionalPhones offers the additional phones page (remotedest.go).
	ShowAdditionalPhones bool
	// ShowContacts offers the phone contacts page (contacts.go).
	ShowContacts bool
	EM           *emView
}

// fillParams sets the navigation of a signed-in user's page from the
// parameters in force, which the request's authentication loaded.
func (h *Handler) fillParams(r *http.Request, d *pageData) {
	p := principalFrom(r.Context())
	if p == nil {
		return
	}
	ctx := r.Context()
	d.Params.ShowPassword = h.svc.CheckFeature(ctx, p, params.FeatureChangePassword) == nil
	d.Params.ShowPIN = h.svc.CheckFeature(ctx, p, params.FeatureChangePIN) == nil
	d.Params.ShowEM = h.svc.CheckFeature(ctx, p, params.FeatureEMLoginTime) == nil
	d.Params.ShowForwarding = h.svc.CheckFeature(ctx, p,
		params.FeatureCallForwardAll) == nil
	d.Params.ShowSpeedDials = h.svc.CheckFeature(ctx, p, params.FeatureSpeedDials) == nil
	d.Params.ShowDND = h.svc.CheckFeature(ctx, p, params.FeatureDoNotDisturb) == nil
	d.Params.ShowConferencing = h.svc.CheckFeature(ctx, p, params.FeatureConferencing) == nil
	d.Params.ShowPhoneServices = h.svc.CheckFeature(ctx, p, params.FeaturePhoneServices) == nil
	d.Params.ShowLineSettings = len(h.svc.VisibleLineSections(ctx, p)) > 0
	d.Params.ShowAdditionalPhones = h.svc.CheckFeature(ctx, p,
		params.FeatureAdditionalPhones) == nil
	d.Params.ShowContacts = h.svc.CheckFeature(ctx, p, params.FeaturePhoneContacts) == nil
}

// gatePage refuses a page whose feature the parameters hide: the 403
// error page names the parameter.
func (h *Handler) gatePage(r *http.Request, f params.Feature) error {
	return h.svc.CheckFeature(r.Context(), principalFrom(r.Context()), f)
}

// paramsDetail adds to ae what a params error says, in sentences that
// name the parameter or field: the parameter, or the user profile option,
// that hides a feature; each refused value with why and what is allowed;
// the parameter asked for that does not exist; what a server or profile
// that cannot go is needed for.
func paramsDetail(err error, ae *apiError) {
	var (
		ge *params.GateError
		ue *params.UnknownError
		nf *params.NotFoundError
		iu *params.InUseError
	)
	switch {
	case errors.As(err, &ge):
		ae.Message = gateMessage(ge)
		ae.Fields = append(ae.Fields, fieldError{ge.ParamKey, ge.ParamDisplayName})
		return
	case errors.As(err, &ue):
		ae.Message = ue.Message()
		ae.Fields = append(ae.Fields, fieldError{"key", ue.Message()})
		return
	case errors.As(err, &nf):
		ae.Message = nf.Message()
		return
	case errors.As(err, &iu):
		ae.Message = iu.Message()
		if iu.ParamKey != "" {
			ae.Fields = append(ae.Fields, fieldError{iu.ParamKey, iu.ParamDisplayName})
		}
		return
	}
	ves := validationErrors(err)
	for _, ve := range ves {
		ae.Fields = append(ae.Fields, fieldError{ve.Key, ve.Message()})
	}
	if len(ves) == 1 {
		// One refusal: the message can say it all, for clients that show
		// only the message.
		ae.Message = ves[0].Message()
	}
}

// gateMessage says what is hidden and by what, for the user and the
// administrator they will ask.
func gateMessage(ge *params.GateError) string {
	what := upperFirst(ge.Title)
	option := fmt.Sprintf("%q (%s)", ge.ParamDisplayName, ge.ParamKey)
	switch {
	case ge.ByProfile && ge.Profile == "":
		return fmt.Sprintf("Not offered: %s. You have no user profile, and only a "+
			"profile with %s turned on offers it.", what, option)
	case ge.ByProfile:
		return fmt.Sprintf("Not offered: %s. Your user profile %s does not have %s "+
			"turned on.", what, params.QuoteValue(ge.Profile), option)
	}
	return fmt.Sprintf("Not offered: %s. The parameter %s is %s.", what, option, ge.Value)
}

// validationErrors collects every *params.ValidationError in err's tree,
// since a profile may have several bad fields joined.
func validationErrors(err error) []*params.ValidationError {
	switch e := err.(type) {
	case nil:
		return nil
	case *params.ValidationError:
		return []*params.ValidationError{e}
	case interface{ Unwrap() []error }:
		var out []*params.ValidationError
		for _, inner := range e.Unwrap() {
			out = append(out, validationErrors(inner)...)
		}
		return out
	}
	return validationErrors(errors.Unwrap(err))
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// apiFeatures answers what the portal offers the user: every gated
// feature by its stable name, and the two settings that are not on or off.
func (h *Handler) apiFeatures(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := principalFrom(ctx)
	f := h.svc.Features(ctx, p)
	shown := map[params.Feature]bool{}
	for _, g := range params.Gates() {
		shown[g.Feature] = h.svc.CheckFeature(ctx, p, g.Feature) == nil
	}
	shown[params.FeatureEMLoginTime] = h.svc.CheckFeature(ctx, p,
		params.FeatureEMLoginTime) == nil
	writeJSON(w, http.StatusOK, struct {
		Features            map[params.Feature]bool    `json:"features"`
		CallForwarding      params.CallForwardMode     `json:"callForwarding"`
		PhoneServiceDisplay params.PhoneServiceDisplay `json:"phoneServiceDisplay"`
	}{shown, f.CallForwarding, f.PhoneServiceDisplay})
	return nil
}

// emView is the Extension Mobility login time as the API and the page
// show it. Times are "none" or H:MM.
type emView struct {
	Allowed bool   `json:"allowed"`
	Profile string `json:"profile"`
	// Choice is "default", "none" or H:MM.
	Choice    string   `json:"choice"`
	Effective emLimits `json:"effective"`
	System    emLimits `json:"systemDefault"`
	// Version is the choice's version, also the ETag.
	Version int64 `json:"version"`

	// The form's state, for the page only: text, so that a refused form
	// shows what was typed.
	Mode           string `json:"-"`
	Hours, Minutes string `json:"-"`
}

type emLimits struct {
	Intra string `json:"intraCluster"`
	Inter string `json:"interCluster"`
}

func toEMView(em selfcare.EMLogin) *emView {
	v := &emView{Allowed: em.Allowed, Profile: em.Profile, Choice: em.Choice.String(),
		Effective: emLimits{em.Intra.String(), em.Inter.String()},
		System:    emLimits{em.SystemIntra.String(), em.SystemInter.String()},
		Version:   em.Version, Mode: em.Choice.String(), Hours: "0", Minutes: "0"}
	if em.Choice.Mode == params.EMCustom {
		v.Mode = "custom"
		v.Hours = strconv.Itoa(int(em.Choice.Max / time.Hour))
		v.Minutes = strconv.Itoa(int(em.Choice.Max % time.Hour / time.Minute))
	}
	return v
}

func (h *Handler) apiEM(w http.ResponseWriter, r *http.Request) error {
	em, err := h.svc.EMLoginTime(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	writeEM(w, em)
	return nil
}

// writeEM answers the choice with its version as the ETag, which a PUT
// names in If-Match.
func writeEM(w http.ResponseWriter, em selfcare.EMLogin) {
	w.Header().Set("ETag", etag(em.Version))
	writeJSON(w, http.StatusOK, toEMView(em))
}

// apiSetEM stores the user's choice. A body without a choice, or with an
// empty one, is refused: it is more likely a client's mistake than a wish
// to go back to the system default, which "default" says.
func (h *Handler) apiSetEM(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Choice string `json:"choice"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p := principalFrom(r.Context())
	// The profile decides first: a user who may not choose learns that,
	// not that their value was malformed.
	if err := h.svc.CheckFeature(r.Context(), p, params.FeatureEMLoginTime); err != nil {
		return err
	}
	// Then the version: two clients must not overwrite each other.
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	choice, err := params.ParseEMLoginChoiceInput(in.Choice)
	if err != nil {
		return err
	}
	em, err := h.svc.SetEMLoginTime(r.Context(), p, choice, version, remoteAddr(r))
	if err != nil {
		return err
	}
	writeEM(w, em)
	return nil
}

// emPage is the Extension Mobility page, which only users whose profile
// allows the choice see.
func (h *Handler) emPage(w http.ResponseWriter, r *http.Request) error {
	if err := h.gatePage(r, params.FeatureEMLoginTime); err != nil {
		return err
	}
	em, err := h.svc.EMLoginTime(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	d := pageData{Title: "Extension Mobility", Nav: "extension-mobility"}
	d.Params.EM = toEMView(em)
	if savedMarker(r) == "em" {
		d.Notice = "Your maximum login time has been saved."
	}
	h.render(w, r, http.StatusOK, "em.html", d)
	return nil
}

func (h *Handler) emSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := h.gatePage(r, params.FeatureEMLoginTime); err != nil {
		return err
	}
	version, err := parseVersionedForm(r, "the choice")
	if err != nil {
		return err
	}
	if _, err := (formParts{"login-time": nil}).named(r.PostForm); err != nil {
		return err
	}
	p := principalFrom(r.Context())
	d := pageData{Title: "Extension Mobility", Nav: "extension-mobility"}
	choice, err := formEMChoice(r)
	if err == nil {
		var em selfcare.EMLogin
		em, err = h.svc.SetEMLoginTime(r.Context(), p, choice, version, remoteAddr(r))
		if err == nil {
			d.Params.EM = toEMView(em)
		}
	}
	if errors.Is(err, selfcare.ErrVersionConflict) {
		// Another tab or client saved first: show what is in force now.
		em, lerr := h.svc.EMLoginTime(r.Context(), p)
		if lerr != nil {
			return lerr
		}
		d.Params.EM = toEMView(em)
		d.Error = "Your maximum login time was changed elsewhere after you opened " +
			"this page, so your change was not saved. The choice now in force is " +
			"shown; make your change again."
		d.Summary = []problem{{Target: "em-default", Message: "Maximum login time"}}
		h.render(w, r, http.StatusConflict, "em.html", d)
		return nil
	}
	if errors.Is(err, params.ErrInvalid) {
		// The service's refusal is worded for the API; the page says it
		// in the form's own terms.
		err = emFormError(emRangeMessage)
	}
	if d.Params.EM == nil {
		// The limits as stored, and the form as it was filled in, with the
		// error beside it.
		em, lerr := h.svc.EMLoginTime(r.Context(), p)
		if lerr != nil {
			return lerr
		}
		d.Params.EM = toEMView(em)
		switch c := r.PostForm.Get("choice"); c {
		case params.EMChoiceDefault, params.EMChoiceNoMaximum, "custom":
			d.Params.EM.Mode = c
		}
		d.Params.EM.Hours = r.PostForm.Get("hours")
		d.Params.EM.Minutes = r.PostForm.Get("minutes")
	}
	// The summary links to the hours when a time was typed, else to the
	// first choice; the template marks every part of the choice invalid.
	target := "em-default"
	if r.PostForm.Get("choice") == "custom" {
		target = "em-hours"
	}
	return h.formResult(w, r, "em.html", d, err, "em",
		formField{params.EMChoiceField, target, "Maximum login time"})
}

// formEMChoice reads the page's radio buttons and the hours and minutes
// of a custom time.
func formEMChoice(r *http.Request) (params.EMLoginChoice, error) {
	if !offered(r.PostForm, "choice", params.EMChoiceDefault, params.EMChoiceNoMaximum,
		"custom") {
		return params.EMLoginChoice{}, emFormError("Choose one of the three options.")
	}
	switch c := r.PostForm.Get("choice"); c {
	case params.EMChoiceDefault, params.EMChoiceNoMaximum:
		return params.ParseEMLoginChoice(c)
	case "custom":
		hours, herr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("hours")))
		mins, merr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("minutes")))
		switch {
		case herr != nil || merr != nil || hours < 0 || mins < 0:
			return params.EMLoginChoice{}, emFormError("Enter the hours and the " +
				"minutes as whole numbers, such as 8 hours and 30 minutes.")
		case mins > 59:
			return params.EMLoginChoice{}, emFormError("Enter at most 59 minutes; " +
				"add whole hours to the hours instead.")
		case hours > 168 || hours == 168 && mins > 0:
			return params.EMLoginChoice{}, emFormError("Enter at most 168 hours " +
				"(one week).")
		case hours == 0 && mins == 0:
			return params.EMLoginChoice{}, emFormError("Enter at least 1 minute, or " +
				"choose no maximum login time.")
		}
		c, err := params.ParseEMLoginChoice(fmt.Sprintf("%d:%02d", hours, mins))
		if err != nil {
			return c, emFormError(emRangeMessage)
		}
		return c, nil
	}
	return params.EMLoginChoice{}, emFormError("Choose one of the three options.")
}

// emRangeMessage says on the page what times the service takes.
const emRangeMessage = "Enter a time from 1 minute to 168 hours (one week)."

// emFormError refuses the form's choice with a message beside it.
func emFormError(msg string) error {
	return &selfcare.ValidationError{Fields: []selfcare.FieldError{{
		Field: params.EMChoiceField, Message: msg}}}
}

// apiDefaultServer tells a client, such as Jabber before it signs in,
// which server to use for embedded Self Care pages. It needs no session and
// answers only the server's name, which clients configured for the
// cluster know anyway.
func (h *Handler) apiDefaultServer(w http.ResponseWriter, r *http.Request) error {
	srv, err := h.svc.DefaultServer(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Server string `json:"server"`
	}{srv.Name})
	return nil
}

// adminCookie returns the administration cookie's name.
func (h *Handler) adminCookie() string {
	if h.cfg.Secure {
		return "__Host-" + AdminCookieName
	}
	return AdminCookieName
}

// setAdminCookie sets or, with an empty token, clears the administration
// cookie. Without TLS it goes only to the administration API; the
// __Host- prefix demands Path=/.
func (h *Handler) setAdminCookie(w http.ResponseWriter, token string) {
	c := &http.Cookie{Name: h.adminCookie(), Value: token,
		Path: h.cfg.Prefix + "api/v1/admin/", HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteStrictMode}
	if h.cfg.Secure {
		c.Path = "/"
	}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func (h *Handler) apiAdminLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID   string `json:"userId"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	tok, p, err := h.svc.AdminLogin(r.Context(), in.UserID, in.Password, remoteAddr(r))
	if err != nil {
		return err
	}
	h.setAdminCookie(w, tok)
	writeJSON(w, http.StatusCreated, toMe(p))
	return nil
}

func (h *Handler) apiAdminLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(h.adminCookie()); err == nil && c.Value != "" {
		if err := h.svc.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	h.setAdminCookie(w, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// admin wraps an administration handler: the caller is the administration
// session when its cookie is present, and otherwise the Self Care session.
func (h *Handler) admin(next func(http.ResponseWriter, *http.Request, selfcare.Caller) error,
) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var (
			p   *selfcare.Principal
			err error
		)
		if c, cerr := r.Cookie(h.adminCookie()); cerr == nil && c.Value != "" {
			p, err = h.svc.AuthenticateAdmin(r.Context(), c.Value)
		} else {
			p, err = h.authenticate(r)
		}
		if err != nil {
			return err
		}
		return next(w, r, selfcare.AdminCaller(p, remoteAddr(r)))
	}
}

// settingView is one parameter as the administration API shows it.
type settingView struct {
	Key         string `json:"key"`
	DisplayName string `json:"displayName"`
	Group       string `json:"group"`
	Kind        string `json:"kind"`
	// Value is canonical; DisplayValue what the administration shows.
	Value        string       `json:"value"`
	DisplayValue string       `json:"displayValue"`
	Default      string       `json:"default"`
	Set          bool         `json:"set"`
	Allowed      string       `json:"allowed"`
	Options      []optionView `json:"options,omitempty"`
	// Refused is the stored value that does not validate, and why; the
	// default applies meanwhile.
	Refused *refusedView `json:"refused,omitempty"`
	Note    string       `json:"note,omitempty"`
}

type optionView struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type refusedView struct {
	Stored string `json:"stored"`
	Reason string `json:"reason"`
}

func toSettingView(st params.Setting, c params.Cluster) settingView {
	v := settingView{Key: st.Key, DisplayName: st.DisplayName, Group: string(st.Group),
		Kind: st.Kind.String(), Value: st.Value, DisplayValue: st.Display(st.Value),
		Default: st.Default, Set: st.Set, Allowed: st.Definition.Allowed(c),
		Note: st.Note}
	for _, o := range st.Options {
		v.Options = append(v.Options, optionView{o.Value, o.Label})
	}
	if st.Err != nil {
		v.Refused = &refusedView{Stored: st.Stored,
			Reason: strings.TrimPrefix(st.Err.Error(), "params: ")}
	}
	return v
}

// cluster returns the servers in force when sts holds the default-server
// parameter, whose allowed values they are; otherwise, or for a caller who
// may not list servers, none.
func (h *Handler) cluster(r *http.Request, c selfcare.Caller,
	sts ...params.Setting) params.Cluster {
	i := slices.IndexFunc(sts, func(st params.Setting) bool {
		return st.Kind == params.KindServer
	})
	if i < 0 {
		return params.Cluster{}
	}
	servers, err := h.svc.Servers(r.Context(), c)
	if err != nil {
		return params.Cluster{}
	}
	cl, _ := params.NewCluster(servers...)
	return cl
}

func (h *Handler) apiParams(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	sts, err := h.svc.Params(r.Context(), c)
	if err != nil {
		return err
	}
	cl := h.cluster(r, c, sts...)
	out := make([]settingView, len(sts))
	for i, st := range sts {
		out[i] = toSettingView(st, cl)
	}
	writeJSON(w, http.StatusOK, struct {
		Params []settingView `json:"params"`
	}{out})
	return nil
}

func (h *Handler) apiParam(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	st, err := h.svc.Param(r.Context(), c, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSettingView(st, h.cluster(r, c, st)))
	return nil
}

type changeView struct {
	Key     string `json:"key"`
	Old     string `json:"old"`
	New     string `json:"new"`
	Reset   bool   `json:"reset,omitempty"`
	Implied bool   `json:"implied,omitempty"`
}

// writeChanges answers a change with what changed and the parameter now.
func (h *Handler) writeChanges(w http.ResponseWriter, r *http.Request, c selfcare.Caller,
	plan []params.Change) error {
	st, err := h.svc.Param(r.Context(), c, r.PathValue("key"))
	if err != nil {
		return err
	}
	out := make([]changeView, len(plan))
	for i, ch := range plan {
		out[i] = changeView{ch.Key, ch.Old, ch.New, ch.Reset, ch.Implied}
	}
	writeJSON(w, http.StatusOK, struct {
		Changes []changeView `json:"changes"`
		Param   settingView  `json:"param"`
	}{out, toSettingView(st, h.cluster(r, c, st))})
	return nil
}

// apiSetParam sets the parameter named in the path, by its key or display
// name in any case. The value is best sent as a JSON string; true, false
// and numbers are taken as their text, so that {"value": true} sets a
// bool and {"value": 12} an integer. Anything else is refused naming the
// parameter, once the caller may read it.
func (h *Handler) apiSetParam(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	var in struct {
		Value json.RawMessage `json:"value"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	key := r.PathValue("key")
	value, ok := jsonScalarText(in.Value)
	if !ok {
		st, err := h.svc.Param(r.Context(), c, key)
		if err != nil {
			return err
		}
		return &params.ValidationError{Key: st.Key, DisplayName: st.DisplayName,
			Value: string(in.Value), Allowed: st.Definition.Allowed(h.cluster(r, c, st)),
			Reason: `send the value as a JSON string, such as {"value": "` +
				st.Default + `"}; true, false and numbers are taken as their text`}
	}
	plan, err := h.svc.SetParam(r.Context(), c, key, value)
	if err != nil {
		return err
	}
	return h.writeChanges(w, r, c, plan)
}

// jsonScalarText returns the text of a JSON string, true, false or number,
// and false for anything else: null, an object, an array. A missing value
// is the empty string, which the parameter then refuses or takes.
func jsonScalarText(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", true
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		// The literal, not the float: 12 stays "12" and 1e3 stays "1e3",
		// which an integer parameter then refuses as written.
		return string(raw), true
	}
	return "", false
}

func (h *Handler) apiResetParam(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	plan, err := h.svc.ResetParam(r.Context(), c, r.PathValue("key"))
	if err != nil {
		return err
	}
	return h.writeChanges(w, r, c, plan)
}

type profileView struct {
	Name                string `json:"name"`
	Description         string `json:"description"`
	AllowEMMaxLoginTime bool   `json:"allowEMMaxLoginTime"`
}

func toProfileView(p params.UserProfile) profileView {
	return profileView{p.Name, p.Description, p.AllowEMMaxLoginTime}
}

func (h *Handler) apiProfiles(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	ps, err := h.svc.Profiles(r.Context(), c)
	if err != nil {
		return err
	}
	out := make([]profileView, len(ps))
	for i, p := range ps {
		out[i] = toProfileView(p)
	}
	writeJSON(w, http.StatusOK, struct {
		Profiles []profileView `json:"profiles"`
	}{out})
	return nil
}

func (h *Handler) apiProfile(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	p, err := h.svc.Profile(r.Context(), c, r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProfileView(p))
	return nil
}

// apiPutProfile creates or replaces the profile named in the path; the
// body holds its other fields, and a field left out is empty or false.
func (h *Handler) apiPutProfile(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	var in struct {
		Description         string `json:"description"`
		AllowEMMaxLoginTime bool   `json:"allowEMMaxLoginTime"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p := params.UserProfile{Name: r.PathValue("name"), Description: in.Description,
		AllowEMMaxLoginTime: in.AllowEMMaxLoginTime}
	created, err := h.svc.PutProfile(r.Context(), c, p)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, toProfileView(p))
	return nil
}

func (h *Handler) apiDeleteProfile(w http.ResponseWriter, r *http.Request,
	c selfcare.Caller) error {
	if err := h.svc.DeleteProfile(r.Context(), c, r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiAssignProfile gives the user in the path the profile in the body;
// an empty profile takes theirs away.
func (h *Handler) apiAssignProfile(w http.ResponseWriter, r *http.Request,
	c selfcare.Caller) error {
	var in struct {
		Profile string `json:"profile"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.svc.AssignProfile(r.Context(), c, r.PathValue("id"), in.Profile); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type serverView struct {
	Name      string `json:"name"`
	Publisher bool   `json:"publisher"`
}

// writeServers answers with the cluster's servers and the one that the
// default-server endpoint gives out.
func (h *Handler) writeServers(w http.ResponseWriter, r *http.Request,
	c selfcare.Caller) error {
	ss, err := h.svc.Servers(r.Context(), c)
	if err != nil {
		return err
	}
	out := make([]serverView, len(ss))
	for i, s := range ss {
		out[i] = serverView{s.Name, s.Publisher}
	}
	def := ""
	if srv, err := h.svc.DefaultServer(r.Context()); err == nil {
		def = srv.Name
	}
	writeJSON(w, http.StatusOK, struct {
		Servers       []serverView `json:"servers"`
		DefaultServer string       `json:"defaultServer"`
	}{out, def})
	return nil
}

func (h *Handler) apiServers(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	return h.writeServers(w, r, c)
}

// apiPutServer adds the server named in the path or replaces it; with
// "publisher": true it becomes the publisher.
func (h *Handler) apiPutServer(w http.ResponseWriter, r *http.Request, c selfcare.Caller) error {
	var in struct {
		Publisher bool `json:"publisher"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	srv := params.Server{Name: r.PathValue("name"), Publisher: in.Publisher}
	if err := h.svc.PutServer(r.Context(), c, srv); err != nil {
		return err
	}
	return h.writeServers(w, r, c)
}

func (h *Handler) apiRemoveServer(w http.ResponseWriter, r *http.Request,
	c selfcare.Caller) error {
	if err := h.svc.RemoveServer(r.Context(), c, r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

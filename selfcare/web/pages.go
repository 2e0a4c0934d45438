package web

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// pageData is what every template gets.
type pageData struct {
	Title    string
	User     *selfcare.User
	Error    string
	Notice   string
	Fields   map[string]string
	UserID   string
	Phones   []phoneView
	Nav      string
	Required bool
	// Policy is the credential policy in force, for the hints beside
	// password and PIN fields.
	Policy selfcare.CredentialPolicy
	// Ready lists the phones ready to activate on My Phones; ReadyNote
	// says why they cannot be shown (onboarding.go).
	Ready     readyList
	ReadyNote string
	// Params holds the navigation that the parameters allow and the
	// Extension Mobility page (params.go).
	Params paramsPage
	// Summary lists what a refused form got wrong, at the top of the
	// page, each line linked to its field (pageflow.go).
	Summary []problem
}

// render executes a template into a buffer first, so a template error
// never leaves a half-written page behind.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string,
	d pageData) {
	h.renderPage(w, r, status, name, &d, &d)
}

// renderPage fills base, the pageData that data carries (data itself, or
// a page's own struct that embeds it, passed by pointer), and executes
// the template name with data.
func (h *Handler) renderPage(w http.ResponseWriter, r *http.Request, status int, name string,
	base *pageData, data any) {
	base.Policy = h.svc.Policy()
	if p := principalFrom(r.Context()); p != nil && base.User == nil {
		u := p.User
		base.User = &u
	}
	h.fillParams(r, base)
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("template failed", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.authenticate(r); err == nil {
		http.Redirect(w, r, h.cfg.Prefix+"phones", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, h.cfg.Prefix+"login", http.StatusSeeOther)
	return nil
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "login.html", pageData{Title: "Sign in"})
	return nil
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(errBadRequest, err)
	}
	userID := r.PostForm.Get("userId")
	tok, p, err := h.svc.Login(r.Context(), userID, r.PostForm.Get("password"), remoteAddr(r))
	if err != nil {
		ae, known := toAPIError(err)
		if !known {
			return err
		}
		h.render(w, r, ae.status, "login.html",
			pageData{Title: "Sign in", Error: ae.Message, UserID: userID})
		return nil
	}
	h.replaceSession(r)
	h.setSessionCookie(w, tok)
	next := h.cfg.Prefix + "phones"
	if p.MustChangePassword() {
		next = h.cfg.Prefix + "password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (h *Handler) logoutSubmit(w http.ResponseWriter, r *http.Request) error {
	if tok := h.sessionToken(r); tok != "" {
		if err := h.svc.Logout(r.Context(), tok); err != nil {
			return err
		}
	}
	h.clearSessionCookie(w)
	http.Redirect(w, r, h.cfg.Prefix+"login", http.StatusSeeOther)
	return nil
}

// phoneView is a device as the pages and the API show it.
type phoneView struct {
	Name        string `json:"name"`
	Model       string `json:"model"`
	Description string `json:"description"`
	// DescriptionSource says whose description is shown: "user" or "admin".
	DescriptionSource string     `json:"descriptionSource"`
	Lines             []lineView `json:"lines"`
}

type lineView struct {
	Index     int    `json:"index"`
	Extension string `json:"extension"`
	Label     string `json:"label,omitempty"`
}

func viewPhones(ds []selfcare.Device) []phoneView {
	out := make([]phoneView, 0, len(ds))
	for _, d := range ds {
		v := phoneView{Name: d.Name, Model: d.Model, Description: d.AdminDescription,
			DescriptionSource: "admin", Lines: make([]lineView, 0, len(d.Lines))}
		if d.Description != "" {
			v.Description, v.DescriptionSource = d.Description, "user"
		}
		for _, l := range d.Lines {
			v.Lines = append(v.Lines, lineView{Index: l.Index, Extension: l.Extension,
				Label: l.Label})
		}
		out = append(out, v)
	}
	return out
}

func (h *Handler) phonesPage(w http.ResponseWriter, r *http.Request) error {
	ds, err := h.svc.Phones(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	d := pageData{Title: "My Phones", Nav: "phones", Phones: viewPhones(ds)}
	d.Ready, d.ReadyNote = h.readyForPage(r)
	h.render(w, r, http.StatusOK, "phones.html", d)
	return nil
}

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	if err := h.gatePage(r, params.FeatureChangePassword); err != nil {
		return err
	}
	d := pageData{Title: "Change password", Nav: "password",
		Required: p.MustChangePassword()}
	if savedMarker(r) == "password" {
		d.Notice = "Your password has been changed."
	}
	h.render(w, r, http.StatusOK, "password.html", d)
	return nil
}

func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		return errors.Join(errBadRequest, err)
	}
	d := pageData{Title: "Change password", Nav: "password", Required: p.MustChangePassword()}
	next, confirm := r.PostForm.Get("newPassword"), r.PostForm.Get("confirmPassword")
	var err error
	if next != confirm {
		err = &selfcare.ValidationError{Fields: []selfcare.FieldError{{
			Field: "confirmPassword", Message: "The two new passwords are not the same."}}}
	} else {
		err = h.svc.ChangePassword(r.Context(), p, r.PostForm.Get("currentPassword"), next,
			remoteAddr(r))
	}
	return h.formResult(w, r, "password.html", d, err, "password",
		formField{"currentPassword", "currentPassword", "Current password"},
		formField{"newPassword", "newPassword", "New password"},
		formField{"confirmPassword", "confirmPassword", "Confirm new password"})
}

func (h *Handler) pinPage(w http.ResponseWriter, r *http.Request) error {
	if err := h.gatePage(r, params.FeatureChangePIN); err != nil {
		return err
	}
	d := pageData{Title: "Change PIN", Nav: "pin"}
	if savedMarker(r) == "pin" {
		d.Notice = "Your PIN has been changed."
	}
	h.render(w, r, http.StatusOK, "pin.html", d)
	return nil
}

func (h *Handler) pinSubmit(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		return errors.Join(errBadRequest, err)
	}
	d := pageData{Title: "Change PIN", Nav: "pin"}
	next, confirm := r.PostForm.Get("newPin"), r.PostForm.Get("confirmPin")
	var err error
	if next != confirm {
		err = &selfcare.ValidationError{Fields: []selfcare.FieldError{{
			Field: "confirmPin", Message: "The two new PINs are not the same."}}}
	} else {
		err = h.svc.ChangePIN(r.Context(), p, r.PostForm.Get("currentPassword"), next,
			remoteAddr(r))
	}
	return h.formResult(w, r, "pin.html", d, err, "pin",
		formField{"currentPassword", "currentPassword", "Current password"},
		formField{"newPin", "newPin", "New phone PIN"},
		formField{"confirmPin", "confirmPin", "Confirm new PIN"})
}

// formResult ends a settings form of one page: on success with a redirect
// to the page (its path is d.Nav) with the saved marker, and when the
// service refused the input with the form again, the message, the
// per-field errors and their summary in the order of fields. Errors
// outside the table go up to the adapter.
func (h *Handler) formResult(w http.ResponseWriter, r *http.Request, tmpl string,
	d pageData, err error, saved string, fields ...formField) error {
	if err == nil {
		return h.seeSaved(w, r, d.Nav, nil, saved)
	}
	ae, known := toAPIError(err)
	if !known || ae.status == http.StatusUnauthorized || errors.Is(err, params.ErrFeatureHidden) {
		// A hidden feature gets the error page, never its form again.
		return err
	}
	d.Error = ae.Message
	d.Fields = map[string]string{}
	// A field can break several rules; the page shows them all.
	for _, f := range ae.Fields {
		if prev := d.Fields[f.Field]; prev != "" {
			d.Fields[f.Field] = prev + " " + f.Message
			continue
		}
		d.Fields[f.Field] = f.Message
	}
	if errors.Is(err, selfcare.ErrWrongPassword) {
		// The one field to correct is the current password.
		d.Fields["currentPassword"] = ae.Message
	}
	d.Summary = summarize(d.Fields, fields...)
	h.render(w, r, ae.status, tmpl, d)
	return nil
}

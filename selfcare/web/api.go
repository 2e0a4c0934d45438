package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// decodeJSON reads exactly one JSON object with no unknown fields into v.
func decodeJSON(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errors.Join(errBadRequest, errors.New("web: Content-Type must be application/json"))
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return errors.Join(errBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.Join(errBadRequest, errors.New("web: trailing data after the JSON object"))
	}
	return nil
}

type meView struct {
	UserID             string `json:"userId"`
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	Locale             string `json:"locale"`
	MustChangePassword bool   `json:"mustChangePassword"`
	// SignedInAt is when the user last gave their password.
	SignedInAt time.Time `json:"signedInAt"`
}

func toMe(p *selfcare.Principal) meView {
	return meView{UserID: p.User.ID, FirstName: p.User.FirstName, LastName: p.User.LastName,
		Locale: p.User.Locale, MustChangePassword: p.MustChangePassword(),
		SignedInAt: p.Session.AuthenticatedAt.UTC()}
}

func (h *Handler) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID   string `json:"userId"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	tok, p, err := h.svc.Login(r.Context(), in.UserID, in.Password, remoteAddr(r))
	if err != nil {
		return err
	}
	h.setSessionCookie(w, tok)
	writeJSON(w, http.StatusCreated, toMe(p))
	return nil
}

func (h *Handler) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if tok := h.sessionToken(r); tok != "" {
		if err := h.svc.Logout(r.Context(), tok); err != nil {
			return err
		}
	}
	h.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiMe(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	writeJSON(w, http.StatusOK, toMe(p))
	return nil
}

func (h *Handler) apiPhones(w http.ResponseWriter, r *http.Request) error {
	ds, err := h.svc.Phones(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Phones []phoneView `json:"phones"`
	}{viewPhones(ds)})
	return nil
}

func (h *Handler) apiPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err := h.svc.ChangePassword(r.Context(), principalFrom(r.Context()), in.CurrentPassword,
		in.NewPassword, remoteAddr(r))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiPIN(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CurrentPassword string `json:"currentPassword"`
		NewPIN          string `json:"newPin"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err := h.svc.ChangePIN(r.Context(), principalFrom(r.Context()), in.CurrentPassword,
		in.NewPIN, remoteAddr(r))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

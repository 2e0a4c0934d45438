package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// decodeJSON reads exactly one JSON object into v, a pointer to a struct
// whose fields all have json tags. Member names must match the tags
// exactly: encoding/json alone would also take "USERID" for "userId", and
// a client that misspells a member deserves an error, not a silent match.
func decodeJSON(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return badRequest("Content-Type must be application/json")
	}
	dec := json.NewDecoder(r.Body)
	var members map[string]json.RawMessage
	if err := dec.Decode(&members); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return errors.Join(errBadRequest, err)
	}
	if members == nil {
		return badRequest("the body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("trailing data after the JSON object")
	}

	known := jsonNames(v)
	for name := range members {
		if !known[name] {
			return badRequest(fmt.Sprintf("unknown member %q", name))
		}
	}
	raw, err := json.Marshal(members)
	if err != nil {
		return errors.Join(errBadRequest, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errors.Join(errBadRequest, err)
	}
	return nil
}

func badRequest(why string) error {
	return fmt.Errorf("%w: %s", errBadRequest, why)
}

// jsonNames returns the member names of the struct that v points to.
func jsonNames(v any) map[string]bool {
	t := reflect.TypeOf(v).Elem()
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
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
		SignedInAt: p.Session.AuthenticatedAt.UTC().Truncate(time.Second)}
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
	h.replaceSession(r)
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

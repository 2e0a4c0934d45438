package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/ucselfcare/portal/selfcare"
)

// decodeJSON reads exactly one JSON object into v, a pointer to a struct
// whose fields all have json tags. Member names must match the tags
// exactly and appear once, at every depth: encoding/json alone would take
// "USERID" for "userId" and let a second "userId" win over the first, and
// a client that sends either deserves an error, not a silent guess.
func decodeJSON(r *http.Request, v any) error {
	body, err := readBody(r, "application/json", errMediaType)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// readBody reads a request body that must be of media type want, in
// UTF-8; another type or charset is typeErr, a body over the limit
// errTooLarge.
func readBody(r *http.Request, want string, typeErr error) ([]byte, error) {
	mt, ps, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		return nil, fmt.Errorf("%w: Content-Type must be %s", typeErr, want)
	}
	if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, fmt.Errorf("%w: JSON must be sent as UTF-8", typeErr)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, errors.Join(errBadRequest, err)
	}
	return body, nil
}

func badRequest(why string) error {
	return fmt.Errorf("%w: %s", errBadRequest, why)
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

package web

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/ucselfcare/portal/selfcare"
)

type principalKey struct{}

func principalFrom(ctx context.Context) *selfcare.Principal {
	p, _ := ctx.Value(principalKey{}).(*selfcare.Principal)
	return p
}

// remoteAddr is the client's address without the port. Forwarded headers
// are not trusted: a proxy in front must be configured by the embedder.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// replaceSession ends the session that the request's cookie named, if any,
// once a new login has succeeded: the browser is about to forget the old
// token, and a session nobody can name any more should not stay usable.
func (h *Handler) replaceSession(r *http.Request) {
	if old := h.sessionToken(r); old != "" {
		if err := h.svc.Logout(r.Context(), old); err != nil {
			h.log.Warn("ending the replaced session", "err", err)
		}
	}
}

func (h *Handler) setSessionCookie(w http.ResponseWriter, token string) {
	path := h.cfg.Prefix
	if h.cfg.Secure {
		// Required by the __Host- prefix.
		path = "/"
	}
	http.SetCookie(w, &http.Cookie{
		Name:     h.cookie,
		Value:    token,
		Path:     path,
		HttpOnly: true,
		Secure:   h.cfg.Secure,
		SameSite: http.SameSiteStrictMode,
	})
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	path := h.cfg.Prefix
	if h.cfg.Secure {
		path = "/"
	}
	http.SetCookie(w, &http.Cookie{
		Name:     h.cookie,
		Value:    "",
		Path:     path,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   h.cfg.Secure,
		SameSite: http.SameSiteStrictMode,
	})
}

func (h *Handler) sessionToken(r *http.Request) string {
	c, err := r.Cookie(h.cookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// authenticate resolves the session cookie to a principal.
func (h *Handler) authenticate(r *http.Request) (*selfcare.Principal, error) {
	tok := h.sessionToken(r)
	if tok == "" {
		return nil, selfcare.ErrUnauthenticated
	}
	return h.svc.Authenticate(r.Context(), tok)
}

// authed wraps a page that needs a session: without one the browser goes
// to the login page, and a user who must change their password goes to
// the password page first.
func (h *Handler) authed(next func(http.ResponseWriter, *http.Request) error,
) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.authenticate(r)
		if errors.Is(err, selfcare.ErrUnauthenticated) {
			if h.sessionToken(r) != "" {
				h.clearSessionCookie(w)
			}
			http.Redirect(w, r, h.cfg.Prefix+"login", http.StatusSeeOther)
			return nil
		}
		if err != nil {
			return err
		}
		if p.MustChangePassword() && r.URL.Path != h.cfg.Prefix+"password" {
			http.Redirect(w, r, h.cfg.Prefix+"password", http.StatusSeeOther)
			return nil
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// apiAuthed wraps an API handler that needs a session.
func (h *Handler) apiAuthed(next func(http.ResponseWriter, *http.Request) error,
) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.authenticate(r)
		if err != nil {
			return err
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

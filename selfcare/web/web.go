// Package web serves the Self Care portal over HTTP: server-rendered pages
// that work without JavaScript and a JSON API under api/v1/.
//
// [New] returns one [http.Handler] for everything below the prefix
// (/ucmuser/ by default), so a vendor mounts it in their own server:
//
//	h, err := web.New(svc, web.Config{Secure: true})
//	...
//	mux.Handle("/ucmuser/", h)
//
// Every handler parses the request, calls one [selfcare.Service] method and
// renders the result; errors go through one adapter with one error-to-status
// table. State-changing requests are refused when they come from another
// origin ([http.CrossOriginProtection]); every response carries security
// headers; request bodies are limited.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ucselfcare/portal/selfcare"
)

// Defaults for the zero fields of [Config].
const (
	DefaultPrefix       = "/ucmuser/"
	DefaultMaxBodyBytes = 64 << 10
	DefaultCookieName   = "selfcare_session"
)

// Config adjusts a [Handler]. The zero value serves plain-HTTP development
// setups; production behind TLS sets Secure.
type Config struct {
	// Logger receives request errors that nobody above will handle.
	// Nil discards.
	Logger *slog.Logger
	// Prefix is the path the handler is mounted at, with both slashes.
	Prefix string
	// Secure marks the session cookie Secure, gives it the __Host- prefix
	// and sends Strict-Transport-Security. Set it when serving over TLS.
	Secure bool
	// MaxBodyBytes bounds every request body.
	MaxBodyBytes int64
	// TrustedOrigins are extra origins (scheme://host[:port]) allowed to
	// send state-changing requests, for a reverse proxy that rewrites Host.
	TrustedOrigins []string
}

// Handler is the portal's HTTP handler. Create it with [New].
type Handler struct {
	svc    *selfcare.Service
	log    *slog.Logger
	cfg    Config
	cookie string
	pages  *template.Template
	mux    *http.ServeMux
	root   http.Handler
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns the portal handler for svc. It fails only when a trusted
// origin in cfg is malformed.
func New(svc *selfcare.Service, cfg Config) (*Handler, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(cfg.Prefix, "/") || !strings.HasSuffix(cfg.Prefix, "/") {
		return nil, errorf("web: prefix %q must start and end with a slash", cfg.Prefix)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, log: log, cfg: cfg, cookie: DefaultCookieName}
	if cfg.Secure {
		// The __Host- prefix makes browsers refuse the cookie unless it is
		// Secure, host-only and for Path=/.
		h.cookie = "__Host-" + DefaultCookieName
	}

	pages, err := template.New("").Funcs(template.FuncMap{
		"path": func(p string) string { return cfg.Prefix + p },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, errorf("web: templates: %w", err)
	}
	h.pages = pages

	cop := http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, errorf("web: trusted origin: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(h.denyCrossOrigin))

	h.mux = http.NewServeMux()
	h.routes()
	h.root = h.secureHeaders(h.plainOrigin(cop.Handler(h.limitBody(h.mux))))
	return h, nil
}

// ServeHTTP serves one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.root.ServeHTTP(w, r)
}

func (h *Handler) routes() {
	p := h.cfg.Prefix
	static, _ := fs.Sub(staticFS, "static")

	h.mux.Handle("GET "+p+"static/", http.StripPrefix(p+"static/",
		noListing(http.FileServerFS(static))))
	h.mux.Handle("GET "+p+"{$}", h.page(h.home))
	h.mux.Handle("GET "+p+"login", h.page(h.loginPage))
	h.mux.Handle("POST "+p+"login", h.page(h.loginSubmit))
	h.mux.Handle("POST "+p+"logout", h.page(h.logoutSubmit))
	h.mux.Handle("GET "+p+"phones", h.page(h.authed(h.phonesPage)))
	h.mux.Handle("GET "+p+"password", h.page(h.authed(h.passwordPage)))
	h.mux.Handle("POST "+p+"password", h.page(h.authed(h.passwordSubmit)))
	h.mux.Handle("GET "+p+"pin", h.page(h.authed(h.pinPage)))
	h.mux.Handle("POST "+p+"pin", h.page(h.authed(h.pinSubmit)))

	api := p + "api/v1/"
	h.mux.Handle("POST "+api+"session", h.api(h.apiLogin))
	h.mux.Handle("DELETE "+api+"session", h.api(h.apiLogout))
	h.mux.Handle("GET "+api+"me", h.api(h.apiAuthed(h.apiMe)))
	h.mux.Handle("GET "+api+"phones", h.api(h.apiAuthed(h.apiPhones)))
	h.mux.Handle("PUT "+api+"password", h.api(h.apiAuthed(h.apiPassword)))
	h.mux.Handle("PUT "+api+"pin", h.api(h.apiAuthed(h.apiPIN)))
	h.mux.Handle(api, h.api(h.apiNoRoute))
	h.routesHostAlive()
	h.routesOnboarding()
	h.routesParams()
	h.routesForwarding()
	h.routesSpeedDials()
	h.routesDND()
	h.routesConferencing()
	h.routesDestPolicy()
	h.routesPhoneServices()
	h.routesRemoteDestinations()
	h.routesOpenAPI()
	h.routesLineSettings()
	h.routesPhoneSettings()
	h.routesContacts()
}

// noListing serves files but not the listing of a folder.
func noListing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// secureHeaders sets the headers every response carries.
func (h *Handler) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; "+
			"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		if h.cfg.Secure {
			hd.Set("Strict-Transport-Security", "max-age=63072000")
		}
		if !strings.HasPrefix(r.URL.Path, h.cfg.Prefix+"static/") {
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// plainOrigin refuses, on a TLS portal, state changes whose Origin is a
// plain-HTTP page: CrossOriginProtection compares hosts only, and a page
// served over HTTP on the same host could be anyone's on the path between.
func (h *Handler) plainOrigin(next http.Handler) http.Handler {
	if !h.cfg.Secure {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if strings.HasPrefix(strings.ToLower(r.Header.Get("Origin")), "http://") {
				h.denyCrossOrigin(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body, so a huge upload fails early with
// 413 instead of filling memory.
func (h *Handler) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > h.cfg.MaxBodyBytes {
			h.writeError(w, r, errTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// apiNoRoute answers the API paths that no route takes, in JSON like the
// rest of the API: 405 with Allow when other methods serve the path, else 404.
func (h *Handler) apiNoRoute(w http.ResponseWriter, r *http.Request) error {
	catchAll := h.cfg.Prefix + "api/v1/"
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "" && pattern != catchAll {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return errNoRoute
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return errMethod
}

func (h *Handler) denyCrossOrigin(w http.ResponseWriter, r *http.Request) {
	h.log.Info("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
	h.writeError(w, r, errCrossOrigin)
}

// Package web is a handler that registers its routes in every way that
// TestRouteReaderFollowsEveryWayOfRegistering expects the route reader to
// follow or to refuse. It is read, never built.
package web

import "net/http"

const apiPath = "api/v1/"

// Handler is the handler.
type Handler struct {
	mux *http.ServeMux
	cfg struct{ Prefix string }
}

func (h *Handler) routes() {
	api := h.cfg.Prefix + apiPath
	h.mux.Handle("GET "+api+"plain", nil)
	h.mux.HandleFunc("GET "+api+"handle-func", nil)
	h.mux.Handle("GET "+h.cfg.Prefix+apiPath+"const", nil)
	var declared = api + "declared"
	h.mux.Handle("GET "+declared, nil)
	mux := h.mux
	mux.Handle("GET "+api+"alias", nil)
	handle := h.mux.Handle
	handle("PUT "+api+"method-value", nil)
	h.handleAPI("GET", "helper/a")
	h.handleAPI("POST", "helper/b")
	h.deleteAPI("helper-of-helper")
}

func (s *Handler) moreRoutes() {
	s.mux.Handle("GET "+s.cfg.Prefix+apiPath+"receiver", nil)
}

// deleteAPI calls a helper with its own parameter.
func (h *Handler) deleteAPI(path string) { h.handleAPI("DELETE", path) }

// handleAPI is declared after its callers.
func (h *Handler) handleAPI(method, path string) {
	h.mux.Handle(method+" "+h.cfg.Prefix+apiPath+path, nil)
}

func (h *Handler) unreadable(name string) {
	h.mux.Handle(http.MethodGet+" "+name, nil)
}

func (h *Handler) subMux() {
	sub := http.NewServeMux()
	sub.Handle("GET /hidden", nil)
	h.mux.Handle(h.cfg.Prefix+"api/v1/sub/", sub)
}

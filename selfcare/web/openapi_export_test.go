package web

import (
	"io/fs"
	"net/http"
)

// OpenAPIFragments is the embedded tree of OpenAPI fragments.
var OpenAPIFragments fs.FS = openAPIFS

// MergeOpenAPI merges the fragments of fsys as the handler does for a
// portal mounted at prefix.
func MergeOpenAPI(fsys fs.FS, prefix string) ([]byte, error) {
	return mergeOpenAPI(fsys, openAPISite{Prefix: prefix, Cookie: DefaultCookieName,
		AdminCookie: AdminCookieName})
}

// RoutePattern returns the pattern of the handler's mux that serves r, or
// "" when none does.
func (h *Handler) RoutePattern(r *http.Request) string {
	_, pattern := h.mux.Handler(r)
	return pattern
}

package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
)

// The OpenAPI document of the JSON API is kept as JSON fragments: base.json
// holds the frame and the shared components, and every feature adds one
// file with its own paths and components. Keeping each feature's part next
// to the others, not in one long file, lets features be documented in
// parallel without editing each other's lines.
//
//go:embed openapi
var openAPIFS embed.FS

// openAPIBase is the fragment that frames the document; every other
// fragment may hold only paths and components.
const openAPIBase = "openapi/base.json"

// openAPISite is what the served document depends on in the handler's
// configuration.
type openAPISite struct {
	// Prefix is the handler's prefix, with both slashes.
	Prefix string
	// Cookie and AdminCookie name the session cookies, which change with
	// Config.Secure.
	Cookie, AdminCookie string
}

// routesOpenAPI adds GET {prefix}api/v1/openapi.json. The document is
// merged once, on the first request, and needs no session: it describes
// the API, it holds no data.
func (h *Handler) routesOpenAPI() {
	site := openAPISite{Prefix: h.cfg.Prefix, Cookie: h.cookie,
		AdminCookie: h.adminCookie()}
	doc := sync.OnceValues(func() ([]byte, error) {
		return mergeOpenAPI(openAPIFS, site)
	})
	h.mux.Handle("GET "+h.cfg.Prefix+"api/v1/openapi.json", h.api(
		func(w http.ResponseWriter, r *http.Request) error {
			data, err := doc()
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(data)
			return nil
		}))
}

// mergeOpenAPI builds the document from base.json and every other
// fragment below openapi/ in fsys, in name order, for the given site. A
// path, an operation's path or a component defined by two fragments is
// an error naming both, so a feature cannot silently replace another's.
func mergeOpenAPI(fsys fs.FS, site openAPISite) ([]byte, error) {
	var base map[string]any
	if err := readFragment(fsys, openAPIBase, &base); err != nil {
		return nil, err
	}
	m := openAPIMerge{doc: base, owner: map[string]string{}}
	if err := m.claimAll(openAPIBase, base); err != nil {
		return nil, err
	}

	var names []string
	err := fs.WalkDir(fsys, "openapi", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && path.Ext(name) == ".json" && name != openAPIBase {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: openapi: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		var frag map[string]any
		if err := readFragment(fsys, name, &frag); err != nil {
			return nil, err
		}
		for k := range frag {
			if k != "paths" && k != "components" {
				return nil, fmt.Errorf("web: openapi: %s: member %q belongs in %s; "+
					"a fragment holds only paths and components", name, k, openAPIBase)
			}
		}
		if err := m.claimAll(name, frag); err != nil {
			return nil, err
		}
	}

	if err := m.localise(site); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m.doc); err != nil {
		return nil, fmt.Errorf("web: openapi: %w", err)
	}
	return buf.Bytes(), nil
}

func readFragment(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("web: openapi: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("web: openapi: %s: %w", name, err)
	}
	if dec.More() {
		return fmt.Errorf("web: openapi: %s: trailing data", name)
	}
	return nil
}

// openAPIMerge is a document being merged, with the fragment that defined
// each path and component, for the message when two define one.
type openAPIMerge struct {
	doc   map[string]any
	owner map[string]string
}

// claimAll adds a fragment's paths and components to the document. The
// base fragment claims what it holds itself.
func (m *openAPIMerge) claimAll(name string, frag map[string]any) error {
	paths, err := object(name, frag, "paths")
	if err != nil {
		return err
	}
	if err := m.claim(name, []string{"paths"}, paths); err != nil {
		return err
	}
	comps, err := object(name, frag, "components")
	if err != nil {
		return err
	}
	for _, kind := range sortedKeys(comps) {
		items, err := object(name, comps, kind)
		if err != nil {
			return err
		}
		if err := m.claim(name, []string{"components", kind}, items); err != nil {
			return err
		}
	}
	return nil
}

// claim puts every member of items under the document's object at where.
func (m *openAPIMerge) claim(name string, where []string, items map[string]any) error {
	dst := m.doc
	for _, k := range where {
		next, ok := dst[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			dst[k] = next
		}
		dst = next
	}
	for _, k := range sortedKeys(items) {
		key := strings.Join(append(slices.Clone(where), k), " ")
		if prev, ok := m.owner[key]; ok && prev != name {
			return fmt.Errorf("web: openapi: %s %q is defined in both %s and %s",
				strings.Join(where, " "), k, prev, name)
		}
		m.owner[key] = name
		dst[k] = items[k]
	}
	return nil
}

// localise points the document at the handler's prefix and cookie names.
func (m *openAPIMerge) localise(site openAPISite) error {
	m.doc["servers"] = []any{map[string]any{"url": site.Prefix + "api/v1",
		"description": "this portal"}}
	schemes, _ := m.doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	for id, cookie := range map[string]string{"session": site.Cookie,
		"adminSession": site.AdminCookie} {
		s, ok := schemes[id].(map[string]any)
		if !ok {
			return fmt.Errorf("web: openapi: %s lacks security scheme %q", openAPIBase, id)
		}
		s["name"] = cookie
	}
	return nil
}

// object returns the member k of v, which must be an object if present.
func object(name string, v map[string]any, k string) (map[string]any, error) {
	raw, ok := v[k]
	if !ok {
		return map[string]any{}, nil
	}
	o, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("web: openapi: %s: %q must be an object", name, k)
	}
	return o, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package web

import (
	"net/http"

	"github.com/ucselfcare/portal/selfcare"
)

// The administrator's destination policy in the administration API: one
// resource with its version in the ETag, replaced whole by PUT and reset
// to the built-in default by DELETE, both under If-Match, so that two
// administrators cannot overwrite each other's change unseen.

func (h *Handler) routesDestPolicy() {
	path := h.cfg.Prefix + "api/v1/admin/destination-policy"
	h.mux.Handle("GET "+path, h.api(h.admin(h.apiDestPolicy)))
	h.mux.Handle("PUT "+path, h.api(h.admin(h.apiPutDestPolicy)))
	h.mux.Handle("DELETE "+path, h.api(h.admin(h.apiResetDestPolicy)))
}

// destPolicyView is the policy in the API; custom is false while the
// built-in default applies.
type destPolicyView struct {
	Version int64                      `json:"version"`
	Custom  bool                       `json:"custom"`
	Policy  selfcare.DestinationPolicy `json:"policy"`
}

func writeDestPolicy(w http.ResponseWriter, p selfcare.ConfiguredDestinationPolicy) {
	w.Header().Set("ETag", etag(p.Version))
	writeJSON(w, http.StatusOK, destPolicyView{Version: p.Version, Custom: p.Custom,
		Policy: p.Policy})
}

func (h *Handler) apiDestPolicy(w http.ResponseWriter, r *http.Request,
	c selfcare.Caller) error {
	p, err := h.svc.DestinationPolicy(r.Context(), c)
	if err != nil {
		return err
	}
	writeDestPolicy(w, p)
	return nil
}

// apiPutDestPolicy takes the policy itself as the body, as GET shows it
// under "policy". Unknown, repeated and case-variant members are refused
// at every depth, so that neither a misspelt "alowed" nor a second
// "Allowed" can quietly change what a class allows.
func (h *Handler) apiPutDestPolicy(w http.ResponseWriter, r *http.Request,
	c selfcare.Caller) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	var in selfcare.DestinationPolicy
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := h.svc.SetDestinationPolicy(r.Context(), c, in, version)
	if err != nil {
		return err
	}
	writeDestPolicy(w, p)
	return nil
}

func (h *Handler) apiResetDestPolicy(w http.ResponseWriter, r *http.Request,
	c selfcare.Caller) error {
	version, err := ifMatchVersion(r)
	if err != nil {
		return err
	}
	p, err := h.svc.ResetDestinationPolicy(r.Context(), c, version)
	if err != nil {
		return err
	}
	writeDestPolicy(w, p)
	return nil
}

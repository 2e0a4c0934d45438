package web

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	go_qr "github.com/piglig/go-qr"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

// Device activation over HTTP: the user's phones ready to activate, on My
// Phones and in the API, with a QR image of each code; the endpoint that
// phones redeem codes at; and the administration of devices and codes.
//
// The redemption endpoint takes no session: a phone has none. It answers
// every failure alike, whatever went wrong, and the limits on guessing are
// the registry's. Cross-origin protection lets it through, because a phone
// sends no Origin or Sec-Fetch-Site header; a browser on another site
// still cannot post to it.

// routesOnboarding adds the routes of device activation.
func (h *Handler) routesOnboarding() {
	p := h.cfg.Prefix
	api := p + "api/v1/"
	h.mux.Handle("GET "+p+"phones/{device}/activation.png", h.page(h.authed(h.activationQR)))
	h.mux.Handle("GET "+api+"phones/ready-to-activate",
		h.api(h.apiAuthed(h.apiReadyToActivate)))
	h.mux.Handle("POST "+api+"activation", h.api(h.apiActivate))

	admin := api + "admin/"
	h.mux.Handle("GET "+admin+"devices", h.deviceAdmin(h.apiAdminDevices))
	h.mux.Handle("POST "+admin+"devices", h.deviceAdmin(h.apiAdminProvision))
	h.mux.Handle("POST "+admin+"devices/import", h.deviceAdmin(h.apiAdminImport))
	h.mux.Handle("POST "+admin+"devices/{device}/require-activation",
		h.deviceAdmin(h.apiAdminRequire))
	h.mux.Handle("POST "+admin+"devices/{device}/activation-code",
		h.deviceAdmin(h.apiAdminIssue))
	h.mux.Handle("PUT "+admin+"devices/{device}/activation-code",
		h.deviceAdmin(h.apiAdminReplace))
	h.mux.Handle("DELETE "+admin+"devices/{device}/activation-code",
		h.deviceAdmin(h.apiAdminRelease))
	h.mux.Handle("GET "+admin+"activation-codes", h.deviceAdmin(h.apiAdminExport))
	h.mux.Handle("GET "+admin+"activation-stats", h.deviceAdmin(h.apiAdminStats))
}

// readyView is a phone ready to activate as the page and the API show it.
// Code is the code in groups of four: the one place it leaves the server
// in the clear, besides the QR image. An expired code is shown as such,
// without code or image, so that the user knows to ask for a new one.
type readyView struct {
	Device string `json:"device"`
	Model  string `json:"model"`
	// State is "outstanding", with Code and QR, or "expired".
	State     onboarding.State `json:"state"`
	Code      string           `json:"code,omitempty"`
	IssuedAt  time.Time        `json:"issuedAt"`
	ExpiresAt time.Time        `json:"expiresAt"`
	// QR is the path of the code's QR image.
	QR string `json:"qr,omitempty"`
	// Groups, Expires and Expired are for the page.
	Groups  []string `json:"-"`
	Expires string   `json:"-"`
	Expired bool     `json:"-"`
}

// readyList is one view of the phones ready to activate: at most the
// registry's bound, and a count of those left out, whom the user asks an
// administrator about.
type readyList struct {
	Phones []readyView `json:"phones"`
	More   int         `json:"more"`
}

func (h *Handler) viewReady(list onboarding.ReadyList) readyList {
	out := readyList{Phones: make([]readyView, 0, len(list.Phones)), More: list.More}
	for _, rc := range list.Phones {
		v := readyView{Device: rc.Device, Model: rc.Model, State: rc.State,
			IssuedAt: rc.IssuedAt.UTC(), ExpiresAt: rc.ExpiresAt.UTC(),
			Expires: rc.ExpiresAt.UTC().Format("Monday 2 January 2006, 15:04 MST")}
		if rc.State != onboarding.StateOutstanding {
			v.Expired = true
			out.Phones = append(out.Phones, v)
			continue
		}
		g := rc.Code.Grouped()
		v.Code, v.Groups = g, []string{g[0:4], g[5:9], g[10:14], g[15:19]}
		v.QR = h.cfg.Prefix + "phones/" + rc.Device + "/activation.png"
		out.Phones = append(out.Phones, v)
	}
	return out
}

// readyForPage returns the phones ready to activate for My Phones, or a
// note to show instead when they cannot be shown. While the parameter
// hides them the section is simply absent: the page does not ask for
// them, so nothing is refused or audited.
func (h *Handler) readyForPage(r *http.Request) (readyList, string) {
	ctx, p := r.Context(), principalFrom(r.Context())
	if !h.svc.ActivationEnabled() ||
		h.svc.CheckFeature(ctx, p, params.FeaturePhonesReadyToActivate) != nil {
		return readyList{}, ""
	}
	list, err := h.svc.ReadyToActivate(ctx, p, remoteAddr(r))
	if err != nil {
		// The rest of the page is still worth showing.
		h.log.Error("phones ready to activate", "err", err)
		return readyList{}, "Activation codes cannot be shown right now. " +
			"Please try again later."
	}
	return h.viewReady(list), ""
}

// apiReadyToActivate answers {"phones": [...], "more": N}: at most the
// registry's bound of phones, and how many more await activation.
func (h *Handler) apiReadyToActivate(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.ReadyToActivate(r.Context(), principalFrom(r.Context()),
		remoteAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.viewReady(list))
	return nil
}

// QR image geometry: 8 pixels a module and the standard quiet zone of 4
// modules give a code of 16 digits (version 1, 21 modules) 232 pixels.
const (
	qrScale  = 8
	qrBorder = 4
)

// activationQR serves the QR image of one of the user's codes. Another
// user's phone is a 404, like one that does not exist. The image is as
// secret as the code, so it is never cached.
func (h *Handler) activationQR(w http.ResponseWriter, r *http.Request) error {
	rc, err := h.svc.ActivationCode(r.Context(), principalFrom(r.Context()),
		r.PathValue("device"), remoteAddr(r))
	if err != nil {
		return err
	}
	// The digits alone, without dashes: numeric mode keeps the symbol
	// small, and every form the phone may get back is accepted.
	qr, err := go_qr.EncodeText(rc.Code.Reveal(), go_qr.Medium)
	if err != nil {
		return errorf("web: QR code: %w", err)
	}
	png, err := qr.ToPNGBytes(go_qr.NewQrCodeImgConfig(qrScale, qrBorder))
	if err != nil {
		return errorf("web: QR image: %w", err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/png")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = bytes.NewReader(png).WriteTo(w)
	return nil
}

// activationView is what a phone gets back when it activated.
type activationView struct {
	Device string `json:"device"`
	Model  string `json:"model"`
}

// apiActivate redeems a code for a phone. Every failure, a malformed
// request included, is the same error, so that the answer never says
// which part was wrong.
func (h *Handler) apiActivate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		MAC   string `json:"mac"`
		Model string `json:"model"`
		Code  string `json:"code"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return onboarding.ErrRedeemFailed
	}
	d, err := h.svc.RedeemActivationCode(r.Context(), onboarding.Attempt{MAC: in.MAC,
		Model: in.Model, Code: onboarding.Plaintext(in.Code), Source: remoteAddr(r)})
	if err != nil {
		return onboarding.ErrRedeemFailed
	}
	writeJSON(w, http.StatusOK, activationView{Device: d.Name, Model: d.Model})
	return nil
}

// deviceAdmin wraps an administration handler: the caller is the one of
// the administration API (an administration or a Self Care session, see
// params.go), and the service checks their privileges in each operation.
func (h *Handler) deviceAdmin(fn func(http.ResponseWriter, *http.Request,
	*selfcare.DeviceAdmin) error) http.Handler {
	return h.api(h.admin(func(w http.ResponseWriter, r *http.Request,
		c selfcare.Caller) error {
		da, err := h.svc.DeviceAdmin(c)
		if err != nil {
			return err
		}
		return fn(w, r, da)
	}))
}

// deviceView is a device as administrators see it; never a code.
type deviceView struct {
	Name               string    `json:"name"`
	Model              string    `json:"model"`
	Owner              string    `json:"owner"`
	MAC                string    `json:"mac,omitempty"`
	Dummy              bool      `json:"dummy"`
	RequiresActivation bool      `json:"requiresActivation"`
	Activated          bool      `json:"activated"`
	ActivatedAt        time.Time `json:"activatedAt,omitzero"`
	ProvisionedAt      time.Time `json:"provisionedAt,omitzero"`
	Code               *codeView `json:"activationCode,omitempty"`
}

// codeView is the state of a device's code.
type codeView struct {
	State     onboarding.State `json:"state"`
	IssuedAt  time.Time        `json:"issuedAt"`
	ExpiresAt time.Time        `json:"expiresAt"`
	Attempts  int              `json:"attempts"`
}

func viewDevice(d onboarding.Device) deviceView {
	return deviceView{Name: d.Name, Model: d.Model, Owner: d.Owner, MAC: d.MAC,
		Dummy: d.Dummy, RequiresActivation: d.RequiresActivation, Activated: d.Activated,
		ActivatedAt: d.ActivatedAt.UTC(), ProvisionedAt: d.ProvisionedAt.UTC()}
}

func (h *Handler) apiAdminDevices(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	sts, err := da.Devices(r.Context())
	if err != nil {
		return err
	}
	out := make([]deviceView, 0, len(sts))
	for _, st := range sts {
		v := viewDevice(st.Device)
		if st.CodeState != "" {
			v.Code = &codeView{State: st.CodeState, IssuedAt: st.CodeIssuedAt.UTC(),
				ExpiresAt: st.CodeExpiresAt.UTC(), Attempts: st.Attempts}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, struct {
		Devices []deviceView `json:"devices"`
	}{out})
	return nil
}

func (h *Handler) apiAdminProvision(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	var in struct {
		Name              string `json:"name"`
		Model             string `json:"model"`
		Owner             string `json:"owner"`
		MAC               string `json:"mac"`
		RequireActivation bool   `json:"requireActivation"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := da.Provision(r.Context(), onboarding.Provision{Name: in.Name, Model: in.Model,
		Owner: in.Owner, MAC: in.MAC}, in.RequireActivation)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewDevice(d))
	return nil
}

// apiAdminImport provisions the devices of a CSV body (text/csv), all or
// none; a refusal names every bad line.
func (h *Handler) apiAdminImport(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil ||
		mt != "text/csv" {
		return badRequest("Content-Type must be text/csv")
	}
	ds, err := da.Import(r.Context(), r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	if err != nil {
		return err
	}
	out := make([]deviceView, 0, len(ds))
	for _, d := range ds {
		out = append(out, viewDevice(d))
	}
	writeJSON(w, http.StatusCreated, struct {
		Devices []deviceView `json:"devices"`
	}{out})
	return nil
}

func (h *Handler) apiAdminRequire(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	if err := da.RequireActivation(r.Context(), r.PathValue("device")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// issuedView is a code handed to an administrator.
type issuedView struct {
	Device    string    `json:"device"`
	Model     string    `json:"model"`
	Owner     string    `json:"owner"`
	Code      string    `json:"code"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func viewIssued(rc onboarding.ReadyCode) issuedView {
	return issuedView{Device: rc.Device, Model: rc.Model, Owner: rc.Owner,
		Code: rc.Code.Grouped(), IssuedAt: rc.IssuedAt.UTC(), ExpiresAt: rc.ExpiresAt.UTC()}
}

func (h *Handler) apiAdminIssue(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	rc, err := da.IssueCode(r.Context(), r.PathValue("device"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewIssued(rc))
	return nil
}

func (h *Handler) apiAdminReplace(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	rc, err := da.ReplaceCode(r.Context(), r.PathValue("device"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewIssued(rc))
	return nil
}

func (h *Handler) apiAdminRelease(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	if err := da.ReleaseCode(r.Context(), r.PathValue("device")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiAdminExport answers the outstanding codes in JSON, or as the CSV file
// of onboarding.WriteCSV when the client accepts text/csv.
func (h *Handler) apiAdminExport(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	rcs, err := da.ExportCodes(r.Context())
	if err != nil {
		return err
	}
	if acceptsCSV(r) {
		var buf bytes.Buffer
		if err := onboarding.WriteCSV(&buf, rcs); err != nil {
			return err
		}
		hd := w.Header()
		hd.Set("Content-Type", "text/csv; charset=utf-8")
		hd.Set("Content-Disposition", `attachment; filename="activation-codes.csv"`)
		w.WriteHeader(http.StatusOK)
		_, _ = buf.WriteTo(w)
		return nil
	}
	out := make([]issuedView, 0, len(rcs))
	for _, rc := range rcs {
		out = append(out, viewIssued(rc))
	}
	writeJSON(w, http.StatusOK, struct {
		Codes []issuedView `json:"codes"`
	}{out})
	return nil
}

// apiAdminStats answers this process's redemption counters.
func (h *Handler) apiAdminStats(w http.ResponseWriter, r *http.Request,
	da *selfcare.DeviceAdmin) error {
	st, err := da.Stats(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Attempts    uint64 `json:"attempts"`
		Failures    uint64 `json:"failures"`
		Throttled   uint64 `json:"throttled"`
		Activations uint64 `json:"activations"`
		Issued      uint64 `json:"issued"`
		Released    uint64 `json:"released"`
	}{st.Attempts, st.Failures, st.Throttled, st.Activations, st.Issued, st.Released})
	return nil
}

// acceptsCSV reports whether the Accept header asks for text/csv.
func acceptsCSV(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil &&
			mt == "text/csv" {
			return true
		}
	}
	return false
}

package selfcare

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/params"
)

// ActionDeviceImport is the audit action of one bulk provisioning from a
// CSV file; the registry's own actions are onboarding.Action*.
const ActionDeviceImport = "device.import"

// DeviceAdmin provisions devices and administers their activation codes on
// behalf of one [Caller]: an administrator, whose grant each method checks
// (a refusal is ErrForbidden, and audited), or the command line, which may
// do everything. Every change and every code shown is audited.
type DeviceAdmin struct {
	s *Service
	a *activation
	c Caller
}

// DeviceAdmin returns the device administration of c. It returns
// [ErrActivationOff] for a service without device activation.
func (s *Service) DeviceAdmin(c Caller) (*DeviceAdmin, error) {
	if s.activation == nil {
		return nil, ErrActivationOff
	}
	return &DeviceAdmin{s: s, a: s.activation, c: c}, nil
}

// need is one privilege an operation requires.
type need struct {
	res    acl.Resource
	access acl.Access
}

var (
	readDevices  = need{acl.ResourceDevices, acl.Read}
	writeDevices = need{acl.ResourceDevices, acl.Update}
	readCodes    = need{acl.ResourceActivationCodes, acl.Read}
	writeCodes   = need{acl.ResourceActivationCodes, acl.Update}
)

// allow checks the caller's grant for an operation, audited as action on
// target when refused.
func (d *DeviceAdmin) allow(ctx context.Context, action, target string,
	needs ...need) error {
	for _, n := range needs {
		if err := d.s.authorize(ctx, d.c, n.res, n.access, action, target); err != nil {
			return err
		}
	}
	return nil
}

// actor names the caller in the registry's events.
func (d *DeviceAdmin) actor() string { return actorOrCLI(d.c.actor) }

// sourceKey carries the caller's address to the audit adapter, for the
// registry's administrative events, which have no source of their own.
type sourceKey struct{}

// sourced marks ctx with where the administrator's request came from.
func (d *DeviceAdmin) sourced(ctx context.Context) context.Context {
	if d.c.addr == "" {
		return ctx
	}
	return context.WithValue(ctx, sourceKey{}, d.c.addr)
}

// syncTTL loads the parameters, so that a code issued now gets the
// Activation Time to Live in force, also on the command line, which
// authenticates nobody.
func (d *DeviceAdmin) syncTTL(ctx context.Context) error {
	if err := d.s.syncParams(ctx); err != nil {
		return fmt.Errorf("selfcare: parameters: %w", err)
	}
	return nil
}

// ActivationStatus is a device as administrators see it: the device and
// the state of its code, never the code.
type ActivationStatus struct {
	onboarding.Device
	// CodeState is the state of the device's code now, or "" when it has
	// never had one.
	CodeState     onboarding.State
	CodeIssuedAt  time.Time
	CodeExpiresAt time.Time
	// Attempts counts the redemptions checked against the code.
	Attempts int
}

// Devices returns the devices known to device activation, every owner's,
// ordered by name. It needs read access to devices and activation codes.
func (d *DeviceAdmin) Devices(ctx context.Context) ([]ActivationStatus, error) {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, "device.list", "", readDevices, readCodes); err != nil {
		return nil, err
	}
	ds, err := d.a.reg.Devices(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("selfcare: list devices: %w", err)
	}
	out := make([]ActivationStatus, 0, len(ds))
	for _, dev := range ds {
		st, err := d.status(ctx, dev)
		if err != nil {
			return nil, fmt.Errorf("selfcare: list devices: %w", err)
		}
		out = append(out, st)
	}
	return out, nil
}

// status returns dev with the state of its code.
func (d *DeviceAdmin) status(ctx context.Context, dev onboarding.Device) (
	ActivationStatus, error) {
	st := ActivationStatus{Device: dev}
	c, err := d.a.reg.Code(ctx, dev.Name)
	switch {
	case err == nil:
		st.CodeState, st.CodeIssuedAt, st.CodeExpiresAt = c.StateAt(d.s.now()), c.IssuedAt,
			c.ExpiresAt
		st.Attempts = c.Attempts
	case !errors.Is(err, onboarding.ErrNotFound):
		return ActivationStatus{}, err
	}
	return st, nil
}

// Device returns one device known to device activation, with the state of
// its code, or an error matching [onboarding.ErrNotFound]. It needs read
// access to devices and activation codes.
func (d *DeviceAdmin) Device(ctx context.Context, name string) (ActivationStatus, error) {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, "device.show", name, readDevices, readCodes); err != nil {
		return ActivationStatus{}, err
	}
	dev, err := d.a.reg.Device(ctx, name)
	if err == nil {
		var st ActivationStatus
		if st, err = d.status(ctx, dev); err == nil {
			return st, nil
		}
	}
	return ActivationStatus{}, fmt.Errorf("selfcare: device: %w", err)
}

// TODO(onboarding): PutDevice can give the portal's record of a device
// another owner while device activation keeps the first one, who then
// still sees its code; an owner change should go through both.

// Provision adds a device for an existing user: with its MAC, or without
// one, when it gets a dummy name and its codes are bound to its model (see
// [onboarding.Registry.ProvisionDevice]). The portal's own device record
// is created with it, without lines; one that exists already must have the
// same owner and model (but for case). With requireActivation a code is
// issued at once; its owner sees it in the portal if they may (see
// [DeviceAdmin.OwnerSeesCodes]). It needs update access to devices, and to
// activation codes for requireActivation. It returns a [*ValidationError]
// for bad input, an unknown owner or a model other than the portal's
// record has, and an error matching [onboarding.ErrExists] when the name
// is taken.
func (d *DeviceAdmin) Provision(ctx context.Context, p onboarding.Provision,
	requireActivation bool) (onboarding.Device, error) {
	ctx = d.sourced(ctx)
	needs := []need{writeDevices}
	if requireActivation {
		needs = append(needs, writeCodes)
	}
	if err := d.allow(ctx, onboarding.ActionProvision, p.Name, needs...); err != nil {
		return onboarding.Device{}, err
	}
	if err := d.syncTTL(ctx); err != nil {
		return onboarding.Device{}, err
	}
	if err := d.s.checkOwner(ctx, p.Owner); err != nil {
		return onboarding.Device{}, err
	}
	if err := d.s.modelConflict(ctx, p); err != nil {
		return onboarding.Device{}, err
	}
	var (
		dev  onboarding.Device
		held heldEvents
	)
	err := d.a.store.Batch(ctx, func(st onboarding.Store) error {
		var err error
		dev, err = provisionRow(ctx, d.batchRegistry(st, &held), d.actor(), p,
			requireActivation)
		return err
	})
	if errors.Is(err, ErrModelConflict) {
		// The portal's record changed since modelConflict looked.
		err = invalidField("model", "The portal has this phone as another model; "+
			"give the model it has there.")
	}
	if err != nil {
		return onboarding.Device{}, fmt.Errorf("selfcare: provision device: %w",
			fieldError(FieldDevice, err))
	}
	held.flush(ctx, d.s)
	return dev, nil
}

// modelConflict returns a *ValidationError when the portal already has
// the phone that p names recorded as another model: device activation
// would bind its code to a model the phone does not report. A phone still
// without a name (a dummy one is drawn later) or with a malformed MAC,
// which the registry refuses, has no conflict.
func (s *Service) modelConflict(ctx context.Context, p onboarding.Provision) error {
	name := p.Name
	if p.MAC != "" {
		mac, err := onboarding.ParseMAC(p.MAC)
		if err != nil {
			return nil
		}
		name = onboarding.PrefixMAC + mac
	}
	model := strings.TrimSpace(p.Model)
	if name == "" || model == "" {
		return nil
	}
	pd, err := s.store.Device(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if strings.EqualFold(pd.Model, model) {
		return nil
	}
	return invalidField("model", fmt.Sprintf("The portal has %s as a %s, not a %s; give "+
		"the model it has there, or correct the portal's record of the phone first.",
		clean(name), clean(pd.Model), clean(model)))
}

// OwnerSeesCodes reports whether owner sees the activation codes of their
// phones on My Phones now: the user exists, is enabled, holds the Self
// Care role (Standard CCM End Users), and Show Phones Ready to Activate is
// True. When not, why says what stands in the way, for the administrator,
// who then hands the code over another way ([DeviceAdmin.ExportCodes]).
// It needs read access to devices.
func (d *DeviceAdmin) OwnerSeesCodes(ctx context.Context, owner string) (sees bool,
	why string, err error) {
	if err := d.allow(ctx, "device.owner", owner, readDevices); err != nil {
		return false, "", err
	}
	u, err := d.s.store.User(ctx, owner)
	if errors.Is(err, ErrNotFound) {
		return false, fmt.Sprintf("no user has the ID %q", clean(owner)), nil
	}
	if err != nil {
		return false, "", fmt.Errorf("selfcare: owner: %w", err)
	}
	if u.Disabled {
		return false, fmt.Sprintf("%s is disabled", clean(owner)), nil
	}
	g, err := d.s.grant(ctx, owner)
	if err != nil {
		return false, "", fmt.Errorf("selfcare: owner: %w", err)
	}
	if !g.SelfCare() {
		return false, fmt.Sprintf("%s may not sign in to Self Care (no group with the "+
			"role Standard CCM End Users)", clean(owner)), nil
	}
	if err := d.s.syncParams(ctx); err != nil {
		return false, "", fmt.Errorf("selfcare: parameters: %w", err)
	}
	if err := d.s.params.cache.Features().Check(
		params.FeaturePhonesReadyToActivate); err != nil {
		return false, "Show Phones Ready to Activate is False", nil
	}
	return true, "", nil
}

// provisionRow provisions one device and, if asked, requires activation.
func provisionRow(ctx context.Context, reg *onboarding.Registry, actor string,
	p onboarding.Provision, requireActivation bool) (onboarding.Device, error) {
	dev, err := reg.ProvisionDevice(ctx, actor, p)
	if err != nil || !requireActivation {
		return dev, err
	}
	if err := reg.RequireActivation(ctx, actor, dev.Name); err != nil {
		return onboarding.Device{}, err
	}
	return reg.Device(ctx, dev.Name)
}

// RequireActivation marks a device as requiring an activation code and
// issues one unless an unexpired one is outstanding; the code is not
// returned. A phone the portal knows by a SEP name but that device
// activation does not yet know is enrolled first, with its owner and
// model, and must then onboard again. It needs update access to devices
// and activation codes, and returns an error matching
// [onboarding.ErrNotFound] for an unknown device.
func (d *DeviceAdmin) RequireActivation(ctx context.Context, device string) error {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, onboarding.ActionIssue, device, writeDevices,
		writeCodes); err != nil {
		return err
	}
	if err := d.syncTTL(ctx); err != nil {
		return err
	}
	_, err := d.a.reg.Device(ctx, device)
	if errors.Is(err, onboarding.ErrNotFound) {
		err = d.enroll(ctx, device)
	}
	if err == nil {
		err = d.a.reg.RequireActivation(ctx, d.actor(), device)
	}
	if err != nil {
		return fmt.Errorf("selfcare: require activation: %w", err)
	}
	return nil
}

// enroll makes a portal phone named SEP and its MAC known to device
// activation.
func (d *DeviceAdmin) enroll(ctx context.Context, device string) error {
	pd, err := d.s.store.Device(ctx, device)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("device %q: %w", device, onboarding.ErrNotFound)
	}
	if err != nil {
		return err
	}
	mac, ok := strings.CutPrefix(pd.Name, onboarding.PrefixMAC)
	if _, err := onboarding.ParseMAC(mac); !ok || err != nil {
		return invalidField(FieldDevice, fmt.Sprintf("The phone %q is not named SEP and "+
			"its MAC address, so it cannot be enrolled for activation.", clean(device)))
	}
	_, err = d.a.reg.ProvisionDevice(ctx, d.actor(),
		onboarding.Provision{MAC: mac, Name: pd.Name, Model: pd.Model, Owner: pd.Owner})
	return fieldError(FieldDevice, err)
}

// IssueCode issues a code for a device that has no outstanding one and
// returns it; see [onboarding.Registry.Issue]. It needs update access to
// activation codes.
func (d *DeviceAdmin) IssueCode(ctx context.Context, device string) (onboarding.ReadyCode,
	error) {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, onboarding.ActionIssue, device, writeCodes); err != nil {
		return onboarding.ReadyCode{}, err
	}
	if err := d.syncTTL(ctx); err != nil {
		return onboarding.ReadyCode{}, err
	}
	rc, err := d.a.reg.Issue(ctx, d.actor(), device)
	if err != nil {
		return onboarding.ReadyCode{}, fmt.Errorf("selfcare: issue activation code: %w", err)
	}
	return rc, nil
}

// ReplaceCode issues a new code whatever the state of the old one, which
// stops working at once, and returns it. It needs update access to
// activation codes.
func (d *DeviceAdmin) ReplaceCode(ctx context.Context, device string) (
	onboarding.ReadyCode, error) {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, onboarding.ActionReplace, device, writeCodes); err != nil {
		return onboarding.ReadyCode{}, err
	}
	if err := d.syncTTL(ctx); err != nil {
		return onboarding.ReadyCode{}, err
	}
	rc, err := d.a.reg.Replace(ctx, d.actor(), device)
	if err != nil {
		return onboarding.ReadyCode{}, fmt.Errorf("selfcare: replace activation code: %w",
			err)
	}
	return rc, nil
}

// ReleaseCode releases a device's outstanding code: it stops working, and
// a new one must be issued. It needs update access to activation codes and
// returns an error matching [onboarding.ErrNotFound] when there is no such
// code.
func (d *DeviceAdmin) ReleaseCode(ctx context.Context, device string) error {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, onboarding.ActionRelease, device, writeCodes); err != nil {
		return err
	}
	if err := d.a.reg.Release(ctx, d.actor(), device); err != nil {
		return fmt.Errorf("selfcare: release activation code: %w", err)
	}
	return nil
}

// ExportCodes returns every outstanding, unexpired code with its device
// and owner (see [onboarding.WriteCSV]). The export is audited first and
// returns nothing when that fails. It needs update access to activation
// codes, since it discloses them.
func (d *DeviceAdmin) ExportCodes(ctx context.Context) ([]onboarding.ReadyCode, error) {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, onboarding.ActionExport, "", writeCodes); err != nil {
		return nil, err
	}
	rcs, err := d.a.reg.Export(ctx, d.actor())
	if err != nil {
		return nil, fmt.Errorf("selfcare: export activation codes: %w", err)
	}
	return rcs, nil
}

// ExportCodesTo hands every outstanding, unexpired code with its device and
// owner to deliver, which writes them where the administrator asked, and
// audits the export once deliver has returned: as done when it returned
// nil, and as failed otherwise (see [onboarding.Registry.ExportTo]). It
// returns deliver's error; or, when a delivery that worked cannot be
// audited, the audit error, and the caller must then take back what
// deliver did. It needs update access to activation codes.
func (d *DeviceAdmin) ExportCodesTo(ctx context.Context,
	deliver func([]onboarding.ReadyCode) error) error {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, onboarding.ActionExport, "", writeCodes); err != nil {
		return err
	}
	if err := d.a.reg.ExportTo(ctx, d.actor(), deliver); err != nil {
		return fmt.Errorf("selfcare: export activation codes: %w", err)
	}
	return nil
}

// Stats returns the redemption counters of this process (attempts,
// failures, throttled attempts, activations, codes issued and released);
// the audit trail holds every process's. It needs read access to
// activation codes.
func (d *DeviceAdmin) Stats(ctx context.Context) (onboarding.Stats, error) {
	ctx = d.sourced(ctx)
	if err := d.allow(ctx, "activation.stats", "", readCodes); err != nil {
		return onboarding.Stats{}, err
	}
	return d.a.reg.Stats(), nil
}

// Bounds of [DeviceAdmin.Import].
const (
	// MaxImportRows is the most devices one import provisions.
	MaxImportRows = 10000
	// maxImportBytes bounds the CSV read.
	maxImportBytes = 4 << 20
)

// Import provisions devices in bulk from CSV: a header line naming the
// columns, in any order and case, then one device a line. Columns: model
// and owner (required), name and mac (optional, as for Provision) and
// requireActivation (optional: true, false, yes, no, 1, 0 or empty). A row
// may not have more fields than the header.
//
// The import is all or nothing: every row is tried in one store
// transaction, and when any row is bad nothing is written and the
// returned [*ValidationError] names every bad row ("line 3"), once, with
// everything wrong with it. It needs update access to devices, and to
// activation codes when a row requires activation.
func (d *DeviceAdmin) Import(ctx context.Context, r io.Reader) ([]onboarding.Device, error) {
	ctx = d.sourced(ctx)
	const op = "selfcare: import devices"
	rows, err := readImport(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	needs := []need{writeDevices}
	for _, row := range rows {
		if row.require {
			needs = append(needs, writeCodes)
			break
		}
	}
	if err := d.allow(ctx, ActionDeviceImport, "", needs...); err != nil {
		return nil, err
	}
	if err := d.syncTTL(ctx); err != nil {
		return nil, err
	}

	// Owners and the portal's records are looked up before the batch,
	// which may lock the store.
	owners := map[string]error{}
	for i := range rows {
		row := &rows[i]
		if row.stop {
			continue
		}
		if _, seen := owners[row.p.Owner]; !seen {
			owners[row.p.Owner] = d.s.checkOwner(ctx, row.p.Owner)
		}
		err := owners[row.p.Owner]
		if err == nil {
			err = d.s.modelConflict(ctx, row.p)
			row.modelBad = err != nil
		} else {
			row.ownerBad = true
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if err != nil {
			row.problems = append(row.problems, reason(err))
		}
	}

	var (
		bad  *ValidationError
		out  []onboarding.Device
		held heldEvents
	)
	err = d.a.store.Batch(ctx, func(st onboarding.Store) error {
		bad, out = &ValidationError{}, nil
		reg := d.batchRegistry(st, &held)
		for _, row := range rows {
			// Every row is tried, a bad one too, so that each reports all
			// that is wrong with it; a bad row rolls the batch back anyway.
			if !row.stop {
				dev, err := provisionRow(ctx, reg, d.actor(), row.p, row.require)
				switch {
				case err == nil:
					out = append(out, dev)
				case row.ownerBad && errors.Is(err, ErrNotFound),
					row.modelBad && errors.Is(err, ErrModelConflict):
					// Reported already, in the administrator's words.
				case errors.Is(err, onboarding.ErrInvalid),
					errors.Is(err, onboarding.ErrExists),
					errors.Is(err, ErrModelConflict):
					row.problems = append(row.problems, err.Error())
				default:
					return err
				}
			}
			if len(row.problems) > 0 {
				bad.add(row.field(), strings.Join(row.problems, "; "))
			}
		}
		return bad.err()
	})
	if err != nil {
		d.s.audit(ctx, AuditEvent{Actor: d.actor(), Action: ActionDeviceImport,
			Outcome: OutcomeFailed, RemoteAddr: d.c.addr,
			Detail: fmt.Sprintf("%d rows, %d bad; nothing written", len(rows),
				len(bad.Fields))})
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	held.flush(ctx, d.s)
	d.s.audit(ctx, AuditEvent{Actor: d.actor(), Action: ActionDeviceImport,
		Outcome: OutcomeOK, RemoteAddr: d.c.addr,
		Detail: fmt.Sprintf("%d devices provisioned", len(out))})
	return out, nil
}

// importRow is one device of an import, or, with stop set, the line at
// which reading stopped.
type importRow struct {
	line    int
	p       onboarding.Provision
	require bool
	// problems says what is wrong with the row, in words.
	problems []string
	// ownerBad and modelBad mark problems found before the batch, which
	// the store would report again.
	ownerBad, modelBad bool
	stop               bool
}

func (r importRow) field() string { return fmt.Sprintf("line %d", r.line) }

// importColumns maps a header name, lower-cased without spaces, dashes or
// underscores, to its column.
var importColumns = map[string]string{
	"name": "name", "device": "name", "devicename": "name",
	"model": "model", "owner": "owner", "mac": "mac", "macaddress": "mac",
	"requireactivation": "require", "requiresactivation": "require",
}

// readImport parses the CSV of [DeviceAdmin.Import]. A bad header is an
// error at once; a row's problems are kept in the row, so that the import
// can report them with those the store finds. A quoting error, after
// which the reader cannot find the next row, or too many rows end the
// rows with a stop row.
func readImport(r io.Reader) ([]importRow, error) {
	cr := csv.NewReader(io.LimitReader(r, maxImportBytes))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, invalidField("line 1", "The file is empty; want a header line.")
	}
	if err != nil {
		return nil, invalidField("line 1", err.Error())
	}
	cols := map[string]int{}
	bad := &ValidationError{}
	for i, h := range header {
		key := strings.NewReplacer(" ", "", "-", "", "_", "").Replace(
			strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
		col, ok := importColumns[key]
		if _, dup := cols[col]; !ok || dup {
			bad.add("line 1", fmt.Sprintf("column %d (%q) is unknown or repeated; want "+
				"name, model, owner, mac, requireActivation", i+1, h))
			continue
		}
		cols[col] = i
	}
	for _, col := range []string{"model", "owner"} {
		if _, ok := cols[col]; !ok {
			bad.add("line 1", "the header lacks the column "+col)
		}
	}
	if err := bad.err(); err != nil {
		return nil, err
	}

	var rows []importRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			rows = append(rows, importRow{line: line, stop: true,
				problems: []string{err.Error() + "; no line after it was read"}})
			break
		}
		if len(rows) == MaxImportRows {
			rows = append(rows, importRow{line: line, stop: true, problems: []string{
				fmt.Sprintf("more than %d devices; split the file", MaxImportRows)}})
			break
		}
		cell := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := importRow{line: line, p: onboarding.Provision{Name: cell("name"),
			Model: cell("model"), Owner: cell("owner"), MAC: cell("mac")}}
		if len(rec) > len(header) {
			row.problems = append(row.problems, fmt.Sprintf("%d fields, but the header "+
				"names %d columns; remove the extra ones", len(rec), len(header)))
		}
		switch strings.ToLower(cell("require")) {
		case "", "false", "no", "0":
		case "true", "yes", "1":
			row.require = true
		default:
			row.problems = append(row.problems, "requireActivation must be true or false")
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, invalidField("line 2", "No devices follow the header.")
	}
	return rows, nil
}

// checkOwner returns a *ValidationError when no user has the ID owner.
func (s *Service) checkOwner(ctx context.Context, owner string) error {
	if owner == "" {
		return invalidField("owner", "The owner is required.")
	}
	_, err := s.store.User(ctx, owner)
	if errors.Is(err, ErrNotFound) {
		return invalidField("owner", fmt.Sprintf("No user has the ID %q.", clean(owner)))
	}
	return err
}

// invalidField returns a *ValidationError of one field.
func invalidField(field, msg string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: msg}}}
}

// reason is what an import row reports for err: the messages of a
// *ValidationError, or the error itself.
func reason(err error) string {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	msgs := make([]string, len(ve.Fields))
	for i, f := range ve.Fields {
		msgs[i] = f.Message
	}
	return strings.Join(msgs, " ")
}

// fieldError turns a refusal of the registry's validation, whose message
// names the value at fault, into a *ValidationError for field, so that the
// web layer shows the message; other errors pass unchanged.
func fieldError(field string, err error) error {
	if errors.Is(err, onboarding.ErrInvalid) {
		return invalidField(field, err.Error())
	}
	return err
}

// heldEvents keeps a batch's audit events until the batch commits: writing
// them at once would need the store that the batch holds, and a batch that
// rolls back did nothing worth recording.
type heldEvents struct {
	mu     sync.Mutex
	events []onboarding.Event
}

func (h *heldEvents) Audit(_ context.Context, e onboarding.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
	return nil
}

// flush writes the held events to the audit trail; the changes they record
// are committed, so a failure is only logged.
func (h *heldEvents) flush(ctx context.Context, s *Service) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Source == "" {
			e.Source, _ = ctx.Value(sourceKey{}).(string)
		}
		err := s.store.AppendAudit(context.WithoutCancel(ctx), auditEventOf(e))
		if err != nil {
			s.log.Error("selfcare: audit write failed", "action", e.Action,
				"target", e.Device, "err", err)
		}
	}
	h.events = nil
}

// batchRegistry returns a registry on a batch's store whose events wait in
// held until the batch commits.
func (d *DeviceAdmin) batchRegistry(st onboarding.Store, held *heldEvents) *onboarding.Registry {
	cfg := d.a.cfg
	cfg.Auditor = held
	return onboarding.New(st, d.a.sealer, cfg)
}

package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
)

const devicesUsage = `Usage: portal admin [-data DIR] device|code COMMAND [ARGS]

Phones that onboard with an activation code, and their codes:

  device list
  device add NAME -model MODEL -owner USER [-require-activation] [-line 1=EXT ...]
      a phone with its MAC: NAME is SEP and the MAC, or the MAC alone; each
      -line INDEX=EXTENSION gives it a line (button INDEX, directory number
      EXTENSION), which forwarding and line settings need
  device add-dummy -model MODEL -owner USER [-require-activation] [-line 1=EXT ...]
      a phone whose MAC is not known: it gets a dummy name (BAT...), and its
      code works on any phone of the model, which is then renamed SEP+MAC
  device require-activation DEVICE
      issues a code unless one is outstanding; its owner sees it on My Phones
      if they may sign in to Self Care and the portal shows such phones
  device import FILE.csv
      provisions the devices of a CSV file, all or none: a header line with
      name, model, owner, mac, requireActivation (model and owner required)
  code issue DEVICE       prints a new code; fails if one is outstanding
  code replace DEVICE     prints a new code; the old one stops working
  code release DEVICE     the code stops working; issue a new one later
  code export [-o FILE]   a CSV of the outstanding codes, to stdout or to
                          FILE (mode 0600); every export is audited, a failed
                          one as failed
  code discard-key -confirm
      for a lost or replaced activation key: releases every outstanding code
      (nobody can open them) and forgets the key, so that the next start of
      the portal takes the key file it finds, or makes one; audited

Codes are as secret as passwords: every code printed is audited. Models
compare without regard to case ("cisco 8845" is a Cisco 8845). The command
line never makes an activation key: it uses the server's (DATA/activation.key
or -activation-key), and refuses one that did not seal the stored codes.
`

// adminKeyUse is how an admin command, given its arguments, uses the
// activation key: "code discard-key" loads none, for its job is to forget
// it; every other command needs the server's key file.
func adminKeyUse(args []string) keyUse {
	if len(args) >= 2 && args[0] == "code" && args[1] == "discard-key" {
		return keyDiscard
	}
	return keyCommand
}

// onboarding runs the device and code commands.
func (a *admin) onboarding(group string, args []string, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	if group+" "+sub == "code discard-key" {
		return a.discardKey(args, stderr)
	}
	da, err := a.svc.DeviceAdmin(cliCaller())
	if err != nil {
		return err
	}
	switch group + " " + sub {
	case "device list":
		if len(args) > 0 {
			return errors.New("admin: device list takes no arguments")
		}
		return a.deviceList(da)
	case "device add", "device add-dummy":
		return a.deviceAdd(da, args, sub == "add", stderr)
	case "device require-activation":
		name, err := oneArg(args, "device")
		if err != nil {
			return err
		}
		if err := da.RequireActivation(a.ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s requires activation.\n", name)
		st, err := da.Device(a.ctx, name)
		if err != nil {
			return err
		}
		return a.whoSeesCode(da, st.Owner)
	case "device import":
		return a.deviceImport(da, args)
	case "code issue", "code replace":
		name, err := oneArg(args, "device")
		if err != nil {
			return err
		}
		issue := da.IssueCode
		if sub == "replace" {
			issue = da.ReplaceCode
		}
		rc, err := issue(a.ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "device\t%s\ncode\t%s\nexpires\t%s\n", rc.Device,
			rc.Code.Grouped(), rc.ExpiresAt.UTC().Format(time.RFC3339))
		return nil
	case "code release":
		name, err := oneArg(args, "device")
		if err != nil {
			return err
		}
		return da.ReleaseCode(a.ctx, name)
	case "code export":
		return a.codeExport(da, args, stderr)
	case "device help", "device ", "code help", "code ":
		fmt.Fprint(a.stdout, devicesUsage)
		return nil
	}
	fmt.Fprint(stderr, devicesUsage)
	return fmt.Errorf("admin: unknown command %q", strings.TrimSpace(group+" "+sub))
}

func (a *admin) deviceList(da *selfcare.DeviceAdmin) error {
	sts, err := da.Devices(a.ctx)
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "NAME\tMODEL\tOWNER\tSTATE\tCODE\tEXPIRES\tATTEMPTS")
	for _, st := range sts {
		state := "no activation"
		switch {
		case st.Activated:
			state = "activated " + st.ActivatedAt.UTC().Format("2006-01-02")
		case st.RequiresActivation:
			state = "awaiting activation"
		}
		code, expires := "-", "-"
		if st.CodeState != "" {
			code = string(st.CodeState)
			expires = st.CodeExpiresAt.UTC().Format("2006-01-02T15:04Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", st.Name, st.Model, st.Owner, state,
			code, expires, st.Attempts)
	}
	return tw.Flush()
}

func (a *admin) deviceAdd(da *selfcare.DeviceAdmin, args []string, withMAC bool,
	stderr io.Writer) error {
	fs := flag.NewFlagSet("device add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "phone model, such as \"Cisco 8845\" (required)")
	owner := fs.String("owner", "", "user ID of the owner (required)")
	require := fs.Bool("require-activation", false, "issue an activation code at once")
	var lines deviceLines
	fs.Var(&lines, "line", "a line, `INDEX=EXTENSION` such as 1=2001; repeat for more")
	var p onboarding.Provision
	if withMAC {
		name, err := parseWithID(fs, args, "device name")
		if err != nil {
			return fmt.Errorf("admin: device add NAME: %w", err)
		}
		if mac, ok := strings.CutPrefix(name, onboarding.PrefixMAC); ok {
			p.Name, p.MAC = name, mac
		} else {
			p.MAC = name
		}
	} else {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("admin: unexpected argument %q", fs.Arg(0))
		}
	}
	p.Model, p.Owner = *model, *owner
	// The lines are checked before anything is written, so that a typo
	// does not leave a phone provisioned without them.
	if err := lines.check(); err != nil {
		return err
	}
	// Numbers the policy refuses, and users' additional phones, are no
	// directory numbers; PutDevice could name only the first.
	if err := a.svc.CheckLineNumbers(a.ctx, lines); err != nil {
		return err
	}
	d, err := da.Provision(a.ctx, p, *require)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "provisioned\t%s\n", d.Name)
	if len(lines) > 0 {
		if err := a.putDeviceLines(d, lines); err != nil {
			return fmt.Errorf("admin: %s is provisioned without its lines: %w", d.Name, err)
		}
		for _, l := range lines {
			fmt.Fprintf(a.stdout, "line %d\t%s\n", l.Index, l.Extension)
		}
	}
	if *require {
		return a.whoSeesCode(da, d.Owner)
	}
	return nil
}

// deviceLines collects the -line flags of device add.
type deviceLines []selfcare.Line

// String implements flag.Value.
func (ls *deviceLines) String() string {
	parts := make([]string, len(*ls))
	for i, l := range *ls {
		parts[i] = strconv.Itoa(l.Index) + "=" + l.Extension
	}
	return strings.Join(parts, " ")
}

// Set implements flag.Value: INDEX=EXTENSION, such as 1=2001.
func (ls *deviceLines) Set(v string) error {
	index, ext, ok := strings.Cut(v, "=")
	n, err := strconv.Atoi(index)
	if !ok || err != nil {
		return fmt.Errorf("%q is not INDEX=EXTENSION, such as 1=2001", v)
	}
	*ls = append(*ls, selfcare.Line{Index: n, Extension: ext})
	return nil
}

// check applies the rules of [selfcare.Service.PutDevice] to the lines:
// an index of 1 or more, used once, and an extension that is not empty
// and holds no control character. PutDevice checks them again.
func (ls deviceLines) check() error {
	v := &selfcare.ValidationError{}
	seen := map[int]bool{}
	for _, l := range ls {
		switch {
		case l.Index < 1 || seen[l.Index]:
			v.Fields = append(v.Fields, selfcare.FieldError{Field: "line",
				Message: fmt.Sprintf("Line index %d must be 1 or more and used once "+
					"per device.", l.Index)})
		case strings.TrimSpace(l.Extension) == "":
			v.Fields = append(v.Fields, selfcare.FieldError{Field: "line",
				Message: fmt.Sprintf("Line %d needs an extension.", l.Index)})
		case strings.ContainsFunc(l.Extension, unicode.IsControl):
			v.Fields = append(v.Fields, selfcare.FieldError{Field: "line",
				Message: fmt.Sprintf("The extension of line %d must not contain "+
					"control characters.", l.Index)})
		}
		seen[l.Index] = true
	}
	if len(v.Fields) > 0 {
		return v
	}
	return nil
}

// putDeviceLines gives the provisioned phone d its lines in the portal's
// record, keeping the rest of a record that existed before.
func (a *admin) putDeviceLines(d onboarding.Device, lines deviceLines) error {
	rec, err := a.store.Device(a.ctx, d.Name)
	switch {
	case errors.Is(err, selfcare.ErrNotFound):
		rec = selfcare.Device{Name: d.Name, Owner: d.Owner, Model: d.Model}
	case err != nil:
		return err
	}
	rec.Lines = slices.Clone(lines)
	return a.svc.PutDevice(a.ctx, "", rec)
}

// whoSeesCode tells the administrator whether owner will find the code on
// My Phones, or must be handed it another way.
func (a *admin) whoSeesCode(da *selfcare.DeviceAdmin, owner string) error {
	sees, why, err := da.OwnerSeesCodes(a.ctx, owner)
	if err != nil {
		return err
	}
	if sees {
		fmt.Fprintf(a.stdout, "Its owner, %s, sees the activation code on My Phones.\n",
			owner)
		return nil
	}
	fmt.Fprintf(a.stdout, "Its owner cannot see the activation code in the portal (%s); "+
		"hand it over yourself: \"portal admin code export\".\n", why)
	return nil
}

func (a *admin) deviceImport(da *selfcare.DeviceAdmin, args []string) error {
	path, err := oneArg(args, "CSV file (- for stdin)")
	if err != nil {
		return err
	}
	in := a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	ds, err := da.Import(a.ctx, in)
	var ve *selfcare.ValidationError
	if errors.As(err, &ve) {
		// One line per bad row, so that the operator can fix them all.
		for _, f := range ve.Fields {
			fmt.Fprintf(a.stdout, "%s\t%s\n", f.Field, f.Message)
		}
		return fmt.Errorf("admin: %d bad rows; nothing was imported", len(ve.Fields))
	}
	if err != nil {
		return err
	}
	for _, d := range ds {
		fmt.Fprintf(a.stdout, "provisioned\t%s\n", d.Name)
	}
	fmt.Fprintf(a.stdout, "%d devices imported\n", len(ds))
	return nil
}

func (a *admin) codeExport(da *selfcare.DeviceAdmin, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("code export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write to this file (mode 0600) instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		// A terminal cannot take codes back: the export is audited first.
		rcs, err := da.ExportCodes(a.ctx)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := onboarding.WriteCSV(&buf, rcs); err != nil {
			return err
		}
		_, err = buf.WriteTo(a.stdout)
		return err
	}

	if err := outsideDataDir(a.dataDir, *out); err != nil {
		return err
	}
	// A file is audited once it is written whole, and as failed when it
	// could not be; one whose audit event is lost is removed again.
	var n int
	written := false
	err := da.ExportCodesTo(a.ctx, func(rcs []onboarding.ReadyCode) error {
		var buf bytes.Buffer
		if err := onboarding.WriteCSV(&buf, rcs); err != nil {
			return err
		}
		if err := writePrivate(*out, buf.Bytes()); err != nil {
			return err
		}
		n, written = len(rcs), true
		return nil
	})
	if err != nil {
		if written {
			if rerr := os.Remove(*out); rerr != nil {
				return errors.Join(err, fmt.Errorf("admin: %s holds codes whose export "+
					"was not audited; delete it: %w", *out, rerr))
			}
		}
		return err
	}
	fmt.Fprintf(a.stdout, "%d codes written to %s\n", n, *out)
	return nil
}

// writePrivate writes data to path readable by its owner only: a new file
// is made with mode 0600 in the same folder, synced and renamed over path,
// so that an existing file's wider mode is never kept and nobody reads a
// half-written one; the folder is synced too, so that the name survives a
// crash.
//
// outsideDataDir refuses an output path inside the portal's data folder:
// the database, its -wal and -shm files, the activation key and the demo
// credentials live there, and an export written over one of them would
// lose data or, for the -shm file, let processes disagree about the
// database's state.
func outsideDataDir(dataDir, path string) error {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	// Links are followed where they exist, so that another name of the
	// folder is caught too.
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	if o, err := filepath.EvalSymlinks(filepath.Dir(out)); err == nil {
		out = filepath.Join(o, filepath.Base(out))
	}
	if rel, err := filepath.Rel(dir, out); err == nil && rel != ".." &&
		!strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("admin: %s is inside the data folder %s, which holds the "+
			"database and the keys; write the export somewhere else", path, dataDir)
	}
	return nil
}

// Only a regular file is replaced: a device, a pipe or a link at path is
// refused, since renaming over it would swap a file full of codes in
// where something else was expected.
func writePrivate(path string, data []byte) error {
	switch fi, err := os.Lstat(path); {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("admin: %s exists and is not a regular file (%s); "+
			"choose another path", path, fi.Mode().Type())
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".export-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		// Not every system can sync a folder; the file is whole either way.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// discardKey runs "code discard-key": the service was opened without an
// activation key (see adminKeyUse), for the key it would need is the one
// that is lost.
func (a *admin) discardKey(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("code discard-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confirm := fs.Bool("confirm", false, "release every outstanding code and forget "+
		"the activation key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin: unexpected argument %q", fs.Arg(0))
	}
	if !*confirm {
		return errors.New("admin: code discard-key releases every outstanding activation " +
			"code, which must then be issued again; add -confirm to do so")
	}
	names, err := a.svc.DiscardActivationKey(a.ctx, cliCaller(), a.store.Onboarding())
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintf(a.stdout, "released\t%s\n", n)
	}
	fmt.Fprintf(a.stdout, "%d codes released and the activation key forgotten. Start the "+
		"portal: it takes the key file it finds (or makes DATA/%s); then issue the codes "+
		"again: \"portal admin code issue DEVICE\".\n", len(names), activationKeyFile)
	return nil
}

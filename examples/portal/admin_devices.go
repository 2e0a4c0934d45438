package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
)

const devicesUsage = `Usage: portal admin [-data DIR] device|code COMMAND [ARGS]

Phones that onboard with an activation code, and their codes:

  device list
  device add NAME -model MODEL -owner USER [-require-activation]
      a phone with its MAC: NAME is SEP and the MAC, or the MAC alone
  device add-dummy -model MODEL -owner USER [-require-activation]
      a phone whose MAC is not known: it gets a dummy name (BAT...), and its
      code works on any phone of the model, which is then renamed SEP+MAC
  device require-activation DEVICE
      issues a code unless one is outstanding; its owner sees it in the portal
  device import FILE.csv
      provisions the devices of a CSV file, all or none: a header line with
      name, model, owner, mac, requireActivation (model and owner required)
  code issue DEVICE       prints a new code; fails if one is outstanding
  code replace DEVICE     prints a new code; the old one stops working
  code release DEVICE     the code stops working; issue a new one later
  code export [-o FILE]   a CSV of the outstanding codes, to stdout or to
                          FILE (mode 0600); every export is audited

Codes are as secret as passwords: every code printed is audited.
`

// onboarding runs the device and code commands.
func (a *admin) onboarding(group string, args []string, stderr io.Writer) error {
	da, err := a.svc.DeviceAdmin(selfcare.LocalCaller(cliActor))
	if err != nil {
		return err
	}
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
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
		fmt.Fprintf(a.stdout, "%s requires activation; its owner sees the code in the "+
			"portal\n", name)
		return nil
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
	var p onboarding.Provision
	if withMAC {
		name, err := parseWithID(fs, args)
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
	d, err := da.Provision(a.ctx, p, *require)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "provisioned\t%s\n", d.Name)
	if *require {
		fmt.Fprintln(a.stdout, "Its owner sees the activation code in the portal.")
	}
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
	rcs, err := da.ExportCodes(a.ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := onboarding.WriteCSV(&buf, rcs); err != nil {
		return err
	}
	if *out == "" {
		_, err := buf.WriteTo(a.stdout)
		return err
	}
	if err := writePrivate(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d codes written to %s\n", len(rcs), *out)
	return nil
}

// writePrivate writes data to path readable by its owner only: a new file
// is made with mode 0600 and renamed over path, so that an existing file's
// wider mode is never kept and nobody reads a half-written one.
func writePrivate(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".export-*")
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
	return os.Rename(tmp, path)
}

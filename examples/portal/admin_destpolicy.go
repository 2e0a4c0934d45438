package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/strictjson"
)

const destPolicyUsage = `The destination policy: where users may forward calls and point speed
dials and remote destinations.

  destpolicy show            prints the policy in force as JSON, with its
                             version; "custom": false means the built-in default
  destpolicy set FILE.json   makes the policy in FILE the policy in force; FILE
                             is what "show" prints, edited: its "version" must
                             still be the version in force, so that a change
                             made meanwhile by someone else is not overwritten
  destpolicy reset -version N
                             back to the built-in default

"-" as FILE reads standard input. A policy that does not validate is refused
with every problem named, and nothing changes. A change applies at the next
request of every running portal on this data folder, and is audited as "cli".
`

// destPolicyFile is what "destpolicy show" prints and "set" reads.
type destPolicyFile struct {
	Version int64                      `json:"version"`
	Custom  bool                       `json:"custom"`
	Policy  selfcare.DestinationPolicy `json:"policy"`
}

// destPolicy runs the destpolicy commands.
func (a *admin) destPolicy(args []string, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	c := cliCaller()
	switch sub {
	case "show":
		if len(args) != 0 {
			return errors.New("admin: destpolicy show takes no arguments")
		}
		p, err := a.svc.DestinationPolicy(a.ctx, c)
		if err != nil {
			return err
		}
		return a.printDestPolicy(p)
	case "set":
		return a.destPolicySet(c, args)
	case "reset":
		fs := flag.NewFlagSet("destpolicy reset", flag.ContinueOnError)
		fs.SetOutput(stderr)
		version := fs.Int64("version", -1, "the version in force, as show prints it")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *version < 0 || fs.NArg() != 0 {
			return errors.New("admin: destpolicy reset needs -version N, the version " +
				`"destpolicy show" prints`)
		}
		p, err := a.svc.ResetDestinationPolicy(a.ctx, c, *version)
		if err != nil {
			return destPolicyError(err)
		}
		fmt.Fprintf(a.stdout, "destination policy reset to the default (version %d)\n",
			p.Version)
		return nil
	case "help":
		fmt.Fprint(a.stdout, destPolicyUsage)
		return nil
	}
	fmt.Fprint(stderr, destPolicyUsage)
	return fmt.Errorf("admin: unknown command %q", strings.TrimSpace("destpolicy "+sub))
}

func (a *admin) printDestPolicy(p selfcare.ConfiguredDestinationPolicy) error {
	out, err := json.MarshalIndent(destPolicyFile{Version: p.Version, Custom: p.Custom,
		Policy: p.Policy}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s\n", out)
	return err
}

// destPolicySet reads FILE strictly, as the administration API reads its
// body: a misspelt member is refused rather than dropped, since a dropped
// "allowed" would quietly refuse a class, and a second "allowed" or an
// "Allowed" is refused rather than left to win, since it would quietly
// allow one.
func (a *admin) destPolicySet(c selfcare.Caller, args []string) error {
	if len(args) != 1 {
		return errors.New("admin: destpolicy set needs exactly one FILE.json")
	}
	var (
		data []byte
		err  error
	)
	if args[0] == "-" {
		data, err = io.ReadAll(io.LimitReader(a.stdin, 1<<20))
	} else {
		data, err = os.ReadFile(args[0])
	}
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	var in struct {
		Version *int64                      `json:"version"`
		Custom  bool                        `json:"custom"`
		Policy  *selfcare.DestinationPolicy `json:"policy"`
	}
	if err := strictjson.Decode(data, &in); err != nil {
		return fmt.Errorf("admin: %s: %w", args[0], err)
	}
	if in.Version == nil || in.Policy == nil {
		return fmt.Errorf(`admin: %s needs "version" and "policy", as "destpolicy `+
			`show" prints them`, args[0])
	}
	cur, err := a.svc.DestinationPolicy(a.ctx, c)
	if err != nil {
		return err
	}
	p, err := a.svc.SetDestinationPolicy(a.ctx, c, *in.Policy, *in.Version)
	if err != nil {
		return destPolicyError(err)
	}
	fmt.Fprintf(a.stdout, "destination policy set (version %d): %s\n", p.Version,
		selfcare.DescribeDestinationPolicyChange(cur, p))
	return nil
}

// destPolicyError turns the refusals of a policy change into sentences.
func destPolicyError(err error) error {
	var ve *selfcare.ValidationError
	switch {
	case errors.As(err, &ve):
		lines := make([]string, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			lines = append(lines, "  "+f.Field+": "+f.Message)
		}
		return fmt.Errorf("admin: the policy is not valid; nothing changed:\n%s\n%w",
			strings.Join(lines, "\n"), selfcare.ErrInvalid)
	case errors.Is(err, selfcare.ErrVersionConflict):
		return fmt.Errorf("admin: nothing changed: the policy was changed by someone "+
			`else since that version was read; run "destpolicy show" again and `+
			"repeat your change (%w)", err)
	}
	return err
}

package main

import (
	"context"
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

const servicesUsage = `Phone services, the catalogue users subscribe their phones to:

  service list                 every service: ID, kind, name, URL, parameters
  service show ID              one service as JSON, the form "service add" reads
  service add -file FILE       adds the service described in JSON by FILE, or by
                               standard input when FILE is "-", such as
      {"id": "agent", "name": "Agent sign-in", "description": "For agents",
       "kind": "internal", "url": "https://agents.example.com/xml",
       "parameters": [
         {"name": "agentId", "displayName": "Agent ID", "required": true,
          "maxLength": 6, "kind": "digits"},
         {"name": "password", "displayName": "Agent password", "required": true,
          "maxLength": 32, "kind": "text", "secret": true}]}
  service remove ID [-force]   refused while phones are subscribed to it; -force
                               ends their subscriptions too

kind is "internal" or "external"; Phone Service Display (param
PhoneServiceDisplay) decides which kinds users are offered. A parameter's
kind is "text" or "digits"; a secret is never shown to users again once
saved and has no default. Services are not edited: remove one and add it
again. Changes are audited as "cli".
`

// serviceJSON is a catalogue entry as the command line reads and shows it.
type serviceJSON struct {
	ID          string                    `json:"id"`
	Name        string                    `json:"name"`
	Description string                    `json:"description,omitempty"`
	Kind        selfcare.PhoneServiceKind `json:"kind"`
	URL         string                    `json:"url"`
	Parameters  []serviceParamJSON        `json:"parameters,omitempty"`
}

// serviceParamJSON is one parameter of a serviceJSON.
type serviceParamJSON struct {
	Name        string                    `json:"name"`
	DisplayName string                    `json:"displayName"`
	Required    bool                      `json:"required,omitempty"`
	MaxLength   int                       `json:"maxLength"`
	Kind        selfcare.ServiceParamKind `json:"kind"`
	Secret      bool                      `json:"secret,omitempty"`
	Default     string                    `json:"default,omitempty"`
}

func toServiceJSON(ps selfcare.PhoneService) serviceJSON {
	out := serviceJSON{ID: ps.ID, Name: ps.Name, Description: ps.Description,
		Kind: ps.Kind, URL: ps.URL}
	for _, p := range ps.Params {
		out.Parameters = append(out.Parameters, serviceParamJSON(p))
	}
	return out
}

func (j serviceJSON) service() selfcare.PhoneService {
	ps := selfcare.PhoneService{ID: j.ID, Name: j.Name, Description: j.Description,
		Kind: j.Kind, URL: j.URL}
	for _, p := range j.Parameters {
		ps.Params = append(ps.Params, selfcare.ServiceParam(p))
	}
	return ps
}

// phoneServices runs the service commands.
func (a *admin) phoneServices(args []string, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	c := cliCaller()
	switch sub {
	case "list":
		if err := noArgs("service list", args); err != nil {
			return err
		}
		return a.serviceList(c)
	case "show":
		id, err := oneArg(args, "service ID")
		if err != nil {
			return err
		}
		return a.serviceShow(c, id)
	case "add":
		return a.serviceAdd(c, args, stderr)
	case "remove":
		return a.serviceRemove(c, args, stderr)
	case "help":
		fmt.Fprint(a.stdout, servicesUsage)
		return nil
	}
	fmt.Fprint(stderr, servicesUsage)
	return fmt.Errorf("admin: unknown command %q", strings.TrimSpace("service "+sub))
}

func (a *admin) serviceList(c selfcare.Caller) error {
	all, err := a.svc.PhoneServiceCatalogue(a.ctx, c)
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "ID\tKIND\tNAME\tURL\tPARAMETERS")
	for _, ps := range all {
		var names []string
		for _, p := range ps.Params {
			n := p.Name
			if p.Secret {
				n += " (secret)"
			}
			names = append(names, n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ps.ID, ps.Kind, ps.Name, ps.URL,
			strings.Join(names, ", "))
	}
	return tw.Flush()
}

func (a *admin) serviceShow(c selfcare.Caller, id string) error {
	all, err := a.svc.PhoneServiceCatalogue(a.ctx, c)
	if err != nil {
		return err
	}
	for _, ps := range all {
		if ps.ID == id {
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(toServiceJSON(ps))
		}
	}
	return fmt.Errorf("admin: no phone service %q; \"service list\" shows them: %w", id,
		selfcare.ErrNotFound)
}

func (a *admin) serviceAdd(c selfcare.Caller, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("service add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", `the service in JSON; "-" reads standard input`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		return errors.New(`admin: service add takes -file FILE (or -file - for standard ` +
			`input) and nothing else`)
	}
	var (
		data []byte
		err  error
	)
	if *file == "-" {
		// A service description is small; a bound keeps a wrong pipe from
		// filling memory.
		data, err = io.ReadAll(io.LimitReader(a.stdin, 1<<20))
	} else {
		data, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("admin: service add: %w", err)
	}
	var j serviceJSON
	if err := strictjson.Decode(data, &j); err != nil {
		return fmt.Errorf("admin: service add: the JSON does not describe a service "+
			"(see \"service help\"): %w", err)
	}
	if err := a.svc.AddPhoneService(a.ctx, c, j.service()); err != nil {
		return serviceRefusal(err)
	}
	fmt.Fprintf(a.stdout, "phone service %s added\n", j.ID)
	return nil
}

func (a *admin) serviceRemove(c selfcare.Caller, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("service remove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "end the phones' subscriptions too")
	id, err := parseWithID(fs, args, "service ID")
	if err != nil {
		return err
	}
	n, err := a.svc.RemovePhoneService(a.ctx, c, id, *force)
	if errors.Is(err, selfcare.ErrServiceInUse) {
		return fmt.Errorf("admin: phones are subscribed to %s; remove it with -force to "+
			"end their subscriptions too: %w", id, err)
	}
	if err != nil {
		return serviceRefusal(err)
	}
	fmt.Fprintf(a.stdout, "phone service %s removed with %d subscriptions\n", id, n)
	return nil
}

// serviceRefusal lists every field a validation error names, one per
// line, so that an administrator fixes them all at once.
func serviceRefusal(err error) error {
	var ve *selfcare.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var b strings.Builder
	b.WriteString("admin: the service was not added:")
	for _, f := range ve.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return refusal{msg: b.String(), err: err}
}

// demoPhoneServices adds a small catalogue to the demo data: an internal
// directory without parameters, an internal agent sign-in with a secret,
// and an external weather service that Phone Service Display hides until
// an administrator offers external services.
func demoPhoneServices(ctx context.Context, svc *selfcare.Service) error {
	c := selfcare.LocalCaller("demo")
	for _, ps := range []selfcare.PhoneService{
		{ID: "directory", Name: "Corporate directory", Description: "Search the " +
			"company's directory from the phone.", Kind: selfcare.PhoneServiceInternal,
			URL: "http://cucm.example.com:8080/ccmcip/xmldirectory.jsp"},
		{ID: "agent", Name: "Contact centre agent", Description: "Sign in to the " +
			"contact centre from the phone.", Kind: selfcare.PhoneServiceInternal,
			URL: "https://finesse.example.com/fippa",
			Params: []selfcare.ServiceParam{
				{Name: "agentId", DisplayName: "Agent ID", Required: true, MaxLength: 10,
					Kind: selfcare.ServiceParamDigits},
				{Name: "password", DisplayName: "Agent password", Required: true,
					MaxLength: 64, Secret: true},
			}},
		{ID: "weather", Name: "Weather", Description: "The local forecast.",
			Kind: selfcare.PhoneServiceExternal, URL: "https://weather.example.com/phone",
			Params: []selfcare.ServiceParam{{Name: "city", DisplayName: "City",
				MaxLength: 40, Default: "Brussels"}}},
	} {
		if err := svc.AddPhoneService(ctx, c, ps); err != nil {
			return fmt.Errorf("%s: %w", ps.ID, err)
		}
	}
	return nil
}

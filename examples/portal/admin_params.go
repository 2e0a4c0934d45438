package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
)

const paramsUsage = `Parameters, user profiles and cluster servers:

  param list                 every parameter: key, value, whether it is set
  param get KEY              one parameter with its default and allowed values
  param set KEY VALUE        e.g. param set ShowChangePin false,
                             param set CCMUserShowCallForward "Show Only Call Forward All"
  param reset KEY            takes the set value away; the default applies
  profile list
  profile show NAME          the profile and the users who hold it
  profile add NAME [-description TEXT] [-allow-em]
  profile set NAME [-description TEXT] [-allow-em=true|false]
      -allow-em: Allow End User to set their Extension Mobility maximum
      login time; set changes only the flags given
  profile delete NAME        refused while a user holds the profile
  profile assign USER NAME   "" as NAME takes the user's profile away
  server list                the cluster's servers; the one marked "default"
                             is what clients get for embedded Self Care pages
  server add NAME [-publisher]
  server remove NAME         refused for the Self Care Portal Default Server
  server set-publisher NAME

KEY is a parameter's key or its display name, in any letter case, as
"param list" shows them. Server names are DNS names or IP addresses and
compare without regard to letter case; a server keeps the spelling it was
added with. Changes apply at once in a running portal, and are audited as
"cli", from "cli USER@HOST pid PID".
`

// params runs the param, profile and server commands.
func (a *admin) params(group string, args []string, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	c := cliCaller()
	var err error
	switch group + " " + sub {
	case "param list":
		err = a.paramList(c, args)
	case "param get":
		err = a.paramGet(c, args)
	case "param set":
		err = a.paramSet(c, args)
	case "param reset":
		err = a.paramReset(c, args)
	case "profile list":
		err = a.profileList(c, args)
	case "profile show":
		err = a.profileShow(c, args)
	case "profile add", "profile set":
		err = a.profilePut(c, args, sub == "add", stderr)
	case "profile delete":
		err = a.profileDelete(c, args)
	case "profile assign":
		err = a.profileAssign(c, args)
	case "server list":
		err = a.serverList(c, args)
	case "server add":
		err = a.serverAdd(c, args, stderr)
	case "server remove", "server set-publisher":
		err = a.serverChange(c, args, sub == "remove")
	case group + " help":
		// Asked for, help is the command's output.
		fmt.Fprint(a.stdout, paramsUsage)
	default:
		fmt.Fprint(stderr, paramsUsage)
		return fmt.Errorf("admin: unknown command %q", strings.TrimSpace(group+" "+sub))
	}
	return readable(err)
}

// cliCaller is the command line as the service's caller: the store's own
// rights, "cli" in the audit trail, and where it runs as "from where".
func cliCaller() selfcare.Caller {
	return selfcare.LocalCaller(cliActor).From(cliOrigin())
}

// cliOrigin says where this command line runs: the operating-system user,
// the host and the process, so that the trail tells apart the commands of
// two administrators on one data folder, as it does for two addresses.
func cliOrigin() string {
	who := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("cli %s@%s pid %d", who, host, os.Getpid())
}

// readable turns the refusals of package params into sentences that name
// the parameter or field, what was refused and what is allowed, without
// the package prefixes; other errors pass unchanged.
func readable(err error) error {
	var msgs []string
	collectRefusals(err, &msgs)
	if len(msgs) == 0 {
		return err
	}
	return refusal{msg: "admin: " + strings.Join(msgs, " "), err: err}
}

// refusal is an error with a message for people that still matches what
// it replaces.
type refusal struct {
	msg string
	err error
}

func (r refusal) Error() string { return r.msg }
func (r refusal) Unwrap() error { return r.err }

// collectRefusals gathers the message of every refusal in err's tree that
// has one for people.
func collectRefusals(err error, out *[]string) {
	switch e := err.(type) {
	case nil:
	case refusal:
		*out = append(*out, strings.TrimPrefix(e.msg, "admin: "))
	case *params.ValidationError:
		*out = append(*out, e.Message())
	case *params.UnknownError:
		*out = append(*out, e.Message()+` "param list" shows them all.`)
	case *params.NotFoundError:
		*out = append(*out, e.Message())
	case *params.InUseError:
		*out = append(*out, e.Message())
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			collectRefusals(inner, out)
		}
	default:
		collectRefusals(errors.Unwrap(err), out)
	}
}

// paramKey accepts a parameter's key or its display name, in any case.
func paramKey(s string) (string, error) {
	d, ok := params.Find(s)
	if !ok {
		return "", &params.UnknownError{Key: s}
	}
	return d.Key, nil
}

func noArgs(cmd string, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("admin: %s takes no arguments", cmd)
	}
	return nil
}

func (a *admin) paramList(c selfcare.Caller, args []string) error {
	if err := noArgs("param list", args); err != nil {
		return err
	}
	sts, err := a.svc.Params(a.ctx, c)
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "KEY\tVALUE\tSTATE\tNAME")
	for _, st := range sts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.Key, st.Display(st.Value), settingState(st),
			st.DisplayName)
	}
	return tw.Flush()
}

// settingState says where a value comes from.
func settingState(st params.Setting) string {
	switch {
	case st.Err != nil:
		return "default (stored value refused)"
	case st.Set:
		return "set"
	}
	return "default"
}

func (a *admin) paramGet(c selfcare.Caller, args []string) error {
	key, err := oneArg(args, "parameter")
	if err != nil {
		return err
	}
	if key, err = paramKey(key); err != nil {
		return err
	}
	st, err := a.svc.Param(a.ctx, c, key)
	if err != nil {
		return err
	}
	servers, err := a.svc.Servers(a.ctx, c)
	if err != nil {
		return err
	}
	cl, _ := params.NewCluster(servers...)
	tw := a.table()
	fmt.Fprintf(tw, "key\t%s\n", st.Key)
	fmt.Fprintf(tw, "name\t%s\n", st.DisplayName)
	fmt.Fprintf(tw, "group\t%s\n", st.Group)
	fmt.Fprintf(tw, "value\t%s (%s)\n", st.Display(st.Value), settingState(st))
	fmt.Fprintf(tw, "default\t%s\n", st.Display(st.Default))
	fmt.Fprintf(tw, "allowed\t%s\n", st.Definition.Allowed(cl))
	if st.Err != nil {
		fmt.Fprintf(tw, "refused\t%s\n", strings.TrimPrefix(st.Err.Error(), "params: "))
	}
	if st.Note != "" {
		fmt.Fprintf(tw, "note\t%s\n", st.Note)
	}
	return tw.Flush()
}

func (a *admin) paramSet(c selfcare.Caller, args []string) error {
	if len(args) != 2 {
		return errors.New("admin: expected KEY VALUE")
	}
	key, err := paramKey(args[0])
	if err != nil {
		return err
	}
	plan, err := a.svc.SetParam(a.ctx, c, key, args[1])
	if err != nil {
		return err
	}
	a.printChanges(plan)
	return nil
}

func (a *admin) paramReset(c selfcare.Caller, args []string) error {
	key, err := oneArg(args, "parameter")
	if err != nil {
		return err
	}
	if key, err = paramKey(key); err != nil {
		return err
	}
	plan, err := a.svc.ResetParam(a.ctx, c, key)
	if err != nil {
		return err
	}
	if len(plan) == 0 {
		fmt.Fprintf(a.stdout, "%s was not set; its default applies\n", key)
	}
	a.printChanges(plan)
	return nil
}

func (a *admin) printChanges(plan []params.Change) {
	for _, ch := range plan {
		note := ""
		switch {
		case ch.Implied:
			note = " (follows from " + plan[0].Key + ")"
		case ch.Reset:
			note = " (default)"
		}
		fmt.Fprintf(a.stdout, "%s: %s -> %s%s\n", ch.Key, ch.Old, ch.New, note)
	}
}

func (a *admin) profileList(c selfcare.Caller, args []string) error {
	if err := noArgs("profile list", args); err != nil {
		return err
	}
	ps, err := a.svc.Profiles(a.ctx, c)
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "NAME\tALLOW EM LOGIN TIME\tDESCRIPTION")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%t\t%s\n", p.Name, p.AllowEMMaxLoginTime, p.Description)
	}
	return tw.Flush()
}

func (a *admin) profileShow(c selfcare.Caller, args []string) error {
	name, err := oneArg(args, "profile")
	if err != nil {
		return err
	}
	p, err := a.svc.Profile(a.ctx, c, name)
	if err != nil {
		return err
	}
	users, err := a.store.Users(a.ctx)
	if err != nil {
		return err
	}
	var holders []string
	for _, u := range users {
		if u.Profile == p.Name {
			holders = append(holders, u.ID)
		}
	}
	tw := a.table()
	fmt.Fprintf(tw, "name\t%s\n", p.Name)
	fmt.Fprintf(tw, "description\t%s\n", p.Description)
	fmt.Fprintf(tw, "allow EM login time\t%t\n", p.AllowEMMaxLoginTime)
	fmt.Fprintf(tw, "users\t%s\n", strings.Join(holders, ", "))
	return tw.Flush()
}

// profilePut adds a profile, or changes the fields whose flags are given.
func (a *admin) profilePut(c selfcare.Caller, args []string, add bool,
	stderr io.Writer) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	desc := fs.String("description", "", "what the profile is for")
	allowEM := fs.Bool("allow-em", false,
		"Allow End User to set their Extension Mobility maximum login time")
	name, err := parseWithID(fs, args, "profile name")
	if err != nil {
		return err
	}
	p := params.UserProfile{Name: name}
	if !add {
		if p, err = a.svc.Profile(a.ctx, c, name); err != nil {
			return err
		}
	} else if _, err := a.svc.Profile(a.ctx, c, name); err == nil {
		return fmt.Errorf("admin: profile %q exists; use \"profile set\"", name)
	} else if !errors.Is(err, params.ErrNotFound) {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "description":
			p.Description = *desc
		case "allow-em":
			p.AllowEMMaxLoginTime = *allowEM
		}
	})
	if _, err := a.svc.PutProfile(a.ctx, c, p); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "profile %s: allow EM login time %t, description %q\n", p.Name,
		p.AllowEMMaxLoginTime, p.Description)
	return nil
}

func (a *admin) profileDelete(c selfcare.Caller, args []string) error {
	name, err := oneArg(args, "profile")
	if err != nil {
		return err
	}
	err = a.svc.DeleteProfile(a.ctx, c, name)
	if errors.Is(err, params.ErrInUse) {
		return refusal{msg: fmt.Sprintf("%s \"profile show %s\" lists them.",
			readable(err).Error(), name), err: err}
	}
	return err
}

func (a *admin) profileAssign(c selfcare.Caller, args []string) error {
	if len(args) != 2 || args[0] == "" {
		return errors.New("admin: expected USER PROFILE")
	}
	return a.svc.AssignProfile(a.ctx, c, args[0], args[1])
}

func (a *admin) serverList(c selfcare.Caller, args []string) error {
	if err := noArgs("server list", args); err != nil {
		return err
	}
	servers, err := a.svc.Servers(a.ctx, c)
	if err != nil {
		return err
	}
	def, err := a.svc.DefaultServer(a.ctx)
	if err != nil && !errors.Is(err, params.ErrNotFound) {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "NAME\tROLE\tEMBEDDED PAGES")
	for _, s := range servers {
		role, pages := "subscriber", ""
		if s.Publisher {
			role = "publisher"
		}
		if s.Name == def.Name {
			pages = "default"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, role, pages)
	}
	return tw.Flush()
}

func (a *admin) serverAdd(c selfcare.Caller, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("server add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pub := fs.Bool("publisher", false, "the server is the publisher")
	name, err := parseWithID(fs, args, "server name")
	if err != nil {
		return err
	}
	servers, err := a.svc.Servers(a.ctx, c)
	if err != nil {
		return err
	}
	err = a.svc.PutServer(a.ctx, c, params.Server{Name: name, Publisher: *pub})
	switch {
	case errors.Is(err, params.ErrInvalid) && !*pub && len(servers) == 0:
		return refusal{msg: "admin: the first server of a cluster is its publisher; " +
			"add it with -publisher.", err: err}
	case err != nil:
		return err
	}
	// A name in other letter case is the same server, which keeps its
	// spelling; say so rather than leave the administrator guessing.
	for _, s := range servers {
		if strings.EqualFold(s.Name, name) && s.Name != name {
			fmt.Fprintf(a.stdout, "server %s exists (names ignore letter case) and keeps "+
				"that spelling\n", s.Name)
		}
	}
	return nil
}

func (a *admin) serverChange(c selfcare.Caller, args []string, remove bool) error {
	name, err := oneArg(args, "server name")
	if err != nil {
		return err
	}
	if remove {
		return a.svc.RemoveServer(a.ctx, c, name)
	}
	return a.svc.SetPublisher(a.ctx, c, name)
}

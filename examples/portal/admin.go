package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

const adminUsage = `Usage: portal admin [-data DIR] COMMAND [ARGS]

Administers the portal's data folder; the server may be running meanwhile.
Commands:

  user list
  user add ID [-first NAME] [-last NAME] [-rank 1-10] [-locale LOCALE]
      creates a user with a random password and PIN, printed once; the user
      must change the password at the first login
  user set-password ID [-stdin] [-keep]
      a random new password (printed once), or one line read from stdin;
      the user must change it at the next login unless -keep
  user set-pin ID [-stdin]
      a random new PIN (printed once), or one line read from stdin
  user disable ID       ends every session of the user
  user enable ID
  user unlock ID        clears failed-login lockout
  group list
  group members GROUP
  group add-member GROUP USER
  group remove-member GROUP USER
  role list
  role show ROLE
  device ... | code ...  phones and their activation codes; "portal admin device help"
  service ...           the phone services catalogue; "portal admin service help"
  param ... | profile ... | server ...  enterprise and service parameters, user
      profiles, the cluster's servers; "portal admin param help"
  destpolicy show | set FILE.json | reset  where calls may go; "portal admin destpolicy help"
  remote-destination limit USER [N|default]  a user's limit of additional phones
  audit [-n 50] [-user ID] [-action NAME]

GROUP and ROLE are an ID or a name (as listed); the actor recorded in the
audit trail is "cli".
`

const cliActor = "cli"

// admin is one admin command's context.
type admin struct {
	ctx    context.Context
	svc    *selfcare.Service
	store  *sqlstore.Store
	stdin  io.Reader
	stdout io.Writer
	// dataDir is the portal's data folder, where no command may write a
	// file of its own (exports).
	dataDir string
}

func runAdmin(ctx context.Context, args []string, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", envOr(getenv, "SELFCARE_DATA", defaultDataDir),
		"data folder (env SELFCARE_DATA)")
	var keyFile string
	activationKeyFlag(fs, getenv, &keyFile)
	fs.Usage = func() {
		fmt.Fprint(stderr, adminUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("admin: a command is required")
	}

	// The admin commands work on a portal's existing database: a mistyped
	// -data must not quietly create an empty one.
	if _, err := os.Stat(filepath.Join(*dataDir, dbFile)); err != nil {
		return fmt.Errorf("admin: no portal database in %q (start the portal once, "+
			"or check -data): %w", *dataDir, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, svc, err := openStore(ctx, options{DataDir: *dataDir, Logger: log,
		ActivationKey: keyFile, KeyUse: adminKeyUse(fs.Args())})
	if err != nil {
		return err
	}
	defer st.Close()
	a := &admin{ctx: ctx, svc: svc, store: st, stdin: stdin, stdout: stdout,
		dataDir: *dataDir}

	rest := fs.Args()
	cmd := rest[0]
	if len(rest) > 1 && (cmd == "user" || cmd == "group" || cmd == "role") {
		cmd += " " + rest[1]
		rest = rest[1:]
	}
	switch cmd {
	case "user list", "group list", "role list":
		if len(rest) > 1 {
			return fmt.Errorf("admin: %s takes no arguments", cmd)
		}
	}
	switch cmd {
	case "service":
		return a.phoneServices(rest[1:], stderr)
	case "device", "code":
		return a.onboarding(cmd, rest[1:], stderr)
	case "remote-destination":
		return a.remoteDestinations(rest[1:], stderr)
	case "param", "profile", "server":
		return a.params(cmd, rest[1:], stderr)
	case "destpolicy":
		return a.destPolicy(rest[1:], stderr)
	case "user list":
		return a.userList()
	case "user add":
		return a.userAdd(rest[1:], stderr)
	case "user set-password":
		return a.userSetPassword(rest[1:], stderr)
	case "user set-pin":
		return a.userSetPIN(rest[1:], stderr)
	case "user disable", "user enable":
		id, err := oneArg(rest[1:], "user ID")
		if err != nil {
			return err
		}
		return a.svc.SetUserDisabled(ctx, cliActor, id, cmd == "user disable")
	case "user unlock":
		id, err := oneArg(rest[1:], "user ID")
		if err != nil {
			return err
		}
		return a.svc.Unlock(ctx, cliActor, id)
	case "group list":
		return a.groupList()
	case "group members":
		return a.groupMembers(rest[1:])
	case "group add-member", "group remove-member":
		return a.groupMember(rest[1:], cmd == "group add-member")
	case "role list":
		return a.roleList()
	case "role show":
		return a.roleShow(rest[1:])
	case "audit":
		return a.audit(rest[1:], stderr)
	}
	fs.Usage()
	if len(fs.Args()) == 1 && slices.Contains([]string{"user", "group", "role", "param",
		"profile", "server", "device", "code"}, fs.Arg(0)) {
		return fmt.Errorf("admin: %q needs a subcommand (see above)", fs.Arg(0))
	}
	return fmt.Errorf("admin: unknown command %q", strings.Join(fs.Args(), " "))
}

func oneArg(args []string, what string) (string, error) {
	if len(args) != 1 || args[0] == "" {
		return "", fmt.Errorf("admin: expected exactly one %s", what)
	}
	return args[0], nil
}

func (a *admin) table() *tabwriter.Writer {
	return tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
}

func (a *admin) userList() error {
	users, err := a.store.Users(a.ctx)
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "ID\tNAME\tRANK\tPIN\tSTATE")
	for _, u := range users {
		state := "enabled"
		if u.Disabled {
			state = "disabled"
		}
		if u.MustChangePassword {
			state += ", must change password"
		}
		pin := "set"
		if u.PINHash == "" {
			pin = "missing"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%d\t%s\t%s\n", u.ID, u.FirstName, u.LastName, u.Rank,
			pin, state)
	}
	return tw.Flush()
}

// parseWithID parses flags that may come before or after one positional
// argument, what names it in errors ("user ID", "device name", ...).
func parseWithID(fs *flag.FlagSet, args []string, what string) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", err
		}
	}
	if id == "" || fs.NArg() > 0 {
		return "", fmt.Errorf("admin: expected exactly one %s", what)
	}
	return id, nil
}

func (a *admin) userAdd(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	first := fs.String("first", "", "first name")
	last := fs.String("last", "", "last name")
	rank := fs.Int("rank", 1, "user rank, 1 (highest) to 10")
	locale := fs.String("locale", "en_US", "locale")
	id, err := parseWithID(fs, args, "user ID")
	if err != nil {
		return err
	}
	if *rank < acl.HighestRank || *rank > acl.LowestRank {
		return fmt.Errorf("admin: -rank must be between %d and %d", acl.HighestRank,
			acl.LowestRank)
	}
	u := selfcare.User{ID: id, FirstName: *first, LastName: *last, Rank: *rank,
		Locale: *locale, MustChangePassword: true}
	pw, pin, err := createWithRandomCredentials(a.ctx, a.svc, cliActor, u)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "created %s\npassword\t%s\npin\t%s\n", id, pw, pin)
	fmt.Fprintln(a.stdout, "Add the user to Standard CCM End Users for Self Care access:")
	fmt.Fprintf(a.stdout, "  portal admin group add-member %q %s\n",
		"Standard CCM End Users", id)
	return nil
}

// readSecret reads one line from stdin, without its line ending.
func (a *admin) readSecret() (string, error) {
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("admin: nothing read from stdin")
	}
	return line, nil
}

func (a *admin) userSetPassword(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("user set-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fromStdin := fs.Bool("stdin", false, "read the password from stdin")
	keep := fs.Bool("keep", false, "do not make the user change it at the next login")
	id, err := parseWithID(fs, args, "user ID")
	if err != nil {
		return err
	}
	if *fromStdin {
		pw, err := a.readSecret()
		if err != nil {
			return err
		}
		return a.svc.SetUserPassword(a.ctx, cliActor, id, pw, !*keep)
	}
	pw := rand.Text()
	if err := a.svc.SetUserPassword(a.ctx, cliActor, id, pw, !*keep); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "password\t%s\n", pw)
	return nil
}

func (a *admin) userSetPIN(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("user set-pin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fromStdin := fs.Bool("stdin", false, "read the PIN from stdin")
	id, err := parseWithID(fs, args, "user ID")
	if err != nil {
		return err
	}
	if *fromStdin {
		pin, err := a.readSecret()
		if err != nil {
			return err
		}
		return a.svc.SetUserPIN(a.ctx, cliActor, id, pin)
	}
	for range 20 {
		pin, err := randomDigits(8)
		if err != nil {
			return err
		}
		err = a.svc.SetUserPIN(a.ctx, cliActor, id, pin)
		if errors.Is(err, selfcare.ErrInvalid) {
			continue // a trivial random PIN; draw again
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "pin\t%s\n", pin)
		return nil
	}
	return errors.New("admin: no acceptable random PIN found; use -stdin")
}

// findGroup accepts a group's ID or its name, in any case.
func (a *admin) findGroup(key string) (acl.Group, error) {
	groups, err := a.svc.Directory().Groups(a.ctx)
	if err != nil {
		return acl.Group{}, err
	}
	for _, g := range groups {
		if g.ID == key || strings.EqualFold(g.Name, key) {
			return g, nil
		}
	}
	return acl.Group{}, fmt.Errorf("admin: group %q: %w", key, acl.ErrNotFound)
}

func (a *admin) findRole(key string) (acl.Role, error) {
	roles, err := a.svc.Directory().Roles(a.ctx)
	if err != nil {
		return acl.Role{}, err
	}
	for _, r := range roles {
		if r.ID == key || strings.EqualFold(r.Name, key) {
			return r, nil
		}
	}
	return acl.Role{}, fmt.Errorf("admin: role %q: %w", key, acl.ErrNotFound)
}

func (a *admin) groupList() error {
	groups, err := a.svc.Directory().Groups(a.ctx)
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tMIN RANK\tROLES")
	for _, g := range groups {
		kind := "custom"
		if g.Standard {
			kind = "standard"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", g.ID, g.Name, kind, g.MinRank,
			strings.Join(g.RoleIDs, ", "))
	}
	return tw.Flush()
}

func (a *admin) groupMembers(args []string) error {
	key, err := oneArg(args, "group")
	if err != nil {
		return err
	}
	g, err := a.findGroup(key)
	if err != nil {
		return err
	}
	ids, err := a.store.Members(a.ctx, g.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		fmt.Fprintln(a.stdout, id)
	}
	return nil
}

func (a *admin) groupMember(args []string, add bool) error {
	if len(args) != 2 {
		return errors.New("admin: expected GROUP USER")
	}
	g, err := a.findGroup(args[0])
	if err != nil {
		return err
	}
	if add {
		return a.svc.AddGroupMember(a.ctx, cliActor, g.ID, args[1])
	}
	return a.svc.RemoveGroupMember(a.ctx, cliActor, g.ID, args[1])
}

func (a *admin) roleList() error {
	roles, err := a.svc.Directory().Roles(a.ctx)
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tPRIVILEGES")
	for _, r := range roles {
		kind := "custom"
		if r.Standard {
			kind = "standard"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", r.ID, r.Name, kind, len(r.Privileges))
	}
	return tw.Flush()
}

func (a *admin) roleShow(args []string) error {
	key, err := oneArg(args, "role")
	if err != nil {
		return err
	}
	r, err := a.findRole(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s (%s)\n", r.Name, r.ID)
	tw := a.table()
	fmt.Fprintln(tw, "RESOURCE\tACCESS")
	for _, p := range r.Privileges {
		fmt.Fprintf(tw, "%s\t%s\n", p.Resource, p.Access)
	}
	return tw.Flush()
}

func (a *admin) audit(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 50, "number of events, newest first")
	user := fs.String("user", "", "only events by or about this user")
	action := fs.String("action", "", "only this action")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin: unexpected argument %q", fs.Arg(0))
	}
	if *n < 1 {
		return errors.New("admin: -n must be at least 1")
	}
	events, err := a.svc.Audit(a.ctx, selfcare.AuditFilter{Subject: *user, Action: *action,
		Limit: *n})
	if err != nil {
		return err
	}
	tw := a.table()
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tOUTCOME\tFROM\tDETAIL")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format("2006-01-02T15:04:05Z"),
			e.Actor, e.Action, e.Target, e.Outcome, e.RemoteAddr, e.Detail)
	}
	return tw.Flush()
}

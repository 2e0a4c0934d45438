// Command portal is the reference Self Care server: the portal under
// /ucmuser/ on an embedded SQLite database, with demo data on first start
// and an admin command line on the same data folder.
//
// Usage:
//
//	portal [-addr HOST:PORT] [-data DIR] [-tls-cert FILE -tls-key FILE]
//	portal admin [-data DIR] COMMAND ...
//
// Run "portal -h" or "portal admin -h" for the details.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	// The zone database in the binary: additional phones' ring schedules
	// name IANA time zones, and a host may have no /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Defaults of the flags; each has an environment variable too.
const (
	defaultAddr    = "127.0.0.1:8080"
	defaultDataDir = "selfcare-data"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

// run is main without the process: the tests call it.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "admin" {
		return runAdmin(ctx, args[1:], getenv, stdin, stdout, stderr)
	}

	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.Addr, "addr", envOr(getenv, "SELFCARE_ADDR", defaultAddr),
		"listen address (env SELFCARE_ADDR)")
	fs.StringVar(&o.DataDir, "data", envOr(getenv, "SELFCARE_DATA", defaultDataDir),
		"data folder: database, demo credentials (env SELFCARE_DATA)")
	fs.StringVar(&o.TLSCert, "tls-cert", getenv("SELFCARE_TLS_CERT"),
		"TLS certificate file; with -tls-key serves HTTPS and secure cookies (env SELFCARE_TLS_CERT)")
	fs.StringVar(&o.TLSKey, "tls-key", getenv("SELFCARE_TLS_KEY"),
		"TLS private key file (env SELFCARE_TLS_KEY)")
	logLevel := fs.String("log-level", envOr(getenv, "SELFCARE_LOG_LEVEL", "info"),
		"log level: debug, info, warn, error (env SELFCARE_LOG_LEVEL)")
	fs.BoolVar(&o.NoDemo, "no-demo", false, "do not create demo data in an empty data folder")
	o.Probe.flags(fs, getenv)
	activationKeyFlag(fs, getenv, &o.ActivationKey)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: portal [flags]\n       portal admin [-data DIR] COMMAND ...\n\n"+
			"Serves the Self Care portal under /ucmuser/. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	o.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	s, err := openServer(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Self Care portal: %s\n", s.URL())
	if s.demoFile != "" {
		fmt.Fprintf(stdout, "Demo users and their passwords: %s\n", s.demoFile)
	}

	<-ctx.Done()
	o.Logger.Info("shutting down")
	closeCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return s.Close(closeCtx)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := strings.TrimSpace(getenv(key)); v != "" {
		return v
	}
	return def
}

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
	"github.com/ucselfcare/portal/selfcare/web"
)

// options configure the server; flags and environment fill them in.
type options struct {
	Addr    string
	DataDir string
	TLSCert string
	TLSKey  string
	NoDemo  bool
	Logger  *slog.Logger
	// Now is the clock; nil means time.Now. Tests move it.
	Now func() time.Time
	// Hash overrides the password hashing cost; tests only.
	Hash selfcare.HashParams
	// Probe configures the hostAlive route (hostalive.go).
	Probe probeOptions
	// ActivationKey is the activation key's file; "" means the data
	// folder's (activation.go).
	ActivationKey string
	// KeyUse is what openStore may do with that file; zero is the
	// server's (activation.go).
	KeyUse keyUse
}

const dbFile = "selfcare.db"

// server is a running portal. openServer listens before it returns, so a
// caller that got a server can connect at once; Close shuts it down.
type server struct {
	log      *slog.Logger
	store    *sqlstore.Store
	svc      *selfcare.Service
	http     *http.Server
	ln       net.Listener
	tls      bool
	demoFile string

	stop    context.CancelFunc
	wg      sync.WaitGroup
	serveMu sync.Mutex
	served  error
}

// openStore opens the database in the data folder, creating the folder
// with owner-only permissions, and returns a service on it.
func openStore(ctx context.Context, o options) (*sqlstore.Store, *selfcare.Service, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data folder: %w", err)
	}
	st, err := sqlstore.Open(ctx, filepath.Join(o.DataDir, dbFile), sqlstore.Config{Logger: o.Logger})
	if err != nil {
		return nil, nil, err
	}
	ob, err := onboardingConfig(ctx, o, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	svc := selfcare.New(st, selfcare.Config{Logger: o.Logger, Now: o.Now, Hash: o.Hash,
		Prober: o.Probe.prober, Onboarding: ob})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("access control catalogue: %w", err)
	}
	return st, svc, nil
}

func openServer(ctx context.Context, o options) (_ *server, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}

	// Listen first and synchronously: a taken port or a bad certificate is
	// reported before anything is written to the data folder.
	ln, err := listen(o)
	if err != nil {
		return nil, err
	}
	var st *sqlstore.Store
	defer func() {
		if err != nil {
			ln.Close()
			if st != nil {
				st.Close()
			}
		}
	}()

	// The prober is built here, not in openStore, so that the admin
	// command line does not look for ICMP sockets.
	prober, err := o.Probe.build(o.Logger)
	if err != nil {
		return nil, fmt.Errorf("hostAlive: %w", err)
	}
	o.Probe.prober = prober
	st, svc, err := openStore(ctx, o)
	if err != nil {
		return nil, err
	}
	s := &server{log: o.Logger, store: st, svc: svc, ln: ln, tls: o.TLSCert != ""}

	// Demo data goes only into an empty database.
	if !o.NoDemo {
		s.demoFile, err = seedDemo(ctx, svc, st, o.DataDir)
		if err != nil {
			return nil, fmt.Errorf("demo data: %w", err)
		}
	}

	h, err := web.New(svc, web.Config{Logger: o.Logger, Secure: s.tls})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(web.DefaultPrefix, h)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, web.DefaultPrefix, http.StatusSeeOther)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.http = &http.Server{
		Handler:           baseHeaders(mux, s.tls),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}

	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		err := s.http.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) {
			s.serveMu.Lock()
			s.served = err
			s.serveMu.Unlock()
			o.Logger.Error("server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.purgeSessions(bg)
	}()
	o.Logger.Info("portal started", "url", s.URL(), "data", o.DataDir)
	return s, nil
}

// listen opens the listening socket, with TLS when a certificate is set.
func listen(o options) (net.Listener, error) {
	var cfg *tls.Config
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	return ln, nil
}

// baseHeaders gives the few routes outside the portal handler the
// headers that the handler sets on its own.
func baseHeaders(next http.Handler, secure bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if secure {
			hd.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}

// purgeSessions removes expired sessions now and then, so the table does
// not grow with abandoned logins.
func (s *server) purgeSessions(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.svc.PurgeExpiredSessions(ctx)
			if err != nil {
				s.log.Warn("purging expired sessions", "err", err)
				continue
			}
			s.log.Debug("purged expired sessions", "count", n)
		}
	}
}

// URL is the portal's address.
func (s *server) URL() string {
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String() + web.DefaultPrefix
}

// Close stops accepting requests, waits for those in flight until ctx
// ends, and closes the database.
func (s *server) Close(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.stop()
	s.wg.Wait()
	s.serveMu.Lock()
	err = errors.Join(err, s.served)
	s.serveMu.Unlock()
	err = errors.Join(err, s.store.Close())
	s.log.Info("portal stopped")
	return err
}

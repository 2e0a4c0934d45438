package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ucselfcare/portal/onboarding"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/sqlstore"
)

// activationKeyFile is the activation key's file in the data folder, made
// on first start unless the operator gives one.
const activationKeyFile = "activation.key"

// activationKeyFlag registers -activation-key into path, with its default
// from the environment, on the server's and the admin command line's flags
// alike.
func activationKeyFlag(fs *flag.FlagSet, getenv func(string) string, path *string) {
	fs.StringVar(path, "activation-key", getenv("SELFCARE_ACTIVATION_KEY"),
		"file holding the activation key that seals activation codes (default DATA/"+
			activationKeyFile+", created on first start; env SELFCARE_ACTIVATION_KEY)")
}

// onboardingConfig loads the activation key and returns device activation
// for the service on st. A key file the operator names must exist; the
// data folder's own is created, mode 0600, on first start. Either must be
// readable by its owner only.
func onboardingConfig(o options, st *sqlstore.Store) (selfcare.OnboardingConfig, error) {
	path := o.ActivationKey
	if path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: %w", err)
		}
	} else {
		path = filepath.Join(o.DataDir, activationKeyFile)
	}
	key, created, err := onboarding.LoadOrCreateKeyFile(path)
	if err != nil {
		return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: %w", err)
	}
	if created {
		o.Logger.Info("activation key created; back it up, but not beside the "+
			"database's backups", "path", path)
	}
	sealer, err := onboarding.NewSealer(key)
	if err != nil {
		return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: %w", err)
	}
	return selfcare.OnboardingConfig{Store: st.Onboarding(), Sealer: sealer}, nil
}

// demoActivation gives the demo user a third phone, provisioned without
// its MAC and awaiting activation, so that My Phones shows a code at once.
// Any Cisco 8845 redeems it, for example examples/phonesim with a made-up
// MAC.
func demoActivation(ctx context.Context, svc *selfcare.Service) error {
	da, err := svc.DeviceAdmin(selfcare.LocalCaller("demo"))
	if err != nil {
		return err
	}
	d, err := da.Provision(ctx, onboarding.Provision{Model: "Cisco 8845",
		Owner: "demo.user"}, true)
	if err != nil {
		return err
	}
	err = svc.PutDevice(ctx, "demo", selfcare.Device{Name: d.Name, Owner: d.Owner,
		Model: d.Model, AdminDescription: "Dana Demo - new desk phone",
		Lines: []selfcare.Line{{Index: 1, Extension: "2001"}}})
	return err
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

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
		"file holding the activation key that seals activation codes and phone "+
			"service secrets (default DATA/"+
			activationKeyFile+", made by the server on first start; env "+
			"SELFCARE_ACTIVATION_KEY)")
}

// keyUse says what openStore may do with the activation key file.
type keyUse int

const (
	// keyServer is the server's use, the zero value: it makes the data
	// folder's key file when none exists, but only for a database that
	// holds no codes sealed under some key yet.
	keyServer keyUse = iota
	// keyCommand is the admin command line's: the key file must exist,
	// and is never made, for a key the server does not use would seal
	// codes that nobody can redeem.
	keyCommand
	// keyDiscard is "admin code discard-key": no key is loaded, since the
	// command's job is to forget the stored one; device activation is off.
	keyDiscard
)

// discardKeyHint tells an operator how to give up codes sealed under a key
// that is lost.
const discardKeyHint = `or, to give up every code awaiting activation, run ` +
	`"portal admin code discard-key -confirm" (audited) and issue the codes again`

// onboardingConfig loads the activation key and returns device activation
// for the service on st. A key file the operator names must exist; the
// data folder's own is made, mode 0600, by the server alone, and only for
// a database that holds no codes sealed under a key yet. Either must be
// readable by its owner only, and be the key whose check value the
// database holds: a lost or replaced key is refused with what to do,
// rather than let codes become unreadable without a word.
func onboardingConfig(ctx context.Context, o options, st *sqlstore.Store) (
	selfcare.OnboardingConfig, error) {
	if o.KeyUse == keyDiscard {
		return selfcare.OnboardingConfig{}, nil
	}
	ob := st.Onboarding()
	path, named := o.ActivationKey, o.ActivationKey != ""
	if !named {
		path = filepath.Join(o.DataDir, activationKeyFile)
	}
	recorded, err := onboarding.KeyRecorded(ctx, ob)
	if err != nil {
		return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: %w", err)
	}

	var key []byte
	if o.KeyUse == keyServer && !named && !recorded {
		var created bool
		if key, created, err = onboarding.LoadOrCreateKeyFile(path); err != nil {
			return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: %w", err)
		}
		if created && o.Logger != nil {
			o.Logger.Info("activation key created; back it up, but not beside the "+
				"database's backups", "path", path)
		}
	} else if key, err = onboarding.LoadKeyFile(path); err != nil {
		return selfcare.OnboardingConfig{}, missingKey(o, path, named, recorded, err)
	}
	sealer, err := onboarding.NewSealer(key)
	if err != nil {
		return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: %w", err)
	}

	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	err = onboarding.VerifyKey(ctx, ob, sealer, now())
	if errors.Is(err, onboarding.ErrKeyMismatch) {
		return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: the key in %s is "+
			"not the one that sealed the activation codes in the database (%w). Restore "+
			"the right key file, or name it with -activation-key; %s", path, err,
			discardKeyHint)
	}
	if err != nil {
		return selfcare.OnboardingConfig{}, fmt.Errorf("activation key: %w", err)
	}
	return selfcare.OnboardingConfig{Store: ob, Sealer: sealer}, nil
}

// missingKey explains a key file that cannot be read, err, with what to
// do about it.
func missingKey(o options, path string, named, recorded bool, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("activation key: %w", err)
	}
	switch {
	case named:
		return fmt.Errorf("activation key: %s does not exist; a key file named with "+
			"-activation-key is never made: %w", path, err)
	case o.KeyUse == keyCommand && !recorded:
		return fmt.Errorf("activation key: %s does not exist, and the command line "+
			"never makes one: start the portal once, which does, or give the server's "+
			"key file with -activation-key (env SELFCARE_ACTIVATION_KEY): %w", path, err)
	case o.KeyUse == keyCommand:
		return fmt.Errorf("activation key: %s does not exist, and the command line "+
			"never makes one: give the key file that the server uses with "+
			"-activation-key (env SELFCARE_ACTIVATION_KEY). If that key is lost, "+
			"restore it from a backup; %s: %w", path, discardKeyHint, err)
	}
	return fmt.Errorf("activation key: %s does not exist, but the database holds "+
		"activation codes sealed under a key, which a new one cannot open. Restore that "+
		"key file, or name it with -activation-key (env SELFCARE_ACTIVATION_KEY); %s: %w",
		path, discardKeyHint, err)
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

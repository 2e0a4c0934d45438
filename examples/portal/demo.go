package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
)

const demoCredentialsFile = "demo-credentials.txt"

// demoUser is one account of the demo data.
type demoUser struct {
	user    selfcare.User
	groups  []string
	devices []selfcare.Device
	purpose string
}

func demoUsers() []demoUser {
	return []demoUser{
		{
			user:    selfcare.User{ID: "demo.user", FirstName: "Dana", LastName: "Demo", Locale: "en_US"},
			groups:  []string{acl.GroupStandardCCMEndUsers},
			purpose: "end user with three phones, one ready to activate; may use Self Care",
			devices: []selfcare.Device{
				{Name: "SEP00A1B2C3D401", Owner: "demo.user", Model: "Cisco 8845",
					AdminDescription: "Dana Demo - desk phone",
					Lines: []selfcare.Line{{Index: 1, Extension: "2001"},
						{Index: 2, Extension: "2002", Label: "Team line"}}},
				{Name: "SEP00A1B2C3D402", Owner: "demo.user", Model: "Cisco 7841",
					AdminDescription: "Dana Demo - home office",
					Lines:            []selfcare.Line{{Index: 1, Extension: "2001"}}},
			},
		},
		{
			user:    selfcare.User{ID: "demo.norole", FirstName: "Noel", LastName: "Norole", Locale: "en_US"},
			purpose: "user without the Standard CCM End Users role; Self Care refuses them",
			devices: []selfcare.Device{
				{Name: "SEP00A1B2C3D403", Owner: "demo.norole", Model: "Cisco 7841",
					AdminDescription: "Noel Norole - desk phone",
					Lines:            []selfcare.Line{{Index: 1, Extension: "2003"}}},
			},
		},
		{
			user:    selfcare.User{ID: "demo.admin", FirstName: "Ada", LastName: "Admin", Locale: "en_US"},
			groups:  []string{acl.GroupStandardCCMSuperUsers},
			purpose: "administrator (Standard CCM Super Users), for the admin API",
		},
	}
}

// seedDemo fills an empty database with the demo users and writes their
// random credentials to the data folder, readable by the owner only. It
// returns the file's path, or "" when the database already had users.
func seedDemo(ctx context.Context, svc *selfcare.Service, users selfcare.UserStore,
	dir string) (string, error) {
	existing, err := users.Users(ctx)
	if err != nil {
		return "", err
	}
	if len(existing) > 0 {
		return "", nil
	}

	var out bytes.Buffer
	for _, d := range demoUsers() {
		pw, pin, err := createWithRandomCredentials(ctx, svc, "demo", d.user)
		if err != nil {
			return "", fmt.Errorf("user %s: %w", d.user.ID, err)
		}
		for _, g := range d.groups {
			if err := svc.AddGroupMember(ctx, "demo", g, d.user.ID); err != nil {
				return "", fmt.Errorf("user %s: %w", d.user.ID, err)
			}
		}
		for _, dev := range d.devices {
			if err := svc.PutDevice(ctx, "demo", dev); err != nil {
				return "", fmt.Errorf("device %s: %w", dev.Name, err)
			}
		}
		fmt.Fprintf(&out, "%s\t%s\t%s\t%s\n", d.user.ID, pw, pin, d.purpose)
	}
	if err := demoActivation(ctx, svc); err != nil {
		return "", fmt.Errorf("phone ready to activate: %w", err)
	}
	// One contact on Dana's desk phone; her home-office phone has none,
	// since contacts belong to a phone.
	if cs, ok := users.(selfcare.ContactStore); ok {
		_, err := cs.CreateContact(ctx, "demo.user", selfcare.Contact{
			ID: "de0000000000c001", Device: "SEP00A1B2C3D401", FirstName: "Sam",
			LastName: "Support", Company: "IT Help Desk", Email: "help@example.com",
			Methods: []selfcare.ContactMethod{{Type: selfcare.ContactWork, Number: "2100"},
				{Type: selfcare.ContactMobile, Number: "+15555550123"}}},
			selfcare.DefaultMaxContactsPerPhone)
		if err != nil {
			return "", fmt.Errorf("phone contact: %w", err)
		}
	}
	if err := demoPhoneServices(ctx, svc); err != nil {
		return "", fmt.Errorf("phone services: %w", err)
	}
	// Line settings of Dana's desk line 2001: the light without the screen
	// prompt, and a label that shows once an administrator shows labels.
	if ls, ok := users.(selfcare.LineSettingsStore); ok {
		l := selfcare.DefaultLineSettings("SEP00A1B2C3D401", 1)
		l.Owner, l.Extension, l.Label = "demo.user", "2001", "Reception"
		l.MWIVisual = selfcare.MWILightOnly
		if _, err := ls.UpdateLineSettings(ctx, l); err != nil {
			return "", fmt.Errorf("line settings: %w", err)
		}
	}
	// Dana named her home-office phone herself and reads it in French.
	if ps, ok := users.(selfcare.PhoneSettingsStore); ok {
		_, err := ps.UpdatePhoneSettings(ctx, selfcare.PhoneSettings{
			Device: "SEP00A1B2C3D402", Owner: "demo.user", Description: "Kitchen table",
			PhoneLocale: "fr_FR"})
		if err != nil {
			return "", fmt.Errorf("phone settings: %w", err)
		}
	}
	// Dana's mobile rings with her lines on weekday office hours.
	if rs, ok := users.(selfcare.RemoteDestinationStore); ok {
		d := selfcare.DefaultRemoteDestination("demo.user", "America/New_York")
		d.ID, d.Number, d.Description = "0123456789abcdef01234567", "+14085550123", "Mobile"
		for day := 1; day <= 5; day++ {
			d.Schedule = append(d.Schedule, selfcare.ScheduleRow{Day: day, Start: "08:00",
				End: "18:00"})
		}
		if _, err := rs.CreateRemoteDestination(ctx, d,
			selfcare.DefaultRemoteDestinationLimit); err != nil {
			return "", fmt.Errorf("remote destination: %w", err)
		}
	}
	// Dana's Conference Now is on, with an access code she gives attendees.
	if cs, ok := users.(selfcare.ConferencingStore); ok {
		_, err := cs.UpdateConferencing(ctx, selfcare.Conferencing{UserID: "demo.user",
			Enabled: true, AccessCode: "739164"})
		if err != nil {
			return "", fmt.Errorf("conferencing: %w", err)
		}
	}

	// Write then rename, so the file is either whole or absent.
	path := filepath.Join(dir, demoCredentialsFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return path, nil
}

// createWithRandomCredentials creates u with a random password and PIN.
// A random PIN can be trivial (say 11123456), so the service's own policy
// decides and another one is drawn when it refuses.
func createWithRandomCredentials(ctx context.Context, svc *selfcare.Service, actor string,
	u selfcare.User) (password, pin string, err error) {
	for range 20 {
		password = rand.Text()
		if pin, err = randomDigits(8); err != nil {
			return "", "", err
		}
		err = svc.CreateUser(ctx, actor, u, password, pin)
		if !errors.Is(err, selfcare.ErrInvalid) {
			return password, pin, err
		}
	}
	return "", "", err
}

func randomDigits(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b), nil
}

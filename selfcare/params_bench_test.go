package selfcare_test

import (
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/params"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// BenchmarkAuthenticate is the session check of every request on
// memstore, which now syncs the parameters as well as the acl cache, and
// a gate check as a page's navigation makes it.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := b.Context()
	svc := selfcare.New(memstore.New(), selfcare.Config{Hash: cheapHash})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		b.Fatal(err)
	}
	u := selfcare.User{ID: testUser, FirstName: "Alice"}
	if err := svc.CreateUser(ctx, "", u, testPassword, testPIN); err != nil {
		b.Fatal(err)
	}
	if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, testUser); err != nil {
		b.Fatal(err)
	}
	tok, p, err := svc.Login(ctx, testUser, testPassword, testAddr)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Authenticate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := svc.CheckFeature(ctx, p, params.FeatureChangePIN); err != nil {
				b.Fatal(err)
			}
		}
	})
}

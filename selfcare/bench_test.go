package selfcare_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ucselfcare/portal/acl"
	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
)

// BenchmarkHashRaw is one argon2id verification with the default
// parameters: the floor that a login cannot beat.
func BenchmarkHashRaw(b *testing.B) {
	h, err := selfcare.HashSecret(nil, selfcare.HashParams{}, testPassword)
	if err != nil {
		b.Fatal(err)
	}
	verify := func() {
		ok, _, err := selfcare.VerifySecret(h, testPassword, selfcare.HashParams{})
		if err != nil || !ok {
			b.Fatalf("VerifySecret = %t, %v", ok, err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			verify()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				verify()
			}
		})
	})
}

// BenchmarkLogin is a full successful Login on memstore with the default
// parameters: lookups, counters, one verification, a new session, audit.
// In parallel each goroutine logs in as its own user, as real users do;
// many simultaneous logins of one account would count against its
// failed-logon allowance while they are in flight.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	svc := selfcare.New(memstore.New(), selfcare.Config{})
	if err := svc.Directory().EnsureStandard(ctx); err != nil {
		b.Fatal(err)
	}
	const users = 256
	for i := range users {
		id := fmt.Sprintf("user%03d", i)
		if err := svc.CreateUser(ctx, "", selfcare.User{ID: id}, testPassword,
			testPIN); err != nil {
			b.Fatal(err)
		}
		if err := svc.AddGroupMember(ctx, "", acl.GroupStandardCCMEndUsers, id); err != nil {
			b.Fatal(err)
		}
	}
	login := func(id string) {
		if _, _, err := svc.Login(ctx, id, testPassword, testAddr); err != nil {
			b.Fatalf("Login(%s): %v", id, err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			login("user000")
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			id := fmt.Sprintf("user%03d", next.Add(1)%users)
			for pb.Next() {
				login(id)
			}
		})
	})
}

package storetest_test

import (
	"testing"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/storetest"
)

// A store's own test file runs the whole suite against fresh stores. A
// store kept in a file should open one under t.TempDir() and close it with
// t.Cleanup.
func ExampleRun() {
	conformance := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) selfcare.Store { return memstore.New() })
	}
	_ = conformance // in a real test file: func TestConformance(t *testing.T)
}

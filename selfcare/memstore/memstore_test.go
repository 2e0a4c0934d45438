package memstore_test

import (
	"testing"

	"github.com/ucselfcare/portal/selfcare"
	"github.com/ucselfcare/portal/selfcare/memstore"
	"github.com/ucselfcare/portal/selfcare/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) selfcare.Store { return memstore.New() })
}

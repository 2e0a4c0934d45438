package params_test

import (
	"context"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// The portal reads parameters on every request: a getter, the feature set
// and one Sync that finds nothing new are the hot path.

func BenchmarkValuesBool(b *testing.B) {
	v := params.Defaults()
	for b.Loop() {
		_ = v.Bool(params.KeyShowChangePIN)
	}
}

func BenchmarkZeroValuesBool(b *testing.B) {
	var v params.Values
	for b.Loop() {
		_ = v.Bool(params.KeyShowDoNotDisturb) // the last key of its group
	}
}

func BenchmarkFeaturesCheck(b *testing.B) {
	f := params.FeaturesOf(params.Defaults())
	for b.Loop() {
		_ = f.Check(params.FeatureDoNotDisturb)
	}
}

func BenchmarkFeaturesOf(b *testing.B) {
	v := params.Defaults()
	for b.Loop() {
		_ = params.FeaturesOf(v)
	}
}

func BenchmarkCacheSyncUnchanged(b *testing.B) {
	ctx := context.Background()
	c := params.NewCache(newMemStore(), params.CacheConfig{})
	syncCache(b, c)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Sync(ctx); err != nil {
				b.Error(err)
				return
			}
			_ = c.Features()
		}
	})
}

func BenchmarkNewValues(b *testing.B) {
	cl := testCluster(b)
	raw := map[string]string{}
	for _, d := range params.Definitions() {
		raw[d.Key] = d.Default
	}
	for b.Loop() {
		if _, err := params.NewValues(raw, cl); err != nil {
			b.Fatal(err)
		}
	}
}

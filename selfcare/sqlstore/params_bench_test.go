package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/ucselfcare/portal/params"
)

// BenchmarkParamsSync is what every request pays for the parameters on
// SQLite: unchanged, one read of the generation; changed, a reload of the
// values and the servers as well.
func BenchmarkParamsSync(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	var plan []params.Change
	for _, d := range params.Definitions() {
		plan = append(plan, params.Change{Key: d.Key, New: d.Default})
	}
	if err := s.UpdateParams(ctx, generation(b, s), plan); err != nil {
		b.Fatal(err)
	}
	if err := s.SetServers(ctx, generation(b, s), []params.Server{
		{Name: "cucm-pub", Publisher: true}, {Name: "cucm-sub1"}, {Name: "cucm-sub2"},
	}); err != nil {
		b.Fatal(err)
	}
	cache := params.NewCache(s, params.CacheConfig{})

	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := cache.Sync(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reload", func(b *testing.B) {
		// The change, as another process would make it, is outside the
		// timing.
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			if err := s.UpdateParams(ctx, generation(b, s), plan[:1]); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := cache.Sync(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

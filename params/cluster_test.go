package params_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ucselfcare/portal/params"
)

func TestNewCluster(t *testing.T) {
	pub := params.Server{Name: "pub", Publisher: true}
	tests := []struct {
		name    string
		servers []params.Server
		ok      bool
	}{
		{"empty_is_a_fresh_install", nil, true},
		{"publisher_alone", []params.Server{pub}, true},
		{"publisher_and_subscribers",
			[]params.Server{{Name: "sub1"}, pub, {Name: "10.0.0.3"}, {Name: "fe80::1"}}, true},
		{"no_publisher_refused", []params.Server{{Name: "sub1"}}, false},
		{"two_publishers_refused", []params.Server{pub, {Name: "b", Publisher: true}}, false},
		{"duplicate_names_refused", []params.Server{pub, {Name: "sub"}, {Name: "SUB"}}, false},
		{"empty_name_refused", []params.Server{pub, {Name: ""}}, false},
		{"none_is_reserved", []params.Server{pub, {Name: "none"}}, false},
		{"space_refused", []params.Server{pub, {Name: "a b"}}, false},
		{"slash_refused", []params.Server{pub, {Name: "a/b"}}, false},
		{"punctuation_only_refused", []params.Server{pub, {Name: "..."}}, false},
		{"too_long_refused", []params.Server{pub, {Name: strings.Repeat("a", 254)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := params.NewCluster(tt.servers...)
			if (err == nil) != tt.ok {
				t.Fatalf("NewCluster = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				var ve *params.ValidationError
				if !errors.As(err, &ve) || !errors.Is(err, params.ErrInvalid) {
					t.Errorf("%v is not a ValidationError", err)
				}
				if c.Len() != 0 {
					t.Error("a refused cluster has servers")
				}
				return
			}
			if c.Len() != len(tt.servers) {
				t.Errorf("Len = %d", c.Len())
			}
		})
	}
}

func TestClusterIsImmutable(t *testing.T) {
	in := []params.Server{{Name: "pub", Publisher: true}, {Name: "sub"}}
	c, err := params.NewCluster(in...)
	if err != nil {
		t.Fatal(err)
	}
	in[0].Name = "changed"
	out := c.Servers()
	out[1].Name = "changed"
	want := []params.Server{{Name: "pub", Publisher: true}, {Name: "sub"}}
	if diff := cmp.Diff(want, c.Servers()); diff != "" {
		t.Errorf("servers changed through a slice (-want +got):\n%s", diff)
	}
}

func TestClusterWithAndWithout(t *testing.T) {
	c := testCluster(t)

	t.Run("first_server_must_be_the_publisher", func(t *testing.T) {
		if _, err := (params.Cluster{}).With(params.Server{Name: "sub"}); err == nil {
			t.Error("a cluster of one subscriber was accepted")
		}
	})
	t.Run("adding_a_subscriber", func(t *testing.T) {
		got, err := c.With(params.Server{Name: "cucm-sub3.example.com"})
		if err != nil || got.Len() != 4 || c.Len() != 3 {
			t.Fatalf("got %d servers, %v; original %d", got.Len(), err, c.Len())
		}
	})
	t.Run("promoting_moves_the_publisher_and_keeps_the_spelling", func(t *testing.T) {
		got, err := c.With(params.Server{Name: "CUCM-SUB1.example.com", Publisher: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []params.Server{
			{Name: "cucm-pub.example.com"},
			{Name: "cucm-sub1.example.com", Publisher: true},
			{Name: "cucm-sub2.example.com"},
		}
		if diff := cmp.Diff(want, got.Servers()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("demoting_the_publisher_refused", func(t *testing.T) {
		_, err := c.With(params.Server{Name: "cucm-pub.example.com"})
		if !errors.Is(err, params.ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
	t.Run("removing_a_subscriber", func(t *testing.T) {
		got, err := c.Without("cucm-sub2.EXAMPLE.com")
		if err != nil || got.Len() != 2 {
			t.Fatalf("got %d servers, %v", got.Len(), err)
		}
		if _, ok := got.Server("cucm-sub2.example.com"); ok {
			t.Error("still there")
		}
	})
	t.Run("removing_the_publisher_of_others_refused", func(t *testing.T) {
		if _, err := c.Without("cucm-pub.example.com"); !errors.Is(err, params.ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
	t.Run("removing_the_last_server", func(t *testing.T) {
		one, _ := params.NewCluster(params.Server{Name: "pub", Publisher: true})
		got, err := one.Without("pub")
		if err != nil || got.Len() != 0 {
			t.Errorf("got %d servers, %v", got.Len(), err)
		}
	})
	t.Run("removing_an_unknown_server", func(t *testing.T) {
		if _, err := c.Without("nowhere"); !errors.Is(err, params.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
}

func TestDefaultServer(t *testing.T) {
	c := testCluster(t)
	pub := params.Server{Name: "cucm-pub.example.com", Publisher: true}
	sub1 := params.Server{Name: "cucm-sub1.example.com"}
	shrunk, err := c.Without(sub1.Name)
	if err != nil {
		t.Fatal(err)
	}
	pointsAtSub1 := mustValues(t,
		map[string]string{params.KeyDefaultServer: "cucm-sub1.example.com"}, c)
	// The same stored value, loaded after sub1 was removed: refused.
	stale, _ := params.NewValues(
		map[string]string{params.KeyDefaultServer: "cucm-sub1.example.com"}, shrunk)

	tests := []struct {
		name string
		v    params.Values
		c    params.Cluster
		want params.Server
		ok   bool
	}{
		{"none_means_the_publisher", params.Defaults(), c, pub, true},
		{"named_server", pointsAtSub1, c, sub1, true},
		{"named_server_removed_since_the_snapshot", pointsAtSub1, shrunk, pub, true},
		{"stored_name_refused_at_load", stale, shrunk, pub, true},
		{"empty_cluster_has_no_server", params.Defaults(), params.Cluster{}, params.Server{},
			false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := params.DefaultServer(tt.v, tt.c)
			if got != tt.want || ok != tt.ok {
				t.Errorf("DefaultServer = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if s, _ := stale.Setting(params.KeyDefaultServer); s.Err == nil {
		t.Error("a stored name of a removed server is not reported")
	}
}

package params

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxServerNameLen is the longest server name: the length of a DNS name.
const MaxServerNameLen = 253

// Server is one server of the cluster, named as clients reach it: a host
// name, a fully qualified domain name or an IP address.
type Server struct {
	Name string
	// Publisher marks the server that holds the master copy of the
	// database; a cluster has exactly one.
	Publisher bool
}

// Cluster is the set of configured servers. It is immutable and always
// valid: a non-empty cluster has exactly one publisher and no two servers
// whose names differ only in case. The zero Cluster has no servers, the
// state of a fresh installation.
type Cluster struct {
	servers []Server // sorted by name
}

// NewCluster returns the cluster of the given servers, or an error joining
// a [*ValidationError] for each problem.
func NewCluster(servers ...Server) (Cluster, error) {
	var errs []error
	pubs := 0
	for i, s := range servers {
		if err := ValidateServerName(s.Name); err != nil {
			errs = append(errs, err)
		}
		if s.Publisher {
			pubs++
		}
		for _, t := range servers[:i] {
			if strings.EqualFold(s.Name, t.Name) {
				errs = append(errs, fieldError("Name", "Server name", s.Name,
					"a name no other server has", "duplicate"))
				break
			}
		}
	}
	if len(servers) > 0 && pubs != 1 {
		errs = append(errs, fieldError("Publisher", "Publisher",
			fmt.Sprintf("%d publishers", pubs), "exactly one publisher",
			"a cluster has one publisher"))
	}
	if len(errs) > 0 {
		return Cluster{}, errors.Join(errs...)
	}
	c := Cluster{servers: slices.Clone(servers)}
	slices.SortFunc(c.servers, func(a, b Server) int {
		return strings.Compare(a.Name, b.Name)
	})
	return c, nil
}

// ValidateServerName checks a server name: 1 to 253 characters among
// letters, digits, '.', '-', '_' and ':' (for IPv6 addresses), with at least
// one letter or digit, and not [ServerNone], which the Self Care Portal
// Default Server parameter keeps for "no server". The error is a
// [*ValidationError].
func ValidateServerName(name string) error {
	const rule = "1 to 253 letters, digits, '.', '-', '_' or ':', not None"
	refuse := func(reason string) error {
		return fieldError("Name", "Server name", name, rule, reason)
	}
	switch {
	case name == "":
		return refuse("empty")
	case len(name) > MaxServerNameLen:
		return refuse("too long")
	case strings.EqualFold(name, ServerNone):
		return refuse("reserved")
	}
	alnum := false
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			alnum = true
		case c == '.', c == '-', c == '_', c == ':':
		default:
			return refuse("character not allowed")
		}
	}
	if !alnum {
		return refuse("no letter or digit")
	}
	return nil
}

// Servers returns the servers sorted by name. The slice is a copy.
func (c Cluster) Servers() []Server { return slices.Clone(c.servers) }

// Len returns the number of servers.
func (c Cluster) Len() int { return len(c.servers) }

// Server returns the server whose name matches, ignoring case, as host
// names do.
func (c Cluster) Server(name string) (Server, bool) {
	for _, s := range c.servers {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Server{}, false
}

// Publisher returns the publisher, or false for an empty cluster.
func (c Cluster) Publisher() (Server, bool) {
	for _, s := range c.servers {
		if s.Publisher {
			return s, true
		}
	}
	return Server{}, false
}

// With returns the cluster with s added, or replacing the server of the
// same name (ignoring case). A publisher s takes the role from the former
// publisher. The first server must be the publisher, and the publisher
// cannot be demoted except by promoting another: errors are those of
// [NewCluster].
func (c Cluster) With(s Server) (Cluster, error) {
	out := make([]Server, 0, len(c.servers)+1)
	for _, t := range c.servers {
		if strings.EqualFold(t.Name, s.Name) {
			continue
		}
		if s.Publisher {
			t.Publisher = false
		}
		out = append(out, t)
	}
	return NewCluster(append(out, s)...)
}

// Without returns the cluster without the named server. It returns an
// error matching [ErrNotFound] when there is no such server, and a
// [*ValidationError] when it is the publisher and other servers remain:
// promote another server first.
func (c Cluster) Without(name string) (Cluster, error) {
	i := slices.IndexFunc(c.servers, func(s Server) bool {
		return strings.EqualFold(s.Name, name)
	})
	if i < 0 {
		return c, fmt.Errorf("params: server %s: %w", quoteShort(name), ErrNotFound)
	}
	return NewCluster(slices.Delete(slices.Clone(c.servers), i, i+1)...)
}

// DefaultServer returns the server that clients should use for embedded
// Self Care pages: the one Self Care Portal Default Server names, or the
// publisher when it is None. It is also the publisher when the named server
// is no longer in c, so that clients keep a server that exists; the admin
// listing shows the stored name as refused (see [Setting]), and the service
// may refuse to remove a server the parameter names. It returns false only
// when c has no servers.
func DefaultServer(v Values, c Cluster) (Server, bool) {
	if name := v.DefaultServerName(); name != ServerNone {
		if s, ok := c.Server(name); ok {
			return s, true
		}
	}
	return c.Publisher()
}

package params

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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
					"a name that no other server has, ignoring letter case",
					fmt.Sprintf("the server %s has the same name", QuoteValue(t.Name))))
				break
			}
		}
	}
	if len(servers) > 0 && pubs != 1 {
		errs = append(errs, fieldError("Publisher", "Number of publishers",
			strconv.Itoa(pubs), "1 (the first server added is the publisher; to move "+
				"the role, make another server the publisher)",
			"a cluster with servers has exactly one publisher"))
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

// serverNameRule is what [ValidateServerName] allows, for messages.
const serverNameRule = "a DNS name of at most 253 characters (labels of letters, " +
	"digits and inner hyphens, 1 to 63 long, joined by single dots) or an IP " +
	"address, not None"

// ValidateServerName checks a server name: an IPv4 or IPv6 address, or a
// DNS host name of at most 253 characters made of labels of 1 to 63 ASCII
// letters, digits and hyphens, not starting or ending with a hyphen, joined
// by single dots, whose last label is not all digits (that would be a
// mistyped address). Underscores are allowed inside labels, as some sites
// name hosts with them. [ServerNone], which the Self Care Portal Default
// Server parameter keeps for "no server", is refused in any letter case.
// The error is a [*ValidationError].
//
// Names compare without regard to letter case, as DNS does; see [Cluster].
func ValidateServerName(name string) error {
	refuse := func(reason string) error {
		return fieldError("Name", "Server name", name, serverNameRule, reason)
	}
	switch {
	case name == "":
		return refuse("it is empty")
	case utf8.RuneCountInString(name) > MaxServerNameLen:
		return refuse(fmt.Sprintf("it is longer than %d characters", MaxServerNameLen))
	case strings.EqualFold(name, ServerNone):
		return refuse("None is kept for the parameter's \"no server\"")
	}
	if strings.Contains(name, ":") {
		// Only an IPv6 address has colons; a zone (%eth0) means nothing
		// to a client elsewhere.
		if a, err := netip.ParseAddr(name); err == nil && a.Is6() && a.Zone() == "" {
			return nil
		}
		return refuse("it has a colon but is not an IPv6 address")
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return nil
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if reason := checkLabel(l); reason != "" {
			return refuse(reason)
		}
	}
	if asciiDigits(labels[len(labels)-1]) {
		return refuse("it is not an IPv4 address, and a DNS name does not end " +
			"with a label of digits only")
	}
	return nil
}

// checkLabel says why l is not a label of a DNS host name, or "".
func checkLabel(l string) string {
	switch {
	case l == "":
		return "it has an empty label (a leading, trailing or doubled dot)"
	case len(l) > 63:
		return "it has a label longer than 63 characters"
	case l[0] == '-' || l[len(l)-1] == '-':
		return "a label starts or ends with a hyphen"
	}
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_':
		default:
			return fmt.Sprintf("it contains %s, which a DNS name does not allow",
				QuoteValue(string(firstRune(l[i:]))))
		}
	}
	return ""
}

// firstRune returns the first character of s, or the replacement
// character for an invalid byte.
func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
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

// With returns the cluster with s added, or with the server of the same
// name changed to s's role. Names compare without regard to letter case
// and keep the spelling first given: s.Name in other case changes no name,
// so that a parameter naming the server keeps naming it as stored. A
// publisher s takes the role from the former publisher. The first server
// must be the publisher, and the publisher cannot be demoted except by
// promoting another: errors are those of [NewCluster].
func (c Cluster) With(s Server) (Cluster, error) {
	out := make([]Server, 0, len(c.servers)+1)
	for _, t := range c.servers {
		if strings.EqualFold(t.Name, s.Name) {
			s.Name = t.Name
			continue
		}
		if s.Publisher {
			t.Publisher = false
		}
		out = append(out, t)
	}
	return NewCluster(append(out, s)...)
}

// Equal reports whether c and d have the same servers, spelled alike, with
// the same publisher.
func (c Cluster) Equal(d Cluster) bool { return slices.Equal(c.servers, d.servers) }

// Without returns the cluster without the named server. It returns a
// [*NotFoundError] when there is no such server, and a [*ValidationError]
// when it is the publisher and other servers remain: promote another
// server first. [PlanRemoveServer] also minds the parameters.
func (c Cluster) Without(name string) (Cluster, error) {
	i := slices.IndexFunc(c.servers, func(s Server) bool {
		return strings.EqualFold(s.Name, name)
	})
	if i < 0 {
		return c, &NotFoundError{Thing: ThingServer, Name: name}
	}
	return NewCluster(slices.Delete(slices.Clone(c.servers), i, i+1)...)
}

// PlanRemoveServer returns the cluster without the named server and the
// server as c spells it. It refuses, with an [*InUseError], the server
// that Self Care Portal Default Server names in v, and the publisher while
// other servers remain; an unknown server yields a [*NotFoundError].
//
// The check reads v and c, a snapshot; a caller storing the result must
// store it only if neither changed meanwhile (see [Store.SetServers]).
func PlanRemoveServer(v Values, c Cluster, name string) (Cluster, Server, error) {
	srv, ok := c.Server(name)
	if !ok {
		return c, Server{}, &NotFoundError{Thing: ThingServer, Name: name}
	}
	if strings.EqualFold(v.DefaultServerName(), srv.Name) {
		d := lookup(KeyDefaultServer)
		return c, srv, &InUseError{Thing: ThingServer, Name: srv.Name,
			Reason: fmt.Sprintf("the parameter %s names it",
				label(strconv.Quote(d.DisplayName), d.Key)),
			Remedy:   "Set that parameter to another server or None first",
			ParamKey: d.Key, ParamDisplayName: d.DisplayName}
	}
	if srv.Publisher && c.Len() > 1 {
		return c, srv, &InUseError{Thing: ThingServer, Name: srv.Name,
			Reason: "it is the publisher, and other servers remain",
			Remedy: "Make another server the publisher first"}
	}
	next, err := c.Without(srv.Name)
	return next, srv, err
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

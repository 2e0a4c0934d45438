package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ucselfcare/portal/selfcare"
)

const remoteDestUsage = `Additional phones (remote destinations):

  remote-destination limit USER            the user's limit and how many they have
  remote-destination limit USER N|default  sets the user's limit (0 to 50), or
                                           returns them to the portal's default

The limit applies to new additional phones; existing ones over a lowered
limit stay. Changes are audited as "cli".
`

// remoteDestinations runs the remote-destination commands.
func (a *admin) remoteDestinations(args []string, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "limit" || len(args) < 2 || len(args) > 3 {
		if len(args) == 1 && args[0] == "help" {
			fmt.Fprint(a.stdout, remoteDestUsage)
			return nil
		}
		fmt.Fprint(stderr, remoteDestUsage)
		return errors.New("admin: usage: remote-destination limit USER [N|default]")
	}
	user := args[1]
	if len(args) == 3 {
		n := -1
		if args[2] != "default" {
			v, err := strconv.Atoi(args[2])
			if err != nil || v < 0 {
				return fmt.Errorf("admin: the limit must be a number from 0 to %d, "+
					"or default", selfcare.MaxRemoteDestinationLimit)
			}
			n = v
		}
		if err := a.svc.SetRemoteDestinationLimit(a.ctx, cliActor, user, n); err != nil {
			var ve *selfcare.ValidationError
			if errors.As(err, &ve) && len(ve.Fields) > 0 {
				return fmt.Errorf("admin: %s", ve.Fields[0].Message)
			}
			return fmt.Errorf("admin: %w", err)
		}
	}
	limit, err := a.svc.RemoteDestinationLimit(a.ctx, user)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	ds, err := a.store.RemoteDestinations(a.ctx, user)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	numbers := make([]string, 0, len(ds))
	for _, d := range ds {
		numbers = append(numbers, d.Number)
	}
	fmt.Fprintf(a.stdout, "%s\tlimit %d\thas %d\t%s\n", user, limit, len(ds),
		strings.Join(numbers, " "))
	return nil
}

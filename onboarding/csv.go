package onboarding

import (
	"encoding/csv"
	"fmt"
	"io"
	"time"
)

// csvHeader names the columns that [WriteCSV] writes.
var csvHeader = []string{"device", "model", "owner", "activation code", "expires"}

// WriteCSV writes rows, as [Registry.Export] returns them, as CSV with a
// header line: device, model, owner, the code in groups of four, and the
// expiry in RFC 3339 UTC. A text field that a spreadsheet would run as a
// formula (one starting with =, +, -, @, a tab or a carriage return) is
// prefixed with a single quote. The caller decides where the file goes and
// keeps it as secret as the codes it holds.
func WriteCSV(w io.Writer, rows []ReadyCode) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("onboarding: writing CSV: %w", err)
	}
	for _, r := range rows {
		rec := []string{
			inert(r.Device), inert(r.Model), inert(r.Owner), r.Code.Grouped(),
			r.ExpiresAt.UTC().Format(time.RFC3339),
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("onboarding: writing CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("onboarding: writing CSV: %w", err)
	}
	return nil
}

// inert keeps a spreadsheet from reading s as a formula.
func inert(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}

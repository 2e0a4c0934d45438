package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestDeviceAddRefusesNumbersThatAreNoLines: an administrator cannot give
// a phone an emergency number, nor a number that a user keeps as an
// additional phone, which the refusal names; the additional phone stays.
func TestDeviceAddRefusesNumbersThatAreNoLines(t *testing.T) {
	s := startOnboardingSite(t)
	jo := s.addUser("jo.numbers")
	const list = "/ucmuser/api/v1/remote-destinations"
	st, body := jo.do("POST", list, map[string]any{"number": "95550177"}, nil)
	expect(t, "jo's mobile", st, http.StatusCreated, body)
	st, body = jo.do("POST", list, map[string]any{"number": "+14155550123"}, nil)
	expect(t, "jo's home phone", st, http.StatusCreated, body)

	tests := []struct {
		name, line, want string
	}{
		{"an emergency number is refused", "1=911", `"emergency"`},
		{"a premium number is refused", "1=919005550100", `"premium"`},
		{"a user's additional phone is refused, naming the user", "1=95550177",
			"jo.numbers"},
		{"another spelling of a user's additional phone is refused", "1=914155550123",
			"+14155550123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runCLIErr(s.dir, "device", "add", "SEP001B54000778",
				"-model", "Cisco 8845", "-owner", "jo.numbers", "-line", tt.line)
			if err == nil {
				t.Fatalf("-line %s accepted: %s", tt.line, out)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("-line %s refused with %v %s, want it to name %s", tt.line,
					err, errOut, tt.want)
			}
		})
	}
	if out := runCLI(t, s.dir, "device", "list"); strings.Contains(out, "SEP001B54000778") {
		t.Fatalf("a refused device add provisioned the phone:\n%s", out)
	}
	st, body = jo.do("GET", list, nil, nil)
	expect(t, "jo's additional phones", st, http.StatusOK, body)
	if !strings.Contains(body, `"95550177"`) {
		t.Errorf("jo's additional phone is gone: %s", body)
	}

	out := runCLI(t, s.dir, "device", "add", "SEP001B54000778", "-model", "Cisco 8845",
		"-owner", "jo.numbers", "-line", "1=3001")
	if field(t, out, "line 1") != "3001" {
		t.Errorf("a plain extension: %s", out)
	}
}

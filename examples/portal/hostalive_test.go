package main

import (
	"bytes"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestProbeFlags parses the hostAlive flags and environment and builds the
// prober, as the server does at start.
func TestProbeFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // "" for success
		wantLog string // a message the start must log
	}{
		{"no configuration refuses everything and says so", nil, nil, "",
			"only the cluster's servers may be probed"},
		{"networks, addresses, names and ports", []string{"-probe-allow",
			"10.1.0.0/16, 10.2.3.4,cucm-sub.example.com", "-probe-ports", "80,8443"}, nil, "", ""},
		{"environment works like the flags", nil, map[string]string{
			"SELFCARE_PROBE_ALLOW": "10.1.0.0/16", "SELFCARE_PROBE_PORTS": "any",
			"SELFCARE_PROBE_TIMEOUT": "1500ms", "SELFCARE_PROBE_ICMP": "off"}, "", ""},
		{"lab is announced", []string{"-probe-lab", "-probe-allow", "127.0.0.2"}, nil, "",
			"lab policy"},
		{"loopback without lab is refused", []string{"-probe-allow", "127.0.0.2"}, nil,
			"loopback", ""},
		{"metadata network without lab is refused", []string{"-probe-allow",
			"169.254.0.0/16"}, nil, "link-local", ""},
		{"network with host bits is refused", []string{"-probe-allow", "10.1.2.3/16"}, nil,
			"host bits", ""},
		{"bad CIDR is refused", []string{"-probe-allow", "10.1.0.0/33"}, nil,
			"-probe-allow", ""},
		{"URL is refused", []string{"-probe-allow", "http://10.1.2.3"}, nil,
			"-probe-allow", ""},
		{"name with a port is refused", []string{"-probe-allow", "cucm-pub:8443"}, nil,
			"has no port", ""},
		{"refused address is named as an allow-list entry", []string{"-probe-allow",
			"169.254.169.254"}, nil, `allow-list entry "169.254.169.254"`, ""},
		{"odd IPv4 spelling is refused", []string{"-probe-allow", "0x0a010203"}, nil,
			"invalid host", ""},
		{"port zero is refused", []string{"-probe-ports", "80,0"}, nil, "-probe-ports", ""},
		{"port out of range is refused", []string{"-probe-ports", "70000"}, nil,
			"-probe-ports", ""},
		{"unknown ICMP mode is refused", []string{"-probe-icmp", "raw"}, nil, "-probe-icmp", ""},
		{"zero timeout is refused", []string{"-probe-timeout", "0s"}, nil,
			"-probe-timeout", ""},
		{"zero timeout in the environment is refused", nil,
			map[string]string{"SELFCARE_PROBE_TIMEOUT": "0"}, "-probe-timeout", ""},
		{"negative timeout is refused", []string{"-probe-timeout", "-1s"}, nil,
			"-probe-timeout", ""},
		{"timeout past the write timeout is refused", []string{"-probe-timeout", "1m"}, nil,
			"-probe-timeout", ""},
		{"bad timeout in the environment is refused", nil,
			map[string]string{"SELFCARE_PROBE_TIMEOUT": "soon"}, "SELFCARE_PROBE_TIMEOUT", ""},
		{"lab in the environment is ignored", []string{"-probe-allow", "127.0.0.2"},
			map[string]string{"SELFCARE_PROBE_LAB": "true"}, "loopback", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("portal", flag.ContinueOnError)
			var o probeOptions
			o.flags(fs, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatalf("parse %q: %v", tt.args, err)
			}
			if o.ICMP == "auto" {
				o.ICMP = "off" // no socket tests here
			}
			var logs bytes.Buffer
			p, err := o.build(slog.New(slog.NewTextHandler(&logs, nil)))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("build: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("build: %v, want an error about %q", err, tt.wantErr)
			case tt.wantErr == "" && p == nil:
				t.Fatal("build gave no prober")
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("start log lacks %q:\n%s", tt.wantLog, logs.String())
			}
		})
	}
}

func TestProbeTimeoutFromEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	var o probeOptions
	o.flags(fs, func(k string) string {
		return map[string]string{"SELFCARE_PROBE_TIMEOUT": "1500ms"}[k]
	})
	if err := fs.Parse(nil); err != nil || o.Timeout != 1500*time.Millisecond {
		t.Errorf("timeout %v (%v), want 1.5s from the environment", o.Timeout, err)
	}
	if err := fs.Parse([]string{"-probe-timeout", "2s"}); err != nil || o.Timeout != 2*time.Second {
		t.Errorf("timeout %v (%v), want 2s: the flag wins", o.Timeout, err)
	}
}

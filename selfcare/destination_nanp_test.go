package selfcare_test

import (
	"fmt"
	"testing"

	"github.com/ucselfcare/portal/selfcare"
)

// nanpCases are numbers judged by the default policy, the North American
// plan: access code 9, 1 and ten digits, 911 and 9911, 900 and 976
// premium, 0 and 00 operator, 011 international, and +1 E.164 forms.
// want is the class that decides: "" allowed by national or internal,
// "none" refused because no class matches.
var nanpCases = []struct {
	in   string
	kind selfcare.DestinationKind
	want string
}{
	// Premium with digits added or taken away: refused by prefix.
	{"9190055501001", fwd, selfcare.ClassPremium},
	{"9190055501000000000", fwd, selfcare.ClassPremium},
	{"+1900555010", fwd, selfcare.ClassPremium},
	{"9900555010", fwd, selfcare.ClassPremium},
	{"91900555010", speed, selfcare.ClassPremium},
	{"91900555010", remote, selfcare.ClassPremium},
	{"919005550123", fwd, selfcare.ClassPremium},
	{"919765550123", fwd, selfcare.ClassPremium},
	{"99765550123", fwd, selfcare.ClassPremium},
	{"99765550", fwd, selfcare.ClassPremium}, // a local 976 exchange
	{"+19765550123", remote, selfcare.ClassPremium},
	{"+190055501231", fwd, selfcare.ClassPremium},
	{"91900", fwd, selfcare.ClassPremium},

	// Emergency, however padded.
	{"99115550100", fwd, selfcare.ClassEmergency},
	{"911", fwd, selfcare.ClassEmergency},
	{"9911", remote, selfcare.ClassEmergency},
	{"99111", speed, selfcare.ClassEmergency},
	{"112", fwd, selfcare.ClassEmergency},
	{"1125", fwd, selfcare.ClassEmergency}, // the cost: no extension 112X
	{"91125550100", fwd, selfcare.ClassEmergency},
	{"99995550100", fwd, selfcare.ClassEmergency},

	// Operator: 0 and 0+ calls, with or without the access code.
	{"0", fwd, selfcare.ClassOperator},
	{"00", fwd, selfcare.ClassOperator},
	{"90", fwd, selfcare.ClassOperator},
	{"900", remote, selfcare.ClassOperator},
	{"904155550123", fwd, selfcare.ClassOperator},
	{"04155550123", fwd, selfcare.ClassOperator},

	// International: 011 after the access code, +<other country>, and
	// 011 typed without the access code.
	{"9011441632960961", fwd, selfcare.ClassInternational},
	{"+441632960961", remote, selfcare.ClassInternational},
	{"+33123456789", fwd, selfcare.ClassInternational},
	{"90111", fwd, selfcare.ClassInternational},
	{"011441632960961", fwd, selfcare.ClassInternational},

	// National at its real lengths: 7, 10, 1+10, and 1+7 (the older
	// toll call within an area code).
	{"95550123", fwd, ""},
	{"94155550123", fwd, ""},
	{"914155550123", fwd, ""},
	{"+14155550123", remote, ""},
	{"918005550199", speed, ""},
	{"916329609", fwd, ""},
	{"914155550123#", speed, ""},
	{"95551234,1234,5678#", speed, ""},

	// National at other lengths, or with codes no number has.
	{"9141555501234", fwd, "none"},
	{"941555501234", fwd, "none"},
	{"91415555012", fwd, "none"},
	{"9555012", fwd, "none"},
	{"955501234", fwd, "none"},
	{"+1415555012", fwd, "none"},
	{"914115550123", fwd, "none"}, // N11 is no area code
	{"94155110123", fwd, "none"},  // nor an exchange
	{"91415", fwd, "none"},
	{"+1911", fwd, "none"},
	{"14155550123", fwd, "none"}, // no access code

	// Internal: four digits not starting with 0 or 9, or * and four.
	{"4021", fwd, ""},
	{"2001", speed, ""},
	{"*4021", fwd, ""},
	{"40211", fwd, "none"},
	{"9021", fwd, selfcare.ClassOperator},
}

func TestDefaultDestinationPolicyNorthAmericanPlan(t *testing.T) {
	c := destCompile(t, selfcare.DefaultDestinationPolicy())
	for _, tt := range nanpCases {
		t.Run(fmt.Sprintf("%s %s is %s", tt.kind, tt.in, orAllowedOrNone(tt.want)),
			func(t *testing.T) {
				if got := destCheck(t, c, tt.in, tt.kind); got != tt.want {
					t.Errorf("class = %q, want %q", got, tt.want)
				}
			})
	}
}

func orAllowedOrNone(class string) string {
	if class == "none" {
		return "refused by no class"
	}
	return orAllowed(class)
}

// TestDefaultDestinationPolicyE164MatchesDialled checks that a +1 number
// meets the class of the same number dialled from the site, 9 1 and the
// national number, whatever its length.
func TestDefaultDestinationPolicyE164MatchesDialled(t *testing.T) {
	c := destCompile(t, selfcare.DefaultDestinationPolicy())
	for _, national := range []string{"900555010", "9005550123", "90055501231",
		"976555012", "4155550123", "415555012", "41555501234", "911", "9115550100",
		"8005550199", "2125550100", "6329609", "0", "011", "4115550123"} {
		e164, dialled := "+1"+national, "91"+national
		t.Run(e164+" is judged as "+dialled, func(t *testing.T) {
			for _, kind := range destKinds {
				if got, want := destCheck(t, c, e164, kind),
					destCheck(t, c, dialled, kind); got != want {
					t.Errorf("%v: %s class %q, %s class %q", kind, e164, got, dialled, want)
				}
			}
		})
	}
}

// TestRefusedNumbersStayRefusedWithDigitsChanged adds digits to and takes
// digits from refused numbers: none of the results may be allowed.
func TestRefusedNumbersStayRefusedWithDigitsChanged(t *testing.T) {
	c := destCompile(t, selfcare.DefaultDestinationPolicy())
	for _, in := range []string{"919005550123", "919765550123", "99005550123",
		"+19005550123", "+19765550123", "9911", "911", "9112", "9999", "90",
		"9011441632960961", "+441632960961"} {
		t.Run(in+" stays refused", func(t *testing.T) {
			var tried []string
			for n := len(in); n > 0; n-- {
				tried = append(tried, in[:n])
			}
			for _, tail := range []string{"0", "1", "5", "9", "01", "555", "0123",
				"5550100", "55501234567"} {
				tried = append(tried, in+tail)
			}
			for _, num := range tried {
				for _, kind := range destKinds {
					d, err := selfcare.ParseDestination(num, kind)
					if err != nil {
						continue // too long, or a bare +
					}
					if c.Check(d) == nil {
						t.Errorf("%v %s is allowed", kind, num)
					}
				}
			}
		})
	}
}

func TestDefaultDestinationPolicyTableIsLargeAndCoversEveryClass(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range nanpCases {
		seen[tt.want] = true
	}
	for _, class := range []string{"", "none", selfcare.ClassPremium,
		selfcare.ClassEmergency, selfcare.ClassOperator, selfcare.ClassInternational} {
		if !seen[class] {
			t.Errorf("no case for class %q", class)
		}
	}
	if len(nanpCases) < 40 {
		t.Errorf("%d cases, want at least 40", len(nanpCases))
	}
}

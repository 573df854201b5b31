package scenarios

import (
	"strings"
	"testing"
)

func TestParseMatcher(t *testing.T) {
	cases := []struct {
		in       string
		match    []int
		mismatch []int
	}{
		{"200", []int{200}, []int{201, 204, 301, 302, 199}},
		{"200,202", []int{200, 202}, []int{201, 203, 302}},
		{"200-299", []int{200, 250, 299}, []int{199, 300, 302}},
		{"200-299,301-302,404", []int{204, 301, 302, 404}, []int{300, 303, 403, 405}},
		{"499", []int{499}, []int{498}},
	}
	for _, c := range cases {
		m, err := ParseMatcher(c.in)
		if err != nil {
			t.Fatalf("ParseMatcher(%q): %v", c.in, err)
		}
		for _, code := range c.match {
			if !m.Match(code) {
				t.Errorf("%q does not match %d", c.in, code)
			}
		}
		for _, code := range c.mismatch {
			if m.Match(code) {
				t.Errorf("%q matches %d", c.in, code)
			}
		}
	}
}

func TestParseMatcherRefuses(t *testing.T) {
	cases := map[string]string{
		"":          "empty matcher",
		"ok":        "not an HTTP status code",
		"200, 202":  "not an HTTP status code", // ALB takes no spaces
		"200,":      "not an HTTP status code",
		"2000":      "not an HTTP status code",
		"199":       "out of ALB's range",
		"500":       "out of ALB's range",
		"200-500":   "out of ALB's range",
		"299-200":   "from the lower code to the higher",
		"200-":      "not an HTTP status code",
		"200-2-300": "not an HTTP status code",
	}
	for in, want := range cases {
		_, err := ParseMatcher(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMatcher(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestHealthCheckCodesDefault(t *testing.T) {
	if c := (HealthCheck{}).Codes(); !c.Match(200) || c.Match(302) {
		t.Errorf("a health check without a matcher matches %v, want 200 only", c)
	}
	s, err := Parse("m.yaml", []byte("name: m\nworkload: {builtin: true}\nservice: {cpu: 256, memory: 512, health_check: {matcher: 302}}\nload: {path: /, phases: [{duration: 1s, rate: 1}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Service.HealthCheck.Codes(); !c.Match(302) || c.Match(200) {
		t.Errorf("matcher: 302 matches %v", c)
	}
}

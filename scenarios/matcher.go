package scenarios

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// ALB's health check matcher: the HTTP codes that count as a success,
// written as codes and ranges joined by commas ("200", "200,202",
// "200-299"). ALB accepts codes from 200 to 499 for an HTTP check.
const (
	DefaultMatcher = "200"
	minMatcherCode = 200
	maxMatcherCode = 499
)

// StatusCodes is a parsed matcher: the ranges of codes that succeed.
type StatusCodes []CodeRange

// CodeRange is a range of HTTP status codes, both ends included.
type CodeRange struct{ Low, High int }

// Match reports whether code is one of the matcher's codes.
func (m StatusCodes) Match(code int) bool {
	for _, r := range m {
		if code >= r.Low && code <= r.High {
			return true
		}
	}
	return false
}

// ParseMatcher reads ALB's matcher syntax. The error says what is wrong
// with which part, without the field's name.
func ParseMatcher(s string) (StatusCodes, error) {
	if s == "" {
		return nil, fmt.Errorf("empty matcher: give codes such as 200, 200,202 or 200-299")
	}
	var m StatusCodes
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		low, err1 := matcherCode(lo)
		high, err2 := matcherCode(hi)
		where := fmt.Sprintf("%q", part)
		if part != s {
			where += fmt.Sprintf(" in %q", s)
		}
		switch {
		case err1 != nil:
			return nil, fmt.Errorf("%s: %w", where, err1)
		case err2 != nil:
			return nil, fmt.Errorf("%s: %w", where, err2)
		case low > high:
			return nil, fmt.Errorf("%s: a range goes from the lower code to the higher, e.g. 200-299", where)
		}
		m = append(m, CodeRange{Low: low, High: high})
	}
	return m, nil
}

// matcherCode reads one code of a matcher.
func matcherCode(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || len(s) != 3 {
		return 0, fmt.Errorf("not an HTTP status code: write codes such as 200, 200,202 or 200-299, without spaces")
	}
	if n < minMatcherCode || n > maxMatcherCode {
		return 0, fmt.Errorf("code %d is out of ALB's range for health checks (%d to %d)", n, minMatcherCode, maxMatcherCode)
	}
	return n, nil
}

// Codes is the matcher of a loaded scenario's health check, parsed; the
// loader has checked it, and an empty one is the default.
func (hc HealthCheck) Codes() StatusCodes {
	m, err := ParseMatcher(cmp.Or(hc.Matcher, DefaultMatcher))
	if err != nil {
		return nil // matches nothing: every check fails, visibly
	}
	return m
}

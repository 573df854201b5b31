package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// metricKind says which units a threshold metric takes.
type metricKind int

const (
	kindLatency   metricKind = iota // ms or s; canonical ms
	kindErrorRate                   // % required; canonical percent
	kindPercent                     // % or a bare number; canonical percent
	kindRate                        // requests per second, no unit
	kindCount                       // a whole number, no unit
)

// The metrics a threshold can test. Their values are an entry's
// summary.json figures, in the metric's canonical unit: milliseconds for
// latencies, percent for the error rate and utilizations.
const (
	MetricP50          = "p50"
	MetricP90          = "p90"
	MetricP95          = "p95"
	MetricP99          = "p99"
	MetricLatencyMax   = "max"
	MetricErrorRate    = "error_rate"
	MetricAchievedRPS  = "achieved_rps"
	MetricOfferedRPS   = "offered_rps"
	MetricCPUAvg       = "cpu_avg"
	MetricCPUMax       = "cpu_max"
	MetricMemAvg       = "mem_avg"
	MetricMemMax       = "mem_max"
	MetricTasksStopped = "tasks_stopped"
)

// thresholdMetrics are the metrics a threshold can test, in the order they
// are listed to people.
var thresholdMetrics = []struct {
	name string
	kind metricKind
}{
	{MetricP50, kindLatency}, {MetricP90, kindLatency}, {MetricP95, kindLatency}, {MetricP99, kindLatency}, {MetricLatencyMax, kindLatency},
	{MetricErrorRate, kindErrorRate},
	{MetricAchievedRPS, kindRate}, {MetricOfferedRPS, kindRate},
	{MetricCPUAvg, kindPercent}, {MetricCPUMax, kindPercent}, {MetricMemAvg, kindPercent}, {MetricMemMax, kindPercent},
	{MetricTasksStopped, kindCount},
}

// metricAliases are other spellings of the metrics, named as summary.json
// names the figures.
var metricAliases = map[string]string{
	"cpu_utilization.avg":    MetricCPUAvg,
	"cpu_utilization.max":    MetricCPUMax,
	"memory_utilization.avg": MetricMemAvg,
	"memory_utilization.max": MetricMemMax,
	"latency_ms.p50":         MetricP50,
	"latency_ms.p90":         MetricP90,
	"latency_ms.p95":         MetricP95,
	"latency_ms.p99":         MetricP99,
	"latency_ms.max":         MetricLatencyMax,
}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// ThresholdMetrics lists the metric names a threshold accepts.
func ThresholdMetrics() []string {
	names := make([]string, len(thresholdMetrics))
	for i, m := range thresholdMetrics {
		names[i] = m.name
	}
	return names
}

// exprError is a threshold that does not parse, with the byte offset in
// the expression where the problem is (for the caret).
type exprError struct {
	expr   string
	offset int
	msg    string
}

func (e *exprError) Error() string { return fmt.Sprintf("threshold %q: %s", e.expr, e.msg) }

// column is the error's offset in characters.
func (e *exprError) column() int { return utf8.RuneCountInString(e.expr[:e.offset]) }

// ParseThreshold reads a pass/fail expression METRIC OP VALUE[UNIT]:
//
//	p50 p90 p95 p99 max          latency, with a unit: ms or s ("p99 < 500ms")
//	error_rate                   percent, with %: "error_rate < 1%" (a bare 0.01
//	                             is refused: it could mean 1% or 0.01%)
//	achieved_rps offered_rps     requests per second, no unit ("achieved_rps >= 4.9")
//	cpu_avg cpu_max mem_avg mem_max
//	                             percent of the task envelope, % optional
//	                             (also cpu_utilization.avg and so on)
//	tasks_stopped                a whole number
//
// OP is one of < <= > >= == !=. The Value is converted to the metric's
// canonical unit (ms, percent); Expr keeps the text as written.
func ParseThreshold(expr string) (Threshold, error) {
	p := exprParser{s: expr}
	fail := func(off int, format string, args ...any) (Threshold, error) {
		return Threshold{}, &exprError{expr: expr, offset: off, msg: fmt.Sprintf(format, args...)}
	}
	p.space()
	if p.i == len(p.s) {
		return fail(0, `empty; write METRIC OP VALUE, e.g. "p99 < 500ms"`)
	}
	mStart := p.i
	name := p.take(func(c byte) bool { return c == '_' || c == '.' || isAlnum(c) })
	if name == "" {
		return fail(p.i, `expected a metric name, e.g. "p99 < 500ms"`)
	}
	metric, kind, ok := lookupMetric(name)
	if !ok {
		msg := fmt.Sprintf("unknown metric %q", name)
		if s := strictyaml.Suggest(name, ThresholdMetrics()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return fail(mStart, "%s (metrics: %s)", msg, strings.Join(ThresholdMetrics(), ", "))
	}
	p.space()
	opStart := p.i
	op := ""
	for _, o := range thresholdOps {
		if strings.HasPrefix(p.s[p.i:], o) {
			op = o
			break
		}
	}
	if op == "" {
		switch rest := p.s[p.i:]; {
		case strings.HasPrefix(rest, "=>"):
			return fail(opStart, "=> is not an operator; did you mean >=?")
		case strings.HasPrefix(rest, "=<"):
			return fail(opStart, "=< is not an operator; did you mean <=?")
		case strings.HasPrefix(rest, "="):
			return fail(opStart, "= is not an operator; use == to test equality")
		}
		return fail(opStart, "expected an operator (<, <=, >, >=, ==, !=) after %s", name)
	}
	p.i += len(op)
	p.space()
	vStart := p.i
	if strings.HasPrefix(p.s[p.i:], "-") {
		return fail(vStart, "the value must not be negative")
	}
	num := p.take(func(c byte) bool { return c >= '0' && c <= '9' || c == '.' })
	v, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil || math.IsInf(v, 0) {
		return fail(vStart, "expected a number after %s", op)
	}
	p.space()
	uStart := p.i
	unit := p.take(func(c byte) bool { return c == '%' || isAlnum(c) || c == '/' })
	p.space()
	if p.i < len(p.s) {
		return fail(p.i, "unexpected %q after the value; write one expression per list item", p.s[p.i:])
	}
	canonical, err := inCanonicalUnit(metric, kind, v, unit)
	if err != nil {
		off := uStart
		if unit == "" {
			off = vStart
		}
		return fail(off, "%s", err.Error())
	}
	return Threshold{Expr: expr, Metric: metric, Op: op, Value: canonical, Unit: unit}, nil
}

func lookupMetric(name string) (string, metricKind, bool) {
	if a, ok := metricAliases[name]; ok {
		name = a
	}
	for _, m := range thresholdMetrics {
		if m.name == name {
			return m.name, m.kind, true
		}
	}
	return "", 0, false
}

// inCanonicalUnit converts v written with unit to the metric's canonical
// unit, or says which units the metric takes.
func inCanonicalUnit(metric string, kind metricKind, v float64, unit string) (float64, error) {
	switch kind {
	case kindLatency:
		switch unit {
		case "ms":
			return v, nil
		case "s":
			return v * 1000, nil
		case "":
			return 0, fmt.Errorf("%s needs a unit: ms or s (e.g. %gms)", metric, v)
		}
		return 0, fmt.Errorf("%s takes ms or s, not %q", metric, unit)
	case kindErrorRate:
		switch unit {
		case "%":
			return v, nil
		case "":
			if v < 1 {
				return 0, fmt.Errorf("%s needs %%: write %g%% if %g is a fraction (a bare number could mean either)", metric, v*100, v)
			}
			return 0, fmt.Errorf("%s needs %%: write %g%%", metric, v)
		}
		return 0, fmt.Errorf("%s takes %%, not %q", metric, unit)
	case kindPercent:
		if unit == "%" || unit == "" {
			return v, nil
		}
		return 0, fmt.Errorf("%s is a percentage of the task size: write %g%%, not %q", metric, v, unit)
	case kindRate:
		if unit == "" {
			return v, nil
		}
		return 0, fmt.Errorf("%s is a plain number of requests per second: write %g, without %q", metric, v, unit)
	default: // kindCount
		if unit != "" {
			return 0, fmt.Errorf("%s is a plain count: write %g, without %q", metric, v, unit)
		}
		if v != math.Trunc(v) {
			return 0, fmt.Errorf("%s is a whole number of tasks, not %g", metric, v)
		}
		return v, nil
	}
}

// Check reports whether value, in the metric's canonical unit, passes.
func (t Threshold) Check(value float64) bool {
	switch t.Op {
	case "<":
		return value < t.Value
	case "<=":
		return value <= t.Value
	case ">":
		return value > t.Value
	case ">=":
		return value >= t.Value
	case "==":
		return value == t.Value
	case "!=":
		return value != t.Value
	}
	return false
}

// InUnit converts value from the metric's canonical unit to the unit the
// expression was written in (seconds for "p99 < 2s"), as summary.json
// reports threshold values.
func (t Threshold) InUnit(value float64) float64 {
	if t.Unit == "s" {
		return value / 1000
	}
	return value
}

// MarshalYAML writes the threshold as its expression.
func (t Threshold) MarshalYAML() (any, error) { return t.Expr, nil }

// exprParser is a cursor over a threshold expression.
type exprParser struct {
	s string
	i int
}

func (p *exprParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *exprParser) take(ok func(byte) bool) string {
	start := p.i
	for p.i < len(p.s) && ok(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

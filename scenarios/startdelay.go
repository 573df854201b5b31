package scenarios

import (
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// A task's start delay: how long a new task stays PROVISIONING, then
// PENDING, before its container starts, as a Fargate task does while
// its network interface is attached and its image pulled.
const (
	// StartDelayFargate is the preset's name in a scenario file.
	StartDelayFargate = "fargate"
	// FargateStartDelay is the preset: within the 30 to 45 seconds AWS
	// calls normal for a Fargate task to start (docs/emulation.md).
	FargateStartDelay = 40 * time.Second
	// MaxStartDelay bounds the delay: Fargate stops a task that has not
	// reached RUNNING after 3 minutes in PENDING.
	MaxStartDelay = 3 * time.Minute
)

// startDelay reads service.start_delay: a duration, or the preset fargate.
func (r *reader) startDelay(n ast.Node, path string, dst *time.Duration) bool {
	s, isString, ok := r.Scalar(n, path, "a duration such as 40s, or fargate")
	switch {
	case !ok:
		return false
	case isString && s == StartDelayFargate:
		*dst = FargateStartDelay
		return true
	case isString && !looksLikeDuration(s):
		r.Errorf(n, path, "%q is neither a duration such as 40s nor the preset %q%s", strictyaml.Clip(s), StartDelayFargate, didYouMean(s, StartDelayFargate))
		return false
	}
	var d time.Duration
	if !r.Duration(n, path, &d) {
		return false
	}
	if d > MaxStartDelay {
		r.Errorf(n, path, "%s is over the limit of %s: Fargate stops a task still PENDING after %s (the preset fargate is %s)",
			format.Duration(d), format.Duration(MaxStartDelay), format.Duration(MaxStartDelay), format.Duration(FargateStartDelay))
		return false
	}
	*dst = d
	return true
}

// looksLikeDuration: s starts as a number does, so that Duration's own
// message fits it better.
func looksLikeDuration(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.ContainsAny(s[:1], "0123456789.+-")
}

// didYouMean suggests name for a near miss.
func didYouMean(s, name string) string {
	if strictyaml.Suggest(s, []string{name}) != "" {
		return "; did you mean " + `"` + name + `"?`
	}
	return ""
}

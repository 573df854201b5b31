package local

import (
	"errors"
	"strings"
	"testing"
)

// Docker's answer when a task definition's nofile is above the daemon's
// own limit (recorded from Docker 20.10 with runc, dockerd at 20000 open
// files, a container asking 65536) names the field to change; another
// error, or a limit the definition did not set, is left as it is.
func TestStartErrorNamesTheUlimit(t *testing.T) {
	docker := errors.New("Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: unknown")
	def := &ContainerDef{Name: "envoy", Ulimits: []Ulimit{{Name: "core", Soft: 0, Hard: 0}, {Name: "nofile", Soft: 65536, Hard: 65536}}}
	got := explainStart(docker, def)
	if !errors.Is(got, docker) {
		t.Errorf("%v does not wrap Docker's error", got)
	}
	for _, want := range []string{"ulimits nofile of container envoy", "soft 65536, hard 65536", "above what this Docker daemon may give"} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("%q: want %q in it", got, want)
		}
	}
	if got := explainStart(docker, &ContainerDef{Name: "app"}); got != docker {
		t.Errorf("a container without that ulimit: %v, want Docker's error as it is", got)
	}
	other := errors.New("Error response from daemon: No such image: shop-api:dev")
	if got := explainStart(other, def); got != other {
		t.Errorf("another error: %v, want it as it is", got)
	}
}

package dockerhost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/client"
)

// store is a docker CLI configuration directory made for a test: a
// config.json and a context store, laid out as the CLI lays them out.
type store struct {
	t   *testing.T
	dir string
}

// newHome makes a home directory with an empty .docker, points HOME at it
// and clears the variables that would take precedence.
func newHome(t *testing.T) store {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv(EnvHost, "")
	t.Setenv(EnvContext, "")
	t.Setenv(EnvConfig, "")
	return newStore(t, filepath.Join(home, ".docker"))
}

func newStore(t *testing.T, dir string) store {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return store{t, dir}
}

func (s store) write(rel, content string) {
	s.t.Helper()
	p := filepath.Join(s.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

func (s store) current(name string) {
	s.write("config.json", `{"auths": {}, "currentContext": "`+name+`"}`)
}

// context writes a context's meta.json as `docker context create` does.
func (s store) context(name, host string) {
	s.write(filepath.Join("contexts", "meta", contextDir(name), "meta.json"),
		`{"Name":"`+name+`","Metadata":{"Description":"test"},"Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":false}}}`)
}

func TestContextDirIsTheCLIs(t *testing.T) {
	// Docker Desktop's context, as `docker context inspect desktop-linux`
	// shows its MetadataPath.
	if got, want := contextDir("desktop-linux"), "fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e"; got != want {
		t.Errorf("contextDir(desktop-linux) = %s, want %s", got, want)
	}
}

func TestResolveInTheCLIsOrder(t *testing.T) {
	s := newHome(t)
	config := filepath.Join(s.dir, "config.json")

	ep := mustResolve(t)
	if ep.Host != client.DefaultDockerHost || ep.Source != "the default socket" {
		t.Errorf("no configuration: %+v, want the default socket", ep)
	}

	s.context("orbstack", "unix:///home/me/.orbstack/run/docker.sock")
	s.context("colima", "unix:///home/me/.colima/default/docker.sock")
	s.current("orbstack")
	ep = mustResolve(t)
	if ep.Host != "unix:///home/me/.orbstack/run/docker.sock" || ep.Context != "orbstack" || ep.Source != "currentContext in "+config {
		t.Errorf("current context: %+v", ep)
	}
	if got, want := ep.String(), "unix:///home/me/.orbstack/run/docker.sock (context orbstack, currentContext in "+config+")"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}

	t.Setenv(EnvContext, "colima")
	ep = mustResolve(t)
	if ep.Host != "unix:///home/me/.colima/default/docker.sock" || ep.Source != EnvContext {
		t.Errorf("DOCKER_CONTEXT over the current context: %+v", ep)
	}

	t.Setenv(EnvContext, "default")
	if ep = mustResolve(t); ep.Host != client.DefaultDockerHost {
		t.Errorf("DOCKER_CONTEXT=default: %+v, want the default socket", ep)
	}

	t.Setenv(EnvHost, "tcp://127.0.0.1:2375")
	ep = mustResolve(t)
	if ep.Host != "tcp://127.0.0.1:2375" || ep.Source != EnvHost || !ep.fromEnv {
		t.Errorf("DOCKER_HOST over everything: %+v", ep)
	}
}

func TestResolveHonoursDOCKER_CONFIG(t *testing.T) {
	newHome(t).current("nowhere") // would fail if read
	elsewhere := newStore(t, t.TempDir())
	elsewhere.current("desktop-linux")
	elsewhere.context("desktop-linux", "unix:///Users/me/.docker/run/docker.sock")
	t.Setenv(EnvConfig, elsewhere.dir)
	if ep := mustResolve(t); ep.Host != "unix:///Users/me/.docker/run/docker.sock" {
		t.Errorf("DOCKER_CONFIG: %+v", ep)
	}
}

func TestResolveNamesAMissingContext(t *testing.T) {
	s := newHome(t)
	s.current("gone")
	_, err := Resolve()
	meta := filepath.Join(s.dir, "contexts", "meta", contextDir("gone"), "meta.json")
	want := `docker context "gone" (from currentContext in ` + filepath.Join(s.dir, "config.json") + `): not in the context store (no ` + meta + `): ` +
		"`docker context ls` lists the contexts there"
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
	s.write(filepath.Join("contexts", "meta", contextDir("gone"), "meta.json"), `{"Name":"gone","Endpoints":{}}`)
	if _, err := Resolve(); err == nil || !strings.Contains(err.Error(), "has no docker endpoint") {
		t.Errorf("a context without a docker endpoint: %v", err)
	}
}

func TestLocal(t *testing.T) {
	for host, want := range map[string]bool{
		"unix:///var/run/docker.sock":    true,
		"npipe:////./pipe/docker_engine": true,
		"tcp://127.0.0.1:2375":           true,
		"tcp://localhost:2375":           true,
		"tcp://[::1]:2376":               true,
		"tcp://192.168.64.2:2376":        false,
		"ssh://me@build-box":             false,
	} {
		if got := (Endpoint{Host: host}).Local(); got != want {
			t.Errorf("Local(%s) = %v, want %v", host, got, want)
		}
	}
}

func TestAnSSHContextIsRefusedWithTheReason(t *testing.T) {
	s := newHome(t)
	s.current("remote")
	s.context("remote", "ssh://me@build-box")
	_, err := NewClient(mustResolve(t))
	if err == nil || !strings.Contains(err.Error(), "ssh endpoint, a daemon on another machine") {
		t.Errorf("error %v, want it to say lab needs a local daemon", err)
	}
}

func mustResolve(t *testing.T) Endpoint {
	t.Helper()
	ep, err := Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

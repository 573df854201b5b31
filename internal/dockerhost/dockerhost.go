// Package dockerhost finds the Docker daemon as the docker CLI does:
// DOCKER_HOST, then DOCKER_CONTEXT, then the current context of the CLI's
// config.json, with the context's endpoint and TLS material read from the
// CLI's context store. So a Docker Desktop, OrbStack or colima user, whose
// socket is not /var/run/docker.sock, needs no variable.
package dockerhost

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/client"
)

// Environment variables the docker CLI reads, and lab with it.
const (
	EnvHost    = "DOCKER_HOST"
	EnvContext = "DOCKER_CONTEXT"
	EnvConfig  = "DOCKER_CONFIG"
)

// DefaultContext is the context that means DOCKER_HOST or the platform's
// default socket.
const DefaultContext = "default"

// Endpoint is where the daemon is and how lab found it.
type Endpoint struct {
	// Host is the daemon's address, e.g. unix:///var/run/docker.sock,
	// tcp://127.0.0.1:2376, npipe:////./pipe/docker_engine.
	Host string
	// Context is the docker CLI context it came from; "default" for
	// DOCKER_HOST or the default socket.
	Context string
	// Source says how it was chosen, for people: "DOCKER_HOST",
	// "DOCKER_CONTEXT", "currentContext in <config.json>", or "the default
	// socket".
	Source string
	// SkipTLSVerify and TLS are the context's TLS settings (a context
	// store's ca.pem, cert.pem, key.pem). For DOCKER_HOST the docker
	// client reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH itself.
	SkipTLSVerify bool
	TLS           *TLSData
	fromEnv       bool
}

// TLSData is a context's TLS material, PEM-encoded; any part may be nil.
type TLSData struct {
	CA, Cert, Key []byte
}

// String names the endpoint and how it was found, e.g.
// "unix:///Users/me/.orbstack/run/docker.sock (context orbstack, currentContext in /Users/me/.docker/config.json)".
func (e Endpoint) String() string {
	if e.Context == DefaultContext || e.Context == "" {
		return e.Host + " (" + e.Source + ")"
	}
	return fmt.Sprintf("%s (context %s, %s)", e.Host, e.Context, e.Source)
}

// Resolve finds the daemon's endpoint from the environment and the docker
// CLI's configuration, in the CLI's order:
//
//  1. DOCKER_HOST, when set (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH);
//  2. the context DOCKER_CONTEXT names;
//  3. the currentContext of config.json in DOCKER_CONFIG, or ~/.docker;
//  4. the platform's default socket.
//
// A named context's endpoint is read from the context store beside
// config.json (contexts/meta/<sha256 of the name>/meta.json) and its TLS
// material from contexts/tls/<sha256 of the name>/docker/. A context
// that does not exist is an error naming it and where it came from.
func Resolve() (Endpoint, error) {
	if host := os.Getenv(EnvHost); host != "" {
		return Endpoint{Host: host, Context: DefaultContext, Source: EnvHost, fromEnv: true}, nil
	}
	dir, err := ConfigDir()
	if err != nil {
		return Endpoint{}, err
	}
	name, source := os.Getenv(EnvContext), EnvContext
	if name == "" {
		config := filepath.Join(dir, "config.json")
		name, err = currentContext(config)
		if err != nil {
			return Endpoint{}, err
		}
		source = "currentContext in " + config
	}
	if name == "" || name == DefaultContext {
		return Endpoint{Host: client.DefaultDockerHost, Context: DefaultContext, Source: "the default socket"}, nil
	}
	ep, err := readContext(dir, name)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q (from %s): %w", name, source, err)
	}
	ep.Source = source
	return ep, nil
}

// ConfigDir is the docker CLI's configuration directory: DOCKER_CONFIG,
// or .docker in the home directory.
func ConfigDir() (string, error) {
	if dir := os.Getenv(EnvConfig); dir != "" {
		return dir, nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("find the docker CLI's configuration (set %s or HOME): %w", EnvConfig, err)
		}
	}
	return filepath.Join(home, ".docker"), nil
}

// currentContext reads config.json's currentContext; a missing file is
// no context.
func currentContext(config string) (string, error) {
	b, err := os.ReadFile(config)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the docker CLI's configuration: %w", err)
	}
	var c struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("read %s: %w", config, err)
	}
	return c.CurrentContext, nil
}

// contextDir is the directory name the context store gives a context:
// the hex SHA-256 of its name.
func contextDir(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// readContext reads a context's docker endpoint and TLS material from the
// context store in the configuration directory dir.
func readContext(dir, name string) (Endpoint, error) {
	meta := filepath.Join(dir, "contexts", "meta", contextDir(name), "meta.json")
	b, err := os.ReadFile(meta)
	if errors.Is(err, fs.ErrNotExist) {
		return Endpoint{}, fmt.Errorf("not in the context store (no %s): `docker context ls` lists the contexts there", meta)
	}
	if err != nil {
		return Endpoint{}, err
	}
	var m struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Endpoint{}, fmt.Errorf("read %s: %w", meta, err)
	}
	docker, ok := m.Endpoints["docker"]
	if !ok || docker.Host == "" {
		return Endpoint{}, fmt.Errorf("%s has no docker endpoint", meta)
	}
	ep := Endpoint{Host: docker.Host, Context: name, SkipTLSVerify: docker.SkipTLSVerify}
	ep.TLS, err = readTLS(filepath.Join(dir, "contexts", "tls", contextDir(name), "docker"))
	return ep, err
}

// readTLS reads ca.pem, cert.pem and key.pem from dir; nil when there is
// none of them.
func readTLS(dir string) (*TLSData, error) {
	var t TLSData
	found := false
	for name, dst := range map[string]*[]byte{"ca.pem": &t.CA, "cert.pem": &t.Cert, "key.pem": &t.Key} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the context's TLS material: %w", err)
		}
		*dst, found = b, true
	}
	if !found {
		return nil, nil
	}
	return &t, nil
}

// Local reports whether the daemon is on this machine as far as lab's
// traffic goes: a unix socket or named pipe, or TCP to a loopback
// address. Ports a remote daemon publishes on 127.0.0.1 are on its host,
// out of lab's reach.
func (e Endpoint) Local() bool {
	u, err := url.Parse(e.Host)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "unix", "npipe", "fd":
		return true
	case "tcp", "http", "https":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// Scheme is the endpoint's transport: unix, npipe, tcp, ssh, ...
func (e Endpoint) Scheme() string {
	scheme, _, _ := strings.Cut(e.Host, "://")
	return scheme
}

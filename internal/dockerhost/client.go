package dockerhost

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/docker/docker/client"
)

// NewClient returns a Docker Engine API client for e that negotiates the
// API version with the daemon. It does not connect yet.
func NewClient(e Endpoint) (*client.Client, error) {
	opts, err := e.clientOptions()
	if err != nil {
		return nil, err
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("Docker client for %s: %w", e, err)
	}
	return cli, nil
}

func (e Endpoint) clientOptions() ([]client.Opt, error) {
	if e.fromEnv {
		// The docker client reads DOCKER_HOST, DOCKER_TLS_VERIFY,
		// DOCKER_CERT_PATH and DOCKER_API_VERSION as the CLI does.
		return []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}, nil
	}
	if e.Scheme() == "ssh" {
		return nil, fmt.Errorf("%s is an ssh endpoint, a daemon on another machine: lab reaches its tasks on ports published on this machine's 127.0.0.1, so it needs a local daemon (Docker Desktop, OrbStack, colima or Docker Engine)", e)
	}
	var opts []client.Opt
	switch e.Scheme() {
	case "unix", "npipe", "fd":
		// A socket needs no TLS.
	default:
		cfg, err := e.tlsConfig()
		if err != nil {
			return nil, fmt.Errorf("TLS material of docker context %q: %w", e.Context, err)
		}
		if cfg != nil {
			opts = append(opts, client.WithHTTPClient(&http.Client{
				Transport: &http.Transport{
					TLSClientConfig: cfg,
					DialContext:     (&net.Dialer{KeepAlive: 30 * time.Second, Timeout: 30 * time.Second}).DialContext,
				},
				CheckRedirect: client.CheckRedirect,
			}))
		}
	}
	return append(opts, client.WithHost(e.Host), client.WithVersionFromEnv(), client.WithAPIVersionNegotiation()), nil
}

// tlsConfig is the context's TLS configuration, or nil when it has none.
func (e Endpoint) tlsConfig() (*tls.Config, error) {
	if e.TLS == nil && !e.SkipTLSVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: e.SkipTLSVerify}
	if e.TLS != nil && e.TLS.CA != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(e.TLS.CA) {
			return nil, errors.New("ca.pem holds no certificate")
		}
		cfg.RootCAs = pool
	}
	if e.TLS != nil && e.TLS.Cert != nil && e.TLS.Key != nil {
		pair, err := tls.X509KeyPair(e.TLS.Cert, e.TLS.Key)
		if err != nil {
			return nil, fmt.Errorf("cert.pem and key.pem: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

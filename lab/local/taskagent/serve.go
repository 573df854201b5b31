package taskagent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Config is where and with which tokens an agent serves.
type Config struct {
	EndpointAddr string // the containers' endpoints; default 127.0.0.1:EndpointPort
	ControlAddr  string // lab's control; default :ControlPort
	ControlToken string // required
	AuthToken    string // the credentials endpoint's token; empty: none
}

// ConfigFromEnv reads the agent's configuration from its environment.
func ConfigFromEnv() (Config, error) {
	c := Config{
		EndpointAddr: os.Getenv(EnvEndpointAddr),
		ControlAddr:  os.Getenv(EnvControlAddr),
		ControlToken: os.Getenv(EnvControlToken),
		AuthToken:    os.Getenv(EnvAuthToken),
	}
	if c.ControlToken == "" {
		return c, fmt.Errorf("%s is not set: lab sets it when it starts a task's agent", EnvControlToken)
	}
	return c, nil
}

// Serve runs the agent until ctx ends: the endpoints and the control
// port, each on its own listener. Both are bound before Serve returns
// an error for either, so a port taken by the task is reported at once.
func Serve(ctx context.Context, c Config) error {
	if c.ControlToken == "" {
		return errors.New("the agent needs a control token")
	}
	endpointAddr := cmpOr(c.EndpointAddr, net.JoinHostPort("127.0.0.1", strconv.Itoa(EndpointPort)))
	controlAddr := cmpOr(c.ControlAddr, ":"+strconv.Itoa(ControlPort))
	a := NewAgent(c.ControlToken, c.AuthToken)
	endpoints, err := net.Listen("tcp", endpointAddr)
	if err != nil {
		return fmt.Errorf("task agent endpoints: %w", err)
	}
	control, err := net.Listen("tcp", controlAddr)
	if err != nil {
		endpoints.Close()
		return fmt.Errorf("task agent control: %w", err)
	}
	servers := []*http.Server{
		{Handler: a.EndpointHandler(), ReadHeaderTimeout: 5 * time.Second},
		{Handler: a.ControlHandler(), ReadHeaderTimeout: 5 * time.Second},
	}
	errc := make(chan error, 2)
	for i, l := range []net.Listener{endpoints, control} {
		go func() { errc <- servers[i].Serve(l) }()
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ServeFromEnv is the agent mode of the workload program: the Config
// from the environment, served until SIGTERM (docker stop) or SIGINT.
func ServeFromEnv(ctx context.Context) error {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	return Serve(ctx, cfg)
}

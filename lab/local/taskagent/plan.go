package taskagent

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"strconv"

	"github.com/docker/docker/api/types/container"
)

// TaskOptions describe the task an agent is planned for.
type TaskOptions struct {
	Containers []string // the task's container names, as the definition names them
	TaskRole   bool     // serve credentials: the containers get the credentials variables
	Image      string   // lab's workload image, whose program serves the agent
	// NetworkMode joins the agent to the task's network namespace,
	// e.g. "container:<id of the task's namespace holder>".
	NetworkMode string
	Labels      map[string]string // the agent container's labels (the run's, for gc)
}

// Plan is one task's agent: its tokens, its containers' endpoint ids,
// and what the runtime needs to start it and its containers.
type Plan struct {
	opts          TaskOptions
	controlToken  string
	authToken     string            // empty without a task role
	credentialsID string            // empty without a task role
	endpoints     map[string]string // container name -> endpoint id
}

// The agent container's limits. It is not in the task's envelope (on
// Fargate the agent's use is not the task's either), and it needs
// little: it answers from memory.
const (
	agentMemoryBytes = 32 << 20
	agentNanoCPUs    = 100_000_000 // 0.1 of a core
	agentPids        = 64
	agentUser        = "65534:65534" // nobody
)

// NewPlan draws a task's tokens and endpoint ids.
func NewPlan(o TaskOptions) (*Plan, error) {
	if len(o.Containers) == 0 {
		return nil, fmt.Errorf("task agent: the task has no container")
	}
	p := &Plan{opts: o, controlToken: randomHex(32), endpoints: map[string]string{}}
	for _, name := range o.Containers {
		if _, dup := p.endpoints[name]; dup {
			return nil, fmt.Errorf("task agent: two containers named %q", name)
		}
		p.endpoints[name] = randomHex(16)
	}
	if o.TaskRole {
		p.authToken, p.credentialsID = randomHex(32), randomHex(16)
	}
	return p, nil
}

// AgentContainer is the agent's container: lab's workload program in
// agent mode, joined to the task's namespace, with the tokens in its
// environment (the only place they are written), confined as the
// built-in app is.
func (p *Plan) AgentContainer() (*container.Config, *container.HostConfig) {
	env := []string{EnvControlToken + "=" + p.controlToken}
	if p.authToken != "" {
		env = append(env, EnvAuthToken+"="+p.authToken)
	}
	cfg := &container.Config{
		Image:  p.opts.Image,
		Cmd:    []string{"agent"},
		Env:    env,
		User:   agentUser,
		Labels: maps.Clone(p.opts.Labels),
	}
	host := &container.HostConfig{
		NetworkMode: container.NetworkMode(p.opts.NetworkMode),
		Resources: container.Resources{
			Memory: agentMemoryBytes, MemorySwap: agentMemoryBytes,
			NanoCPUs: agentNanoCPUs, PidsLimit: ptr(int64(agentPids)),
		},
		CapDrop:        []string{"ALL"},
		ReadonlyRootfs: true,
		SecurityOpt:    []string{"no-new-privileges"},
	}
	return cfg, host
}

// Env is what the task's container name gets in its environment: the
// metadata URIs (v4 and v3) and, with a task role, the credentials URI
// and its authorization token.
func (p *Plan) Env(name string) map[string]string {
	base := "http://127.0.0.1:" + strconv.Itoa(EndpointPort)
	id := p.endpoints[name]
	env := map[string]string{
		EnvMetadataV4: base + "/v4/" + id,
		EnvMetadataV3: base + "/v3/" + id,
	}
	if p.authToken != "" {
		env[EnvCredentialsURI] = base + "/v2/credentials/" + p.credentialsID
		env[EnvCredentialsTok] = p.authToken
	}
	return env
}

// Endpoints maps the endpoint ids to container names, for State.
func (p *Plan) Endpoints() map[string]string {
	out := make(map[string]string, len(p.endpoints))
	for name, id := range p.endpoints {
		out[id] = name
	}
	return out
}

// TaskRole reports whether the plan serves credentials.
func (p *Plan) TaskRole() bool { return p.authToken != "" }

// CredentialsID is the last part of the credentials URI.
func (p *Plan) CredentialsID() string { return p.credentialsID }

// Updater talks to the planned agent, whose control port lab reaches at
// addr.
func (p *Plan) Updater(addr string) *Updater { return NewUpdater(addr, p.controlToken) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics on a broken system)
	return hex.EncodeToString(b)
}

func ptr[T any](v T) *T { return &v }

// Package taskagent is lab's stand-in for the part of the ECS agent that
// a task's containers talk to: the task metadata endpoint (v4, and v3 at
// the same documents) and the task role's credentials endpoint, served by
// one small process per task inside the task's network namespace, so
// that every container of the task reaches it on localhost.
//
// lab feeds the agent over a control connection: it PUTs the task's
// state, its containers' stats and the role's credentials as JSON to the
// agent's control port, with a bearer token that only lab and the agent
// know (the agent reads it from its environment). The agent keeps the
// last of each and answers from memory; it never talks to Docker or AWS.
//
// Plan gives the runtime what a task needs: the agent container's
// configuration and the variables the task's containers get
// (ECS_CONTAINER_METADATA_URI_V4, ECS_CONTAINER_METADATA_URI,
// AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN).
// Updater is lab's side of the control connection, and KeepCredentials
// keeps the agent's credentials fresh.
package taskagent

import (
	"fmt"
	"time"

	"github.com/ecslab/lab/lab/local/taskmeta"
)

// Ports of the agent inside the task's network namespace. ECS's agent
// serves the endpoints at 169.254.170.2:80, which a local Docker network
// cannot route; lab serves them on the task's loopback instead, on a
// port the task's own containers must leave free (ReservedPorts).
const (
	// EndpointPort serves the metadata and credentials endpoints, on
	// 127.0.0.1 only: the task's containers reach it, nothing else does.
	EndpointPort = 51679
	// ControlPort serves lab's control requests, on every interface of
	// the namespace, so that lab reaches it from the host as it reaches
	// the task's application port.
	ControlPort = 51680
)

// ReservedPorts are the ports a task's containers cannot listen on.
func ReservedPorts() []int { return []int{EndpointPort, ControlPort} }

// The agent's environment: what Plan sets and Serve reads.
const (
	EnvControlToken = "LAB_AGENT_CONTROL_TOKEN" // bearer token of the control requests
	EnvAuthToken    = "LAB_AGENT_AUTH_TOKEN"    // the credentials endpoint's token; unset: no credentials endpoint
	EnvEndpointAddr = "LAB_AGENT_ENDPOINT_ADDR" // default 127.0.0.1:EndpointPort
	EnvControlAddr  = "LAB_AGENT_CONTROL_ADDR"  // default :ControlPort
)

// The variables a task's containers get, as ECS names them.
const (
	EnvMetadataV4     = "ECS_CONTAINER_METADATA_URI_V4"
	EnvMetadataV3     = "ECS_CONTAINER_METADATA_URI"
	EnvCredentialsURI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvCredentialsTok = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
)

// Paths of the control connection.
const (
	PathState       = "/lab/v1/task"
	PathStats       = "/lab/v1/stats"
	PathCredentials = "/lab/v1/credentials"
	PathReady       = "/lab/v1/ready"
)

// State is what lab tells the agent of its task: the task document, and
// which container each metadata endpoint id belongs to (the id is the
// last part of that container's ECS_CONTAINER_METADATA_URI_V4).
type State struct {
	Task      taskmeta.TaskResponse `json:"task"`
	Endpoints map[string]string     `json:"endpoints"` // endpoint id -> container name
}

// StatsUpdate is the latest stats document of each container of the
// task, by Docker ID.
type StatsUpdate map[string]taskmeta.Stats

// Credentials are a role's temporary credentials, in the shape the
// container credentials endpoint answers (the AWS SDKs' container
// provider reads these keys). They never print: String and GoString
// name the role only, so that a stray %v in a log cannot leak them.
type Credentials struct {
	RoleArn         string `json:"RoleArn"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"` // RFC 3339, UTC
}

// NewCredentials fills Credentials, its expiry written as ECS writes it.
func NewCredentials(roleARN, keyID, secret, token string, expires time.Time) Credentials {
	return Credentials{
		RoleArn: roleARN, AccessKeyID: keyID, SecretAccessKey: secret, Token: token,
		Expiration: expires.UTC().Format(time.RFC3339),
	}
}

func (c Credentials) String() string {
	return fmt.Sprintf("credentials of %q until %s (redacted)", c.RoleArn, c.Expiration)
}

// GoString keeps %#v from printing the fields.
func (c Credentials) GoString() string { return c.String() }

// credentialsUpdate is the body of a PUT to PathCredentials: the
// credentials and the id of the endpoint path they are served at.
type credentialsUpdate struct {
	ID          string      `json:"id"`
	Credentials Credentials `json:"credentials"`
}

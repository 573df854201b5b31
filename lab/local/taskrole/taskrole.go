// Package taskrole gives a local task the credentials an ECS task gets
// from its task role: the developer's own (the AWS SDK's default chain,
// as the aws CLI finds them) or those of the definition's taskRoleArn,
// assumed with STS. It is, with package ecs, the only part of lab that
// talks to AWS, and it does so only when a run asks for a task role.
package taskrole

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecslab/lab/lab/local/taskagent"
)

// Mode is where a task role's credentials come from.
type Mode string

// The modes a scenario's task_role and --task-role name.
const (
	Off     Mode = ""
	UseMine Mode = "use-my-credentials" // the developer's own chain
	Assume  Mode = "assume"             // STS AssumeRole of the definition's taskRoleArn
)

// ParseMode reads a mode as a scenario or a flag writes it.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Off, UseMine, Assume:
		return m, nil
	}
	return Off, fmt.Errorf("%q is not a task role mode: want %s or %s", s, UseMine, Assume)
}

// staticLife is the Expiration lab gives credentials that do not expire
// (long-term keys): containers' SDKs then come back for them now and
// then, as they do on ECS, where task credentials always expire.
const staticLife = time.Hour

// assumeDuration is how long an assumed role's session lasts (STS's
// default maximum for a role).
const assumeDuration = time.Hour

// Options choose a run's source of credentials.
type Options struct {
	Mode    Mode
	RoleARN string // the definition's taskRoleArn: required to assume
	// Session names the assumed role's session (lab-<run id>), so that
	// CloudTrail tells lab's calls apart.
	Session string
	// Config is the AWS configuration to use; nil loads the default
	// chain (environment, shared files, SSO, ...).
	Config *aws.Config
}

// Source is a run's credentials source: one provider, cached, shared by
// every task of the run.
type Source struct {
	mode     Mode
	roleARN  string
	provider aws.CredentialsProvider
	now      func() time.Time
}

var _ taskagent.Source = (*Source)(nil)

// New prepares the source o describes. It fetches nothing yet: Check
// does, before any task starts.
func New(ctx context.Context, o Options) (*Source, error) {
	if o.Mode == Off {
		return nil, errors.New("taskrole: no mode")
	}
	if o.Mode == Assume && o.RoleARN == "" {
		return nil, errors.New("task_role assume needs the task definition's taskRoleArn, and it has none")
	}
	cfg, err := awsConfig(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	s := &Source{mode: o.Mode, roleARN: o.RoleARN, provider: cfg.Credentials, now: time.Now}
	if o.Mode == Assume {
		client := sts.NewFromConfig(cfg)
		s.provider = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, o.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = sessionName(o.Session)
			ao.Duration = assumeDuration
		}))
	}
	if s.provider == nil {
		return nil, errors.New("no AWS credentials provider")
	}
	return s, nil
}

func awsConfig(ctx context.Context, given *aws.Config) (aws.Config, error) {
	if given != nil {
		return *given, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load your AWS configuration: %w", err)
	}
	return cfg, nil
}

// sessionName keeps to STS's alphabet and length (2 to 64 of
// [\w+=,.@-]).
func sessionName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@-", r) {
			return r
		}
		return '-'
	}, cmpOr(s, "lab"))
	if len(s) < 2 {
		s += "-lab"
	}
	return s[:min(len(s), 64)]
}

// Mode is the source's mode.
func (s *Source) Mode() Mode { return s.mode }

// Describe says, for people, where the credentials come from; it holds
// no credential.
func (s *Source) Describe() string {
	if s.mode == Assume {
		return "task role " + s.roleARN + ", assumed with STS"
	}
	return "task role credentials: your own (the AWS SDK's default chain)"
}

// Credentials are the role's current credentials in the endpoint's
// shape. Errors say what failed, never a credential.
func (s *Source) Credentials(ctx context.Context) (taskagent.Credentials, error) {
	c, err := s.provider.Retrieve(ctx)
	if err != nil {
		if s.mode == Assume {
			return taskagent.Credentials{}, fmt.Errorf("assume %s: %w", s.roleARN, err)
		}
		return taskagent.Credentials{}, fmt.Errorf("your AWS credentials (--task-role use-my-credentials): %w", err)
	}
	exp := c.Expires
	if !c.CanExpire || exp.IsZero() {
		exp = s.now().Add(staticLife)
	}
	// Your own credentials are no role's: RoleArn names the role only
	// when it is the role's.
	role := ""
	if s.mode == Assume {
		role = s.roleARN
	}
	return taskagent.NewCredentials(role, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, exp), nil
}

// Check fetches credentials once, so that a run without them fails
// before its first task, in one line.
func (s *Source) Check(ctx context.Context) error {
	_, err := s.Credentials(ctx)
	return err
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

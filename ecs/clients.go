package ecs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/ecslab/lab/internal/format"
)

// Clients are the AWS service clients lab uses, all from one
// configuration: one region, one set of credentials.
type Clients struct {
	Region      string
	ECS         *ecs.Client
	Autoscaling *aas.Client
	ELB         *elb.Client
	CloudWatch  *cloudwatch.Client
	Logs        *cloudwatchlogs.Client
	EC2         *ec2.Client
	ECR         *ecr.Client
	STS         *sts.Client
	// Clock is AWS's clock against this machine's, from every response.
	Clock *ServerClock
}

// Throttled calls are retried with exponential backoff by the SDK's
// standard retryer; lab allows more attempts than its default of 3, as a
// plan makes bursts of control-plane calls.
const (
	maxAttempts = 8
	maxBackoff  = 20 * time.Second
)

// Connect loads the standard AWS configuration (see LoadConfig), checks
// that it has credentials, and makes the clients.
func Connect(ctx context.Context, region string) (*Clients, error) {
	cfg, err := LoadConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE, or run `aws sso login` (%s)", format.FirstLine(Explain(err).Error()))
	}
	return NewClients(cfg), nil
}

// LoadConfig loads the standard AWS configuration (environment, shared
// config and credentials files, profiles, SSO; AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> for an emulator) with lab's retries, and
// checks that it has a region. region, when set (the scenario's
// ecs.region), wins over the configured one.
func LoadConfig(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		// lab says in one line what is wrong; the SDK's own warnings
		// (e.g. the IMDS fallback while looking for credentials) would
		// only come before it.
		config.WithLogger(logging.Nop{}),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxBackoff
			})
		}),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", Explain(err))
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: set ecs.region in the scenario or the --ecs file, AWS_REGION, or a region in your AWS profile")
	}
	return cfg, nil
}

// NewClients makes every service client from one configuration.
func NewClients(cfg aws.Config) *Clients {
	if cfg.Credentials != nil {
		// What the clients sign with is what Explain redacts.
		cfg.Credentials = rememberingProvider{cfg.Credentials}
	}
	clock := &ServerClock{}
	next := cfg.HTTPClient
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	cfg.HTTPClient = clockingClient{next: next, clock: clock}
	return &Clients{
		Clock:       clock,
		Region:      cfg.Region,
		ECS:         ecs.NewFromConfig(cfg),
		Autoscaling: aas.NewFromConfig(cfg),
		ELB:         elb.NewFromConfig(cfg),
		CloudWatch:  cloudwatch.NewFromConfig(cfg),
		Logs:        cloudwatchlogs.NewFromConfig(cfg),
		EC2:         ec2.NewFromConfig(cfg),
		ECR:         ecr.NewFromConfig(cfg),
		STS:         sts.NewFromConfig(cfg),
	}
}

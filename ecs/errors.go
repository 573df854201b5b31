package ecs

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ecslab/lab/internal/format"
)

// explained is an AWS error turned into one line that says what happened
// and what to do. It unwraps to the SDK's error.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// Explain turns an error from an AWS call into one line a user can act
// on: missing permissions, rejected or expired credentials, throttling
// that outlasted the retries, a quota, an invalid Fargate cpu/memory
// pair, an endpoint that cannot be reached. Other errors keep the
// service's own message, on one line. No credential lab's clients
// signed with is in the result, even when the endpoint echoed one
// (redact.go).
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var already *explained
	if errors.As(err, &already) {
		return err
	}
	e := explain(err)
	e.msg = redactSecrets(e.msg)
	return e
}

// explain is Explain before the redaction.
func explain(err error) *explained {
	op := ""
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = serviceLabel(oe.ServiceID) + ":" + oe.OperationName + ": "
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		var dns *net.DNSError
		var opErr *net.OpError
		switch {
		case errors.As(err, &dns), errors.As(err, &opErr):
			return &explained{op + "cannot reach the AWS endpoint (" + format.FirstLine(err.Error()) + "): check the network, the region, and AWS_ENDPOINT_URL if you use one", err}
		}
		var resp *smithyhttp.ResponseError
		if errors.As(err, &resp) {
			return &explained{fmt.Sprintf("%sthe endpoint answered HTTP %d with a body that is not this call's answer (an emulator without this call, or a proxy in the way?)", op, resp.HTTPStatusCode()), err}
		}
		var maxAtt *retry.MaxAttemptsError
		if errors.As(err, &maxAtt) {
			return &explained{op + "gave up after " + fmt.Sprint(maxAtt.Attempt) + " attempts: " + format.FirstLine(maxAtt.Err.Error()), err}
		}
		return &explained{op + format.FirstLine(err.Error()), err}
	}
	code, msg := api.ErrorCode(), format.FirstLine(api.ErrorMessage())
	say := func(what string) *explained { return &explained{op + what, err} }
	switch {
	case code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" || code == "UnauthorizedException":
		return say(fmt.Sprintf("access denied (%s): the credentials in use lack this permission; grant it to the user or role, or use other credentials (AWS_PROFILE)", msg))
	case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired":
		return say("the AWS credentials have expired: refresh them (e.g. `aws sso login`) and run again")
	case code == "InvalidClientTokenId" || code == "UnrecognizedClientException" || code == "InvalidSignatureException" || code == "SignatureDoesNotMatch" || code == "AuthFailure" || code == "MissingAuthenticationToken":
		return say("AWS rejected the credentials (" + code + "): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile in use")
	case isThrottle(code):
		return say(fmt.Sprintf("AWS kept throttling the call after %d attempts with backoff: wait a minute and run again", maxAttempts))
	case isQuota(code, msg):
		return say("an AWS quota is reached (" + msg + "): remove unused resources or ask for a higher quota in the Service Quotas console")
	case code == "ClientException" && isFargateSize(msg):
		return say("Fargate does not accept this cpu/memory pair (" + msg + "): `lab sizes` lists the valid ones")
	case code == "ClusterNotFoundException":
		return say("the cluster does not exist (" + msg + "): check ecs.cluster and the region")
	}
	if msg == "" {
		return say(code)
	}
	return say(code + ": " + msg)
}

func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown",
		"ProvisionedThroughputExceededException", "PriorRequestNotComplete", "EC2ThrottledException":
		return true
	}
	return false
}

func isQuota(code, msg string) bool {
	switch code {
	case "LimitExceededException", "LimitExceeded", "ServiceQuotaExceededException",
		"TooManyLoadBalancers", "TooManyTargetGroups", "TooManyListeners", "TooManyTags",
		"LimitExceededFault", "ResourceLimitExceeded":
		return true
	}
	return strings.Contains(strings.ToLower(msg), "limit exceeded") || strings.Contains(strings.ToLower(msg), "quota")
}

func isFargateSize(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "no fargate configuration exists") ||
		strings.Contains(m, "invalid 'cpu' setting") || strings.Contains(m, "invalid 'memory' setting") ||
		strings.Contains(m, "invalid cpu or memory")
}

// serviceLabel names a service as the plan does (the AWS CLI's names).
func serviceLabel(id string) string {
	switch id {
	case "ECS":
		return ServiceECS
	case "Application Auto Scaling":
		return ServiceAutoscaling
	case "Elastic Load Balancing v2":
		return ServiceELB
	case "CloudWatch Logs":
		return ServiceLogs
	case "CloudWatch":
		return ServiceCloudWatch
	case "EC2":
		return ServiceEC2
	case "ECR":
		return "ecr"
	}
	return strings.ToLower(id)
}

// apiCode is the AWS error code of err, or "".
func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

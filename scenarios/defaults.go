package scenarios

import "time"

// Defaults of the fields a scenario may leave out (scenarios/schema.json
// shows them to editors). Health checks are ALB's, compressed for a lab.
const (
	DefaultCount               = 1
	DefaultHealthPath          = "/"
	DefaultHealthInterval      = 2 * time.Second
	DefaultHealthTimeout       = 1 * time.Second
	DefaultHealthyThreshold    = 2
	DefaultUnhealthyThreshold  = 2
	DefaultAlgorithm           = RoundRobin
	DefaultTargetTimeout       = 60 * time.Second // ALB idle timeout: the balancer answers 504 after it
	DefaultIdleTimeout         = 60 * time.Second // ALB's default: an idle client connection is closed after it
	DefaultDeregistrationDelay = 5 * time.Second  // ALB: 300s
	DefaultLoadTimeout         = 65 * time.Second // longer than the target timeout, so the client sees the 504
	DefaultMethod              = "GET"
	DefaultWeight              = 1

	DefaultMetricPeriod   = 60 * time.Second // CloudWatch's one-minute datapoints
	DefaultHighDatapoints = 3
	DefaultLowDatapoints  = 15
	DefaultCooldown       = 300 * time.Second // ECS's default for both cooldowns
	DefaultStepDatapoints = 1
)

// Balancer algorithms.
const (
	RoundRobin               = "round_robin"
	LeastOutstandingRequests = "least_outstanding_requests"
)

// defaultScenario is a scenario with every default filled in, for the
// loader to read a file over.
func defaultScenario() *Scenario {
	return &Scenario{
		Service: Service{
			Count: DefaultCount,
			HealthCheck: HealthCheck{
				Path:               DefaultHealthPath,
				Interval:           DefaultHealthInterval,
				Timeout:            DefaultHealthTimeout,
				HealthyThreshold:   DefaultHealthyThreshold,
				UnhealthyThreshold: DefaultUnhealthyThreshold,
				Matcher:            DefaultMatcher,
			},
		},
		Balancer: Balancer{
			Algorithm:           DefaultAlgorithm,
			TargetTimeout:       DefaultTargetTimeout,
			IdleTimeout:         DefaultIdleTimeout,
			DeregistrationDelay: DefaultDeregistrationDelay,
		},
		Load: LoadSpec{Timeout: DefaultLoadTimeout},
	}
}

func defaultAutoscaling() *Autoscaling {
	return &Autoscaling{
		MetricPeriod:   DefaultMetricPeriod,
		HighDatapoints: DefaultHighDatapoints,
		LowDatapoints:  DefaultLowDatapoints,
	}
}

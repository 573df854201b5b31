// Package ecs is lab's ECS target: it replays a scenario on Amazon ECS
// (Fargate) through aws-sdk-go-v2, and is the only package that talks to
// AWS.
//
// Everything starts from a Plan (NewPlan): the ordered list of API calls
// that running the scenario on ECS makes, each with the SDK's own input
// struct, so that what `lab run --target ecs --dry-run` prints is exactly
// what apply sends. Building and printing a plan is pure: it needs neither
// credentials nor network. Values the plan cannot know yet appear as
// visible placeholders in angle brackets:
//
//   - settings still missing (no ecs: section, no --ecs FILE), such as
//     "<subnets>" or "<execution_role_arn>", listed by Plan.Missing;
//   - outputs of earlier calls, such as "<TargetGroupArn from step 5>",
//     which apply fills in from that step's response (see ParseRef).
package ecs

// Package taskdef reads an ECS task definition as people keep it: the JSON
// input of RegisterTaskDefinition, or what `aws ecs describe-task-definition`
// prints (the "taskDefinition" wrapper and its read-only fields are
// accepted and ignored).
//
// [Load] and [Parse] return a [Definition] checked as ECS checks a Fargate
// registration: Fargate cpu/memory pairs, container limits within the
// task, networkMode awsvpc, unique container names, dependsOn targets and
// conditions. Every problem, including fields that are unknown or that lab
// cannot honour (EFS volumes, environmentFiles from S3), is reported with
// the file, line, column and field path, in the shape of the scenario
// loader's errors. Fields lab keeps only for ECS (they have no local
// effect) come back as [Definition.Warnings].
//
// The package describes the definition; running it (package lab/local)
// and registering it on ECS (package ecs) are elsewhere.
package taskdef

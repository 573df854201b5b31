package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/lab/local"
)

// Values of `lab ecs push --auth`.
const (
	pushAuthAuto = "auto" // ecr for an ECR registry host, none otherwise
	pushAuthECR  = "ecr"  // an ECR login token from the AWS configuration
	pushAuthNone = "none" // no credentials (a local or open registry)
)

func newECSPushCmd() *cobra.Command {
	var repository, tag, auth, localImage string
	var platforms []string
	cmd := &cobra.Command{
		Use:   "push --repository URI [--tag T] [--platform P,...] [--image LOCAL]",
		Short: "Push lab's built-in workload image (or a local image) to a registry (ECR)",
		Long: `push builds (or reuses) lab's workload image and pushes it through the
Docker Engine to the repository URI, e.g.
123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload (create it first:
aws ecr create-repository --repository-name lab-workload).

--platform says which Fargate platforms to push for: linux/amd64 (the
default, Fargate's X86_64) and linux/arm64 (runtime_platform: ARM64),
whatever this machine's architecture; with both, one image each (TAG-amd64,
TAG-arm64) and a manifest list under TAG naming them, so that a task of
either platform pulls its own. --image pushes a local image of your own
(a scenario's workload.image) instead, as it is.

The tag defaults to the image's content hash (the first 12 hex digits of
the packaged binary's SHA-256, as in the local lab-workload:<hash>); no
"latest" is pushed, so immutable repositories work and a scenario names
exactly the binary it runs.

Credentials (--auth): for an ECR host (*.dkr.ecr.<region>.amazonaws.com)
lab asks ECR for a login token with the standard AWS configuration
(environment, profiles, SSO, AWS_ENDPOINT_URL_ECR), in the repository's
region, and hands it to Docker for this push only: it is not stored in
Docker's config and never printed. Other hosts (e.g. a local registry on
127.0.0.1:5000) get no credentials unless --auth ecr is given, as for an
AWS emulator's registry; the token is only ever sent to the registry it
was issued for.

stdout gets one line, REPOSITORY:TAG@DIGEST, to use as the scenario's
workload image; progress goes to stderr.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, err := ecs.ParseRepository(repository)
			if repository == "" {
				err = errors.New("--repository is required, e.g. --repository 123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload")
			}
			if err != nil {
				return usageError{err}
			}
			if tag != "" && !ecs.ValidTag(tag) {
				return usageError{fmt.Errorf("--tag %q is not a valid tag: up to 128 letters, digits, _ . and -, not starting with . or -", tag)}
			}
			if tag != "" && repo.Tag != "" && tag != repo.Tag {
				return usageError{fmt.Errorf("--repository has tag %q and --tag is %q: give one", repo.Tag, tag)}
			}
			var useECR bool
			switch auth {
			case pushAuthAuto:
				useECR = repo.ECRRegion() != ""
			case pushAuthECR:
				useECR = true
			case pushAuthNone:
			default:
				return usageError{fmt.Errorf("--auth %q: want %s, %s or %s", auth, pushAuthAuto, pushAuthECR, pushAuthNone)}
			}

			ctx := cmd.Context()
			var token ecs.TokenSource
			if useECR {
				if token, err = ecrTokenSource(ctx, repo.ECRRegion()); err != nil {
					return err
				}
			}
			docker, err := local.Connect(ctx)
			if err != nil {
				return err
			}
			defer docker.Close()

			stderr := cmd.ErrOrStderr()
			if localImage == "" && len(platforms) == 0 {
				platforms = []string{"linux/amd64"}
			}
			ref, digest, err := ecs.Push(ctx, ecs.PushOptions{
				Docker: docker, Token: token, Repository: repository, Tag: tag,
				Platforms: platforms, LocalImage: localImage,
				Progress: &prefixWriter{w: stderr, prefix: "lab: "},
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "lab: pushed %s, digest %s\n", ref, digest)
			fmt.Fprintf(cmd.OutOrStdout(), "%s@%s\n", ref, digest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&repository, "repository", "", "repository `URI` to push to, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload")
	f.StringVar(&tag, "tag", "", "tag `T` to push (default: the image's content hash, 12 hex digits)")
	f.StringVar(&auth, "auth", pushAuthAuto, "registry credentials: auto (ecr for an ECR host, none otherwise), ecr, or none")
	f.StringSliceVar(&platforms, "platform", nil, "platforms to push the built-in workload for: linux/amd64 (default), linux/arm64, or both")
	f.StringVar(&localImage, "image", "", "push this local `IMAGE` (your scenario's own) instead of the built-in workload")
	return cmd
}

// ecrTokenSource returns the ECR client that gives push its login token,
// from the standard AWS configuration; region, when set (the region of an
// ECR repository URI), wins over the configured one.
func ecrTokenSource(ctx context.Context, region string) (ecs.TokenSource, error) {
	c, err := ecs.Connect(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("ECR login: %w", err)
	}
	return c.ECR, nil
}

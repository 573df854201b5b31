package workload

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// PrepareAPI is the part of the Docker Engine API client that
// PrepareImage uses. *client.Client implements it.
type PrepareAPI interface {
	ImageAPI
	ImageInspect(ctx context.Context, imageID string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
}

var _ PrepareAPI = (*client.Client)(nil)

// PrepareImage returns the image lab's tasks run. With own set (a
// scenario's own image) that is own, which must be present locally: there
// is no registry to pull it from. With own empty it is the built-in app's
// image for the daemon's architecture, built on first use (FindBinary,
// EnsureImage); progress gets a line saying which program it packages,
// begun before a build that may take a while.
func PrepareImage(ctx context.Context, cli PrepareAPI, own string, progress io.Writer) (string, error) {
	if own != "" {
		if _, err := cli.ImageInspect(ctx, own); err != nil {
			if errdefs.IsNotFound(err) {
				return "", fmt.Errorf("image %s is not present locally: build it (docker build -t %s .) or load it (docker load), then run again", own, own)
			}
			return "", fmt.Errorf("inspect image %s: %w", own, err)
		}
		return own, nil
	}
	daemon, err := DaemonPlatform(ctx, cli)
	if err != nil {
		return "", err
	}
	finder, err := NewFinder(progress)
	if err != nil {
		return "", err
	}
	bin, err := finder.Find(ctx, daemon)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "preparing the workload image for %s from %s (%s)... ", daemon, filepath.Base(bin.Path), bin.Source)
	ref, built, err := EnsureImage(ctx, cli, WithBinary(bin.Path))
	if err != nil {
		fmt.Fprintln(progress)
		return "", err
	}
	if built {
		fmt.Fprintf(progress, "built %s\n", ref)
	} else {
		fmt.Fprintf(progress, "%s\n", ref)
	}
	return ref, nil
}

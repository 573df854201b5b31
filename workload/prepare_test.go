package workload

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
)

// inspectEngine is a fakeEngine that also answers ImageInspect from its
// images (by ID or tag), or with inspectErr.
type inspectEngine struct {
	*fakeEngine
	inspectErr error
}

func (f inspectEngine) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	if f.inspectErr != nil {
		return image.InspectResponse{}, f.inspectErr
	}
	for _, img := range f.images {
		if img.ID == ref || slices.Contains(img.RepoTags, ref) {
			return image.InspectResponse{ID: img.ID, RepoTags: img.RepoTags}, nil
		}
	}
	return image.InspectResponse{}, errdefs.NotFound(errors.New("no such image: " + ref))
}

func TestPrepareImageBuildsTheBuiltinAppOnce(t *testing.T) {
	bin := fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, "")
	t.Setenv(EnvWorkloadBinary, writeFile(t, "lab", bin))
	want := "lab-workload:" + sha256Hex(bin)[:12]
	eng := inspectEngine{fakeEngine: &fakeEngine{version: linuxAMD64}}

	var progress bytes.Buffer
	ref, err := PrepareImage(context.Background(), eng, "", &progress)
	if err != nil || ref != want {
		t.Fatalf("PrepareImage = %q, %v; want %q", ref, err, want)
	}
	if got := progress.String(); got != "preparing the workload image for linux/amd64 from lab (LAB_WORKLOAD_BINARY)... built "+want+"\n" {
		t.Errorf("progress %q", got)
	}
	progress.Reset()
	if ref, err := PrepareImage(context.Background(), eng, "", &progress); err != nil || ref != want {
		t.Fatalf("second PrepareImage = %q, %v; want %q", ref, err, want)
	}
	if got := progress.String(); got != "preparing the workload image for linux/amd64 from lab (LAB_WORKLOAD_BINARY)... "+want+"\n" {
		t.Errorf("second progress %q", got)
	}
	if len(eng.builds) != 1 {
		t.Errorf("%d builds, want 1", len(eng.builds))
	}
}

func TestPrepareImageFailsOnTheLine(t *testing.T) {
	t.Setenv(EnvWorkloadBinary, writeFile(t, "x", []byte("#!/bin/sh\n")))
	var progress bytes.Buffer
	_, err := PrepareImage(context.Background(), inspectEngine{fakeEngine: &fakeEngine{version: linuxAMD64}}, "", &progress)
	var be *BinaryError
	if !errors.As(err, &be) {
		t.Fatalf("error %v (%T), want a *BinaryError", err, err)
	}
	// The program is checked before the line for the image begins.
	if got := progress.String(); got != "" {
		t.Errorf("progress %q", got)
	}
}

func TestPrepareImageUsesTheScenariosOwnImage(t *testing.T) {
	eng := inspectEngine{fakeEngine: &fakeEngine{images: []image.Summary{{ID: "sha256:app", RepoTags: []string{"my/app:1"}}}}}
	var progress bytes.Buffer
	if ref, err := PrepareImage(context.Background(), eng, "my/app:1", &progress); err != nil || ref != "my/app:1" {
		t.Fatalf("PrepareImage = %q, %v; want my/app:1", ref, err)
	}
	if progress.Len() != 0 || len(eng.builds) != 0 {
		t.Errorf("an own image: progress %q, %d builds; want neither", progress.String(), len(eng.builds))
	}

	_, err := PrepareImage(context.Background(), eng, "my/app:2", &progress)
	want := "image my/app:2 is not present locally: build it (docker build -t my/app:2 .) or load it (docker load), then run again"
	if err == nil || err.Error() != want {
		t.Errorf("missing image: error %v, want %q", err, want)
	}

	eng.inspectErr = errors.New("connection refused")
	_, err = PrepareImage(context.Background(), eng, "my/app:1", &progress)
	if err == nil || err.Error() != "inspect image my/app:1: connection refused" {
		t.Errorf("engine error: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/ecslab/lab/lab/local"
)

// gcEngine is a Docker daemon with one container per run (labels as
// given) and workload images, for runGC.
type gcEngine struct {
	client.APIClient
	containers map[string]container.Summary
	images     []image.Summary
	removeErr  error
	removed    []string // images removed
}

func (e *gcEngine) ContainerList(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
	var out []container.Summary
	for _, c := range e.containers {
		ok := true
		for _, f := range o.Filters.Get("label") {
			k, v, hasValue := strings.Cut(f, "=")
			if got, has := c.Labels[k]; !has || hasValue && got != v {
				ok = false
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// Info says nothing of cgroups: gc removes no task envelope.
func (e *gcEngine) Info(context.Context) (system.Info, error) { return system.Info{}, nil }

func (e *gcEngine) NetworkList(context.Context, network.ListOptions) ([]network.Summary, error) {
	return nil, nil
}

func (e *gcEngine) VolumeList(context.Context, volume.ListOptions) (volume.ListResponse, error) {
	return volume.ListResponse{}, nil
}

func (e *gcEngine) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	if e.removeErr != nil {
		return e.removeErr
	}
	delete(e.containers, id)
	return nil
}

func (e *gcEngine) ImageList(_ context.Context, o image.ListOptions) ([]image.Summary, error) {
	return e.images, nil
}

func (e *gcEngine) ImageRemove(_ context.Context, id string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	e.removed = append(e.removed, id)
	return nil, nil
}

// deadRun is the container of a run of an older lab whose lock file is
// free: dead.
func deadRun(t *testing.T, id string) container.Summary {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "lab", "runs")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, id+".lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return container.Summary{ID: "c-" + id, Labels: map[string]string{"lab.run": id}}
}

func TestGCFailedRemovalIsAFailure(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	e := &gcEngine{containers: map[string]container.Summary{"c-dead1": deadRun(t, "dead1")},
		removeErr: errors.New("device or resource busy")}
	var out bytes.Buffer
	err := runGC(context.Background(), e, &out, false)
	if err == nil || !strings.Contains(err.Error(), "run dead1: remove container c-dead1: device or resource busy") {
		t.Errorf("error %v: want the removal's failure", err)
	}
	if strings.Contains(out.String(), "removed run dead1") {
		t.Errorf("output says removed though the removal failed:\n%s", out.String())
	}
	e.removeErr = nil
	out.Reset()
	if err := runGC(context.Background(), e, &out, false); err != nil || !strings.Contains(out.String(), "removed run dead1") {
		t.Errorf("second gc: %v\n%s", err, out.String())
	}
}

// gc --images removes the workload images but the one a live run (this
// process, here) uses.
func TestGCImagesKeepsALiveRunsImage(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	lock, err := local.LockRun("live9")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	labels := local.RunLabels("live9")
	labels[local.LabelRunImage] = "lab-workload:inuse"
	wl := func(id, tag string) image.Summary {
		return image.Summary{ID: id, RepoTags: []string{tag}, Labels: map[string]string{"lab.image": "workload"}}
	}
	e := &gcEngine{
		containers: map[string]container.Summary{"c-live9": {ID: "c-live9", Labels: labels}, "c-dead2": deadRun(t, "dead2")},
		images:     []image.Summary{wl("sha256:inuse", "lab-workload:inuse"), wl("sha256:old", "lab-workload:old")},
	}
	var out bytes.Buffer
	if err := runGC(context.Background(), e, &out, true); err != nil {
		t.Fatal(err)
	}
	if len(e.removed) != 1 || e.removed[0] != "sha256:old" {
		t.Errorf("removed images %v, want only sha256:old", e.removed)
	}
	if _, ok := e.containers["c-live9"]; !ok {
		t.Errorf("the live run's container was removed")
	}
	for _, want := range []string{"removed run dead2", "kept run live9:", "removed 1 workload image(s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

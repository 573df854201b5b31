package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// ProgramImage builds the Go package pkg (an import path, or a directory
// such as ./testdata/alloc) static, packages it FROM scratch as /app, its
// entrypoint, tags the image tag and removes it when the test ends.
func ProgramImage(t testing.TB, cli *client.Client, tag, pkg string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	buildImage(t, cli, tag, []file{
		{name: "Dockerfile", body: []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n")},
		{name: "app", body: data},
	})
}

// BusyboxPath is where Debian's busybox-static puts its static busybox.
const BusyboxPath = "/bin/busybox"

// BusyboxImage packages this machine's static busybox FROM scratch as
// /bin/busybox with /bin/sh linked to it (what a CMD-SHELL health check
// runs; sh runs busybox's applets by name: ["sh", "-c", "wget ..."]), tags the image tag and removes it when the test ends. Without
// it (apt-get install busybox-static) the test is skipped, or fails under
// LAB_REQUIRE_DOCKER=1.
func BusyboxImage(t testing.TB, cli *client.Client, tag string) {
	t.Helper()
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s is required (apt-get install busybox-static): %v", BusyboxPath, err)
		}
		t.Skipf("no %s (apt-get install busybox-static): %v", BusyboxPath, err)
	}
	buildImage(t, cli, tag, []file{
		{name: "Dockerfile", body: []byte("FROM scratch\nCOPY busybox sh /bin/\n")},
		{name: "busybox", body: data},
		{name: "sh", link: "busybox"},
	})
}

// file is one entry of an image's build context: a file, or a symbolic
// link to link.
type file struct {
	name, link string
	body       []byte
}

// buildImage builds the image tag from a build context of files, and
// removes it when the test ends.
func buildImage(t testing.TB, cli *client.Client, tag string, files []file) {
	t.Helper()
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)}
		if f.link != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, f.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.body)
	}
	tw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := cli.ImageBuild(ctx, &ctxTar, build.ImageBuildOptions{
		Tags: []string{tag}, Version: build.BuilderV1, Remove: true, ForceRemove: true,
		Labels: map[string]string{"io.ecslab.test": "1"},
	})
	if err != nil {
		t.Fatalf("build image %s: %v", tag, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var m struct{ Error string }
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("build image %s: %v", tag, err)
		}
		if m.Error != "" {
			t.Fatalf("build image %s: %s", tag, strings.TrimSpace(m.Error))
		}
	}
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
	})
}

// BusyboxOver is base with this machine's static busybox added as
// /bin/busybox and /bin/sh (as BusyboxImage), tagged tag and removed when
// the test ends: e.g. lab's workload image with a shell for a CMD-SHELL
// health check. Base's entrypoint and command are kept.
func BusyboxOver(t testing.TB, cli *client.Client, tag, base string) {
	t.Helper()
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s is required (apt-get install busybox-static): %v", BusyboxPath, err)
		}
		t.Skipf("no %s (apt-get install busybox-static): %v", BusyboxPath, err)
	}
	buildImage(t, cli, tag, []file{
		{name: "Dockerfile", body: []byte("FROM " + base + "\nCOPY busybox sh /bin/\n")},
		{name: "busybox", body: data},
		{name: "sh", link: "busybox"},
	})
}

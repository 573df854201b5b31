package workload

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/workload/knobs"
)

// buildTestApp builds cmd/lab-workload, the program `make build` puts
// beside lab, for the engine's architecture with the go command as lab
// does, and appends random bytes to it so that its hash, and so
// its image, is this test's own.
func buildTestApp(t *testing.T, cli *client.Client) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		dockertest.Unavailable(t, "no go tool to build the test binary: %v", err)
	}
	ver, err := cli.ServerVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "lab")
	g := GoBuild{GoTool: goTool, Dir: "..", Pkg: "./cmd/lab-workload", Arch: normalizeArch(ver.Arch), Out: bin}
	if err := runGoBuild(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(rand.Text())); err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestEnsureImageWithDocker(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := buildTestApp(t, cli)

	// WithKeepStale: the developer's own workload image must survive.
	ref, built, err := EnsureImage(ctx, cli, WithBinary(bin), WithKeepStale())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("remove the test image: %v", err)
		}
	})
	if !built {
		t.Fatalf("the first EnsureImage of a new binary did not build")
	}
	ref2, built, err := EnsureImage(ctx, cli, WithBinary(bin), WithKeepStale())
	if err != nil || ref2 != ref || built {
		t.Fatalf("second EnsureImage = %q, built %v, %v; want %q reused", ref2, built, err, ref)
	}

	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Config.Labels["lab.image"]; got != "workload" {
		t.Errorf("label lab.image = %q", got)
	}
	if got, want := fmt.Sprint(img.Config.Entrypoint), "[/lab workload]"; got != want {
		t.Errorf("entrypoint %s, want %s", got, want)
	}

	t.Run("container serves and stops gracefully", func(t *testing.T) {
		testContainer(t, cli, ref)
	})
}

// testContainer runs the image under a Fargate-like limit, asks it for
// each endpoint, and stops it with SIGTERM.
func testContainer(t *testing.T, cli *client.Client, ref string) {
	if runtime.GOOS != "linux" {
		dockertest.Unavailable(t, "reaches the container by its address, which only a Linux host can")
	}
	ctx := context.Background()
	created, err := cli.ContainerCreate(ctx,
		&container.Config{Image: ref, Env: []string{"CPU_WORK=20ms"}, Labels: map[string]string{"lab.test": "workload"}},
		&container.HostConfig{Resources: container.Resources{NanoCPUs: 250_000_000, Memory: 512 << 20, MemorySwap: 512 << 20}},
		nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true}); err != nil {
			t.Errorf("remove the test container: %v", err)
		}
	})
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ip string
	for _, n := range info.NetworkSettings.Networks {
		ip = n.IPAddress
	}
	if ip == "" {
		t.Fatal("the container has no address")
	}

	base := "http://" + ip + ":" + strconv.Itoa(knobs.DefaultPort)
	httpc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := httpc.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the container did not answer in 10s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, path := range []string{"/", "/cpu_intensive", "/memory_leak", "/long_response_time"} {
		resp, err := httpc.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}

	start := time.Now()
	timeout := 10
	if err := cli.ContainerStop(ctx, created.ID, container.StopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopping took %v: SIGTERM was not handled", took)
	}
	info, err = cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.ExitCode != 0 || info.State.OOMKilled {
		t.Errorf("exit code %d (OOM %v) after SIGTERM, want 0", info.State.ExitCode, info.State.OOMKilled)
	}
}

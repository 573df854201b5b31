package workload

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/google/go-cmp/cmp"
)

// fakeEngine is an ImageAPI that keeps images in memory. Methods it does
// not override panic through the nil embedded interface.
type fakeEngine struct {
	ImageAPI
	version types.Version
	images  []image.Summary
	// buildStream, when set, is the build's answer; otherwise the build
	// succeeds and adds the image.
	buildStream string
	builds      []build.ImageBuildOptions
	contexts    []map[string]tarFile
	removed     []image.RemoveOptions
	removeErr   map[string]error // by image ID
}

type tarFile struct {
	Mode int64
	Data string
}

func (f *fakeEngine) ServerVersion(context.Context) (types.Version, error) { return f.version, nil }

func (f *fakeEngine) ImageList(_ context.Context, o image.ListOptions) ([]image.Summary, error) {
	var out []image.Summary
	for _, img := range f.images {
		if matchLabels(img.Labels, o.Filters.Get("label")) {
			out = append(out, img)
		}
	}
	return out, nil
}

func matchLabels(labels map[string]string, filters []string) bool {
	for _, kv := range filters {
		k, v, _ := strings.Cut(kv, "=")
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func (f *fakeEngine) ImageBuild(_ context.Context, r io.Reader, o build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	files := map[string]tarFile{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return build.ImageBuildResponse{}, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return build.ImageBuildResponse{}, err
		}
		files[h.Name] = tarFile{h.Mode, string(b)}
	}
	f.builds = append(f.builds, o)
	f.contexts = append(f.contexts, files)
	stream := f.buildStream
	if stream == "" {
		id := "sha256:" + strings.Repeat("b", 60) + strings.Repeat("0", 4)
		f.images = append(f.images, image.Summary{ID: id, RepoTags: o.Tags, Labels: o.Labels})
		stream = `{"stream":"Step 1/4 : FROM scratch\n"}` + "\n" + `{"aux":{"ID":"` + id + `"}}` + "\n" + `{"stream":"Successfully built\n"}` + "\n"
	}
	return build.ImageBuildResponse{Body: io.NopCloser(strings.NewReader(stream))}, nil
}

func (f *fakeEngine) ImageRemove(_ context.Context, id string, o image.RemoveOptions) ([]image.DeleteResponse, error) {
	if err := f.removeErr[id]; err != nil {
		return nil, err
	}
	for i, img := range f.images {
		if img.ID == id {
			f.images = append(f.images[:i], f.images[i+1:]...)
			f.removed = append(f.removed, o)
			return []image.DeleteResponse{{Deleted: id}}, nil
		}
	}
	return nil, errors.New("no such image: " + id)
}

var linuxAMD64 = types.Version{Os: "linux", Arch: "amd64"}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestEnsureImageBuildsOnceAndReuses(t *testing.T) {
	bin := fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, "")
	path := writeFile(t, "lab", bin)
	hash := sha256Hex(bin)
	wantTag := "lab-workload:" + hash[:12]
	stale := image.Summary{ID: "sha256:old", RepoTags: []string{"lab-workload:0123456789ab"},
		Labels: map[string]string{"lab.image": "workload", "lab.hash": "0123456789ab0000"}}
	other := image.Summary{ID: "sha256:other", RepoTags: []string{"alpine:3"}}
	eng := &fakeEngine{version: linuxAMD64, images: []image.Summary{stale, other}}
	var log bytes.Buffer

	ref, built, err := EnsureImage(context.Background(), eng, WithBinary(path), WithBuildLog(&log))
	if err != nil {
		t.Fatal(err)
	}
	if ref != wantTag || !built {
		t.Fatalf("EnsureImage = %q, built %v; want %q, built", ref, built, wantTag)
	}
	if len(eng.builds) != 1 {
		t.Fatalf("%d builds, want 1", len(eng.builds))
	}
	o := eng.builds[0]
	if diff := cmp.Diff([]string{wantTag}, o.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"lab.image": "workload", "lab.hash": hash}, o.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if o.Version != build.BuilderV1 || o.PullParent {
		t.Errorf("builder %q, pull %v; want the classic builder and no pull", o.Version, o.PullParent)
	}
	wantContext := map[string]tarFile{
		"Dockerfile": {0o644, "FROM scratch\nCOPY lab /lab\nEXPOSE 5000\nENTRYPOINT [\"/lab\", \"workload\"]\n"},
		"lab":        {0o755, string(bin)},
	}
	if diff := cmp.Diff(wantContext, eng.contexts[0]); diff != "" {
		t.Errorf("build context (-want +got):\n%s", diff)
	}
	if !strings.Contains(log.String(), "Step 1/4 : FROM scratch") {
		t.Errorf("build log %q lacks the build output", log.String())
	}
	// The stale workload image went, with no force; other images stay.
	var left []string
	for _, img := range eng.images {
		left = append(left, img.RepoTags...)
	}
	if diff := cmp.Diff([]string{"alpine:3", wantTag}, left); diff != "" {
		t.Errorf("images left (-want +got):\n%s", diff)
	}
	if len(eng.removed) != 1 || eng.removed[0].Force {
		t.Errorf("removals %+v, want one without force", eng.removed)
	}

	ref, built, err = EnsureImage(context.Background(), eng, WithBinary(path))
	if err != nil || ref != wantTag || built {
		t.Fatalf("second EnsureImage = %q, built %v, %v; want %q reused", ref, built, err, wantTag)
	}
	if len(eng.builds) != 1 {
		t.Errorf("the second call built again")
	}
}

func TestEnsureImageKeepStale(t *testing.T) {
	stale := image.Summary{ID: "sha256:old", Labels: map[string]string{"lab.image": "workload", "lab.hash": "old"}}
	eng := &fakeEngine{version: linuxAMD64, images: []image.Summary{stale}}
	path := writeFile(t, "lab", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, ""))
	if _, _, err := EnsureImage(context.Background(), eng, WithBinary(path), WithKeepStale()); err != nil {
		t.Fatal(err)
	}
	if len(eng.images) != 2 {
		t.Errorf("%d images, want the stale one kept beside the new one", len(eng.images))
	}
}

func TestEnsureImageReturnsTheBuildError(t *testing.T) {
	eng := &fakeEngine{version: linuxAMD64, buildStream: `{"stream":"Step 1/4 : FROM scratch\n"}` + "\n" +
		`{"errorDetail":{"message":"failed to copy files: no space left on device"},"error":"failed to copy files: no space left on device"}` + "\n"}
	bin := fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, "")
	_, built, err := EnsureImage(context.Background(), eng, WithBinary(writeFile(t, "lab", bin)))
	want := "build the workload image lab-workload:" + sha256Hex(bin)[:12] + ": failed to copy files: no space left on device"
	if err == nil || err.Error() != want || built {
		t.Fatalf("EnsureImage error = %v, built %v; want %q", err, built, want)
	}
}

func TestEnsureImageRefusesBinariesThatCannotRun(t *testing.T) {
	amd64 := writeFile(t, "lab", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, ""))
	macho := writeFile(t, "lab-darwin", append([]byte{0xcf, 0xfa, 0xed, 0xfe}, make([]byte, 60)...))
	tests := []struct {
		name    string
		engine  types.Version
		opts    []ImageOption
		env     string // LAB_WORKLOAD_BINARY
		wantErr string
	}{
		{name: "macOS host, arm64 engine", engine: types.Version{Os: "linux", Arch: "arm64"}, opts: []ImageOption{WithBinary(macho)},
			wantErr: macho + " is a macOS executable, not a linux one: the workload image needs a static linux/arm64 program: " + howToGet("arm64")},
		{name: "wrong architecture from the variable", engine: types.Version{Os: "linux", Arch: "aarch64"}, env: amd64,
			wantErr: "LAB_WORKLOAD_BINARY=" + amd64 + " is a linux/amd64 executable but Docker runs linux/arm64: the workload image needs a static linux/arm64 program: " + howToGet("arm64")},
		{name: "missing file from the variable", engine: linuxAMD64, env: "/nonexistent/lab-linux",
			wantErr: "LAB_WORKLOAD_BINARY=/nonexistent/lab-linux cannot be read (no such file or directory): the workload image needs a static linux/amd64 program: " + howToGet("amd64")},
		{name: "Windows containers", engine: types.Version{Os: "windows", Arch: "amd64"}, opts: []ImageOption{WithBinary(amd64)},
			wantErr: "Docker runs windows containers, the workload image is a linux one: switch Docker to Linux containers"},
	}
	if _, err := os.Stat("/bin/true"); err == nil {
		if problem := binaryProblem(mustOpen(t, "/bin/true"), "amd64"); strings.HasPrefix(problem, "is dynamically linked") {
			tests = append(tests, struct {
				name    string
				engine  types.Version
				opts    []ImageOption
				env     string
				wantErr string
			}{name: "cgo build", engine: linuxAMD64, env: "/bin/true",
				wantErr: "LAB_WORKLOAD_BINARY=/bin/true " + problem + ": the workload image needs a static linux/amd64 program: " + howToGet("amd64")})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvWorkloadBinary, tt.env)
			eng := &fakeEngine{version: tt.engine}
			_, _, err := EnsureImage(context.Background(), eng, tt.opts...)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error =\n%v\nwant\n%s", err, tt.wantErr)
			}
			if len(eng.builds) != 0 {
				t.Error("it built anyway")
			}
		})
	}
}

func TestEnsureImageErrorIsABinaryError(t *testing.T) {
	eng := &fakeEngine{version: linuxAMD64}
	_, _, err := EnsureImage(context.Background(), eng, WithBinary(writeFile(t, "x", []byte("#!/bin/sh\n"))))
	var be *BinaryError
	if !errors.As(err, &be) || be.Arch != "amd64" || be.Reason != "is not an ELF executable" {
		t.Fatalf("error %v (%T), want a *BinaryError", err, err)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestRemoveImages(t *testing.T) {
	wl := func(id, hash string) image.Summary {
		return image.Summary{ID: id, Labels: map[string]string{"lab.image": "workload", "lab.hash": hash}}
	}
	eng := &fakeEngine{
		images:    []image.Summary{wl("a", "1"), wl("b", "2"), wl("c", "3"), {ID: "d"}},
		removeErr: map[string]error{"c": errors.New("image is being used by running container")},
	}
	n, err := RemoveImages(context.Background(), eng, nil)
	if n != 2 {
		t.Errorf("removed %d, want 2", n)
	}
	if err == nil || err.Error() != "remove workload image c: image is being used by running container" {
		t.Errorf("error = %v", err)
	}
	for _, o := range eng.removed {
		if !o.Force {
			t.Errorf("RemoveImages removed without force")
		}
	}
	if len(eng.images) != 2 {
		t.Errorf("images left %v, want c and d", eng.images)
	}
}

func TestRemoveStaleImages(t *testing.T) {
	wl := func(id, hash string, age time.Duration) image.Summary {
		return image.Summary{ID: id, RepoTags: []string{"lab-workload:" + hash}, Created: time.Now().Add(-age).Unix(),
			Labels: map[string]string{"lab.image": "workload", "lab.hash": hash}}
	}
	eng := &fakeEngine{images: []image.Summary{wl("a", "keep", 48*time.Hour), wl("b", "old", 2*time.Hour), wl("c", "older", 72*time.Hour),
		wl("d", "young", time.Minute)}}
	n, err := RemoveStaleImages(context.Background(), eng, "keep")
	if n != 2 || err != nil {
		t.Fatalf("RemoveStaleImages = %d, %v; want 2, nil", n, err)
	}
	// d is another binary's image of a minute ago: maybe a run of another
	// lab about to start its containers.
	if len(eng.images) != 2 || eng.images[0].ID != "a" || eng.images[1].ID != "d" {
		t.Errorf("images left %v, want a and d", eng.images)
	}
}

package workload

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/ecslab/lab/workload/knobs"
)

// Labels and names of the workload image. The image survives `lab gc`
// (it is no run's); `lab gc --images` removes it (RemoveImages).
const (
	ImageLabel      = "lab.image" // = ImageLabelValue on every workload image
	ImageLabelValue = "workload"
	HashLabel       = "lab.hash" // = the SHA-256 of the packaged binary
	ImageRepository = "lab-workload"
)

// ImageAPI is the part of the Docker Engine API client that EnsureImage,
// RemoveImages and RemoveStaleImages use. *client.Client implements it.
type ImageAPI interface {
	ServerVersion(ctx context.Context) (types.Version, error)
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageBuild(ctx context.Context, buildContext io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImageRemove(ctx context.Context, imageID string, options image.RemoveOptions) ([]image.DeleteResponse, error)
}

var _ ImageAPI = (*client.Client)(nil)

// ImageOption changes what EnsureImage does.
type ImageOption func(*imageOptions)

type imageOptions struct {
	arch      string // build for linux/arch instead of the daemon's
	binary    string
	buildLog  io.Writer
	keepStale bool
}

// WithBinary packages the executable at path instead of the one
// Finder.Find chooses.
func WithBinary(path string) ImageOption {
	return func(o *imageOptions) { o.binary = path }
}

// WithPlatform builds the image for linux/arch (as GOARCH names it, e.g.
// arm64) instead of the daemon's architecture, with a program for arch:
// an image to push for another machine, which this daemon need not run.
func WithPlatform(arch string) ImageOption {
	return func(o *imageOptions) { o.arch = arch }
}

// WithBuildLog writes the build's output, and any failure to remove stale
// images, to w. By default they are discarded.
func WithBuildLog(w io.Writer) ImageOption {
	return func(o *imageOptions) { o.buildLog = w }
}

// WithKeepStale keeps the workload images of other binaries after a build;
// by default EnsureImage removes those no container uses.
func WithKeepStale() ImageOption {
	return func(o *imageOptions) { o.keepStale = true }
}

// EnsureImage returns a reference to the workload image of the daemon's
// architecture, building it when no image of that program exists. built
// says whether it did.
//
// The program is WithBinary's, or the one [Finder.Find] chooses for the
// daemon (LAB_WORKLOAD_BINARY, the lab-workload-linux-<arch> beside lab,
// lab itself, or a build with the go command). It must be a static linux
// ELF executable for the daemon's architecture; otherwise the error is a
// *BinaryError or a *NoBinaryError whose one-line message says how to get
// one.
//
// The image is FROM scratch with the program as /lab and `/lab workload`
// as its entrypoint, built by the classic builder from a context streamed
// through the Engine API (no registry, no pull). It is tagged
// lab-workload:<first 12 hex digits of the program's SHA-256> and
// labelled lab.image=workload and lab.hash=<SHA-256>; an image with that
// label is reused. After a build, images of other programs are removed
// unless WithKeepStale is given (those still used by a container stay;
// failures are only logged: they do not fail EnsureImage).
func EnsureImage(ctx context.Context, cli ImageAPI, opts ...ImageOption) (ref string, built bool, err error) {
	var o imageOptions
	for _, opt := range opts {
		opt(&o)
	}
	log := o.buildLog
	if log == nil {
		log = io.Discard
	}
	daemon, err := DaemonPlatform(ctx, cli)
	if err != nil {
		return "", false, err
	}
	if o.arch != "" {
		daemon.Arch = o.arch
	}
	bin, err := o.find(ctx, daemon, log)
	if err != nil {
		return "", false, err
	}
	f, err := os.Open(bin.Path)
	if err != nil {
		return "", false, fmt.Errorf("open the workload program: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", bin.Path, err)
	}
	hash := hex.EncodeToString(h.Sum(nil))
	tag := ImageRepository + ":" + hash[:12]

	images, err := listImages(ctx, cli, ImageLabel+"="+ImageLabelValue, HashLabel+"="+hash)
	if err != nil {
		return "", false, err
	}
	if len(images) > 0 {
		return imageRef(images[0], tag), false, nil
	}

	fmt.Fprintf(log, "building the workload image %s from %s\n", tag, bin.Path)
	b := imageBuild{binary: io.NewSectionReader(f, 0, size), size: size, tag: tag, hash: hash, log: log}
	if o.arch != "" {
		b.platform = "linux/" + o.arch
	}
	if err := buildImage(ctx, cli, b); err != nil {
		return "", false, err
	}
	if !o.keepStale {
		if n, err := RemoveStaleImages(ctx, cli, hash); err != nil {
			fmt.Fprintf(log, "removed %d stale workload images; could not remove others: %v\n", n, err)
		}
	}
	return tag, true, nil
}

// DaemonPlatform asks the daemon for its OS and architecture, named as
// Go names them. A daemon that does not say is taken to be linux on the
// host's architecture.
func DaemonPlatform(ctx context.Context, cli interface {
	ServerVersion(ctx context.Context) (types.Version, error)
}) (Platform, error) {
	ver, err := cli.ServerVersion(ctx)
	if err != nil {
		return Platform{}, fmt.Errorf("ask Docker for its version: %w", err)
	}
	p := Platform{OS: strings.ToLower(ver.Os), Arch: normalizeArch(ver.Arch)}
	if p.OS == "" {
		p.OS = "linux"
	}
	if p.Arch == "" {
		p.Arch = runtime.GOARCH
	}
	return p, nil
}

// find returns WithBinary's program, checked for the daemon, or the one
// Finder.Find chooses.
func (o *imageOptions) find(ctx context.Context, daemon Platform, log io.Writer) (Binary, error) {
	if o.binary == "" {
		f, err := NewFinder(log)
		if err != nil {
			return Binary{}, err
		}
		return f.Find(ctx, daemon)
	}
	if daemon.OS != "linux" {
		return Binary{}, notLinux(daemon.OS)
	}
	return checked(Binary{Path: o.binary, Arch: daemon.Arch, Source: "given"}, false)
}

// imageRef prefers the tag EnsureImage gives; an image whose tag was
// removed is still usable by its ID.
func imageRef(img image.Summary, tag string) string {
	for _, t := range img.RepoTags {
		if t == tag {
			return tag
		}
	}
	if len(img.RepoTags) > 0 && img.RepoTags[0] != "<none>:<none>" {
		return img.RepoTags[0]
	}
	return img.ID
}

// dockerfile is the whole recipe: the binary alone on an empty base.
var dockerfile = `FROM scratch
COPY lab /lab
EXPOSE ` + strconv.Itoa(knobs.DefaultPort) + `
ENTRYPOINT ["/lab", "workload"]
`

// imageBuild is what one build of the workload image packages and how it
// names the result.
type imageBuild struct {
	binary io.Reader // the executable, size bytes
	size   int64
	tag    string    // lab-workload:<first 12 hex digits of hash>
	hash   string    // the executable's SHA-256, the lab.hash label
	log    io.Writer // gets the build's output
	// platform is the image's platform when it is not the daemon's
	// (the classic builder sets it on a FROM scratch image).
	platform string
}

// buildImage builds the workload image with the classic builder, and
// returns the build's error message when it fails.
func buildImage(ctx context.Context, cli ImageAPI, b imageBuild) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeBuildContext(pw, b.binary, b.size)) }()
	resp, err := cli.ImageBuild(ctx, pr, build.ImageBuildOptions{
		Tags:        []string{b.tag},
		Labels:      map[string]string{ImageLabel: ImageLabelValue, HashLabel: b.hash},
		Version:     build.BuilderV1, // works on any engine, needs no BuildKit session
		Remove:      true,
		ForceRemove: true,
		Platform:    b.platform,
	})
	if err != nil {
		pr.CloseWithError(err) // ends the writer if the engine did not read it all
		return fmt.Errorf("build the workload image %s: %w", b.tag, err)
	}
	defer resp.Body.Close()
	err = readBuildStream(resp.Body, b.log)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return fmt.Errorf("build the workload image %s: %w", b.tag, err)
	}
	return nil
}

// writeBuildContext writes the build context, a tar of the Dockerfile and
// the binary as "lab", to w.
func writeBuildContext(w io.Writer, bin io.Reader, size int64) error {
	tw := tar.NewWriter(w)
	mtime := time.Unix(0, 0) // the same binary gives the same context
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "lab", Mode: 0o755, Size: size, ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, bin, size); err != nil {
		return fmt.Errorf("copy the binary into the build context: %w", err)
	}
	return tw.Close()
}

// buildMessage is one message of the build's JSON stream (the fields of
// docker's jsonmessage.JSONMessage that a build uses).
type buildMessage struct {
	Stream      string `json:"stream"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// readBuildStream reads the build's messages to the end, copying their
// text to log, and returns the first error message the engine sent.
func readBuildStream(r io.Reader, log io.Writer) error {
	dec := json.NewDecoder(r)
	for {
		var m buildMessage
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("read the build output: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(strings.TrimSpace(m.ErrorDetail.Message))
		}
		if m.Error != "" {
			return errors.New(strings.TrimSpace(m.Error))
		}
		if m.Stream != "" {
			if _, err := io.WriteString(log, m.Stream); err != nil {
				log = io.Discard // a broken log must not fail the build
			}
		}
	}
}

// RemoveImages removes every workload image (label lab.image=workload)
// but those in keep (by ID or by any of its tags: the images live runs
// use), untagging it from every repository, and returns how many it
// removed. An image that a running container uses stays, and is named
// in the error.
func RemoveImages(ctx context.Context, cli ImageAPI, keep map[string]bool) (int, error) {
	return removeImages(ctx, cli, "", keep)
}

// staleAge is how old another binary's workload image must be before a
// build removes it: a younger one may belong to a run of another lab
// binary that is about to start its containers.
const staleAge = time.Hour

// RemoveStaleImages removes the workload images of binaries other than
// the one whose SHA-256 is keepHash that are over an hour old, and
// returns how many it removed. An image some container (running or not)
// uses, or that carries another tag, stays and is named in the error.
func RemoveStaleImages(ctx context.Context, cli ImageAPI, keepHash string) (int, error) {
	return removeImages(ctx, cli, keepHash, nil)
}

// removeImages removes the workload images, but those of the binary
// keepHash (and younger than staleAge), and those in keep; by force when
// keepHash is empty.
func removeImages(ctx context.Context, cli ImageAPI, keepHash string, keep map[string]bool) (int, error) {
	force := keepHash == ""
	images, err := listImages(ctx, cli, ImageLabel+"="+ImageLabelValue)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, img := range images {
		if keepHash != "" && (img.Labels[HashLabel] == keepHash || time.Since(time.Unix(img.Created, 0)) < staleAge) {
			continue
		}
		if kept(img, keep) {
			continue
		}
		if _, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: force, PruneChildren: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove workload image %s: %w", imageRef(img, ""), err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// kept says whether img is in keep, by ID or by one of its tags.
func kept(img image.Summary, keep map[string]bool) bool {
	if keep[img.ID] {
		return true
	}
	for _, tag := range img.RepoTags {
		if keep[tag] {
			return true
		}
	}
	return false
}

// listImages lists the images that carry every label ("key=value").
func listImages(ctx context.Context, cli ImageAPI, labels ...string) ([]image.Summary, error) {
	f := filters.NewArgs()
	for _, l := range labels {
		f.Add("label", l)
	}
	images, err := cli.ImageList(ctx, image.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list images labelled %s: %w", strings.Join(labels, ","), err)
	}
	return images, nil
}

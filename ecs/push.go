package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"

	"github.com/ecslab/lab/workload"
)

// TokenSource gives ECR login tokens. *ecr.Client implements it; tests
// fake it.
type TokenSource interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

var _ TokenSource = (*ecr.Client)(nil)

// PushAPI is the part of the Docker Engine API client that Push uses.
// *client.Client implements it.
type PushAPI interface {
	workload.ImageAPI
	ImageInspect(ctx context.Context, imageID string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageTag(ctx context.Context, source, target string) error
	ImagePush(ctx context.Context, ref string, options image.PushOptions) (io.ReadCloser, error)
}

var _ PushAPI = (*client.Client)(nil)

// Repository is a parsed image repository URI: host[:port]/path.
type Repository struct {
	Host string // the registry, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com or 127.0.0.1:5000
	Path string // the repository in it, e.g. lab-workload
	Tag  string // a tag given in the URI (host/path:tag), or ""
}

// String is host/path, without the tag.
func (r Repository) String() string { return r.Host + "/" + r.Path }

// ECRRegion is the region of an ECR registry host
// (<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]), or "" when the
// host is not one.
func (r Repository) ECRRegion() string {
	m := ecrHost.FindStringSubmatch(strings.ToLower(r.Host))
	if m == nil {
		return ""
	}
	return m[2]
}

var (
	ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)
	// The grammar of github.com/distribution/reference, simplified: path
	// components of lower-case letters and digits joined by separators.
	repoPath = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRe    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// ValidTag says whether s can be an image tag.
func ValidTag(s string) bool { return tagRe.MatchString(s) }

// ParseRepository parses a repository URI such as
// 123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload or
// 127.0.0.1:5000/lab/workload, optionally with a :tag. The registry host
// must be explicit (Push does not push to Docker Hub by default), and a
// digest (@sha256:...) is refused: a push names a tag.
func ParseRepository(uri string) (Repository, error) {
	bad := func(why string) (Repository, error) {
		return Repository{}, fmt.Errorf("repository %q %s: give the full URI, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload (aws ecr describe-repositories lists yours)", uri, why)
	}
	s := strings.TrimSpace(uri)
	if s == "" {
		return bad("is empty")
	}
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(strings.ToLower(s), scheme) {
			return bad("has a scheme (" + scheme + ")")
		}
	}
	if strings.Contains(s, "@") {
		return bad("has a digest; a push needs a tag")
	}
	host, rest, ok := strings.Cut(s, "/")
	if !ok || host == "" || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return bad("names no registry host")
	}
	var r Repository
	r.Host = host
	r.Path = rest
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		r.Path, r.Tag = rest[:i], rest[i+1:]
		if !ValidTag(r.Tag) {
			return bad("has an invalid tag " + fmt.Sprintf("%q", r.Tag))
		}
	}
	if !repoPath.MatchString(r.Path) {
		return bad("has an invalid repository name " + fmt.Sprintf("%q", r.Path) + " (lower-case letters, digits and . _ - / only)")
	}
	return r, nil
}

// PushOptions say what Push pushes, where to, and with which credentials.
type PushOptions struct {
	// Docker is the engine that builds (or reuses), tags and pushes the
	// image.
	Docker PushAPI
	// Token, when not nil, is asked for an ECR login token, which is sent
	// to the engine as the push's credentials (X-Registry-Auth), and to
	// the registry for a multi-platform list. nil pushes without
	// credentials, e.g. to a local registry.
	Token TokenSource
	// Repository is the URI to push to, as ParseRepository reads it.
	Repository string
	// Tag is the tag to push; "" means the tag in Repository, or else the
	// image's content hash.
	Tag string
	// Platforms are the platforms of the built-in workload to push, e.g.
	// linux/amd64 and linux/arm64 (Fargate's X86_64 and ARM64): one
	// image each, and with several, a manifest list naming them under
	// the tag. Empty: the daemon's platform.
	Platforms []string
	// LocalImage pushes this local image (a scenario's own) instead of
	// the built-in workload; it has one platform, its own.
	LocalImage string
	// Progress gets one line per layer and status change ("5f70bf18a086:
	// Pushed"); nil discards them.
	Progress io.Writer
	// Image is passed to workload.EnsureImage.
	Image []workload.ImageOption
}

// Push pushes lab's workload image (or opts.LocalImage) to
// opts.Repository and returns the reference pushed (repository:tag) and
// the digest the registry stored it under.
//
// It builds or reuses the image as workload.EnsureImage does, for each
// platform asked, tags it repository:tag, pushes it through the Docker
// Engine API, and removes that tag from the engine again: the engine is
// left as it was, with only lab-workload:<hash>. The tag is, in order:
// opts.Tag, a tag in the repository URI, or the first 12 hex digits of
// the image's lab.hash label (of the hashes of all its platforms' images,
// for several), the same tag a single image has locally. With several
// platforms, each image is pushed as TAG-<arch> and a manifest list (the
// OCI index's Docker form) under TAG names them with their platforms, so
// that Fargate pulls the one for the task's runtimePlatform. lab pushes
// no "latest": an immutable ECR repository would refuse to move it, and a
// scenario that names the content tag runs exactly the binary it names.
//
// With a Token, the registry host must be the one the token is for (its
// proxyEndpoint), or, for ECR, a registry of another account in the same
// region (a cross-account repository): the password is sent to no other
// host. Errors are one line that says what to do; none contains the
// password or the token.
func Push(ctx context.Context, opts PushOptions) (ref, digest string, err error) {
	repo, err := ParseRepository(opts.Repository)
	if err != nil {
		return "", "", err
	}
	tag, err := pushTag(repo, opts.Tag)
	if err != nil {
		return "", "", err
	}
	archs, err := pushArchs(opts.Platforms, opts.LocalImage)
	if err != nil {
		return "", "", err
	}
	// Credentials first: a push that cannot authenticate fails before
	// building anything.
	creds, err := pushCredentials(ctx, opts.Token, repo)
	if err != nil {
		return "", "", err
	}
	p := pusher{opts: opts, repo: repo, creds: creds, progress: opts.Progress}
	if p.progress == nil {
		p.progress = io.Discard
	}
	locals, err := p.images(ctx, archs)
	if err != nil {
		return "", "", err
	}
	if tag == "" {
		if tag, err = p.contentTag(ctx, locals); err != nil {
			return "", "", err
		}
	}
	if len(locals) == 1 {
		return p.pushOne(ctx, locals[0].ref, tag)
	}
	return p.pushList(ctx, locals, tag)
}

// localImage is one image to push: its local reference and platform.
type localImage struct {
	ref, arch string
}

// pusher is one Push under way.
type pusher struct {
	opts     PushOptions
	repo     Repository
	creds    pushCreds
	progress io.Writer
}

// pushArchs are the architectures (GOARCH names) of the platforms asked
// for; [""] means the daemon's.
func pushArchs(platforms []string, local string) ([]string, error) {
	if len(platforms) == 0 {
		return []string{""}, nil
	}
	if local != "" && len(platforms) > 1 {
		return nil, fmt.Errorf("a local image has one platform, its own: push %s for one platform, or build one image per platform and push each", local)
	}
	var archs []string
	for _, pl := range platforms {
		arch, ok := strings.CutPrefix(strings.TrimSpace(pl), "linux/")
		if !ok || (arch != "amd64" && arch != "arm64") {
			return nil, fmt.Errorf("platform %q: Fargate runs linux/amd64 (X86_64) and linux/arm64 (ARM64)", pl)
		}
		if !slices.Contains(archs, arch) {
			archs = append(archs, arch)
		}
	}
	return archs, nil
}

// images builds or reuses the image of each architecture, or names the
// local image.
func (p *pusher) images(ctx context.Context, archs []string) ([]localImage, error) {
	if p.opts.LocalImage != "" {
		return []localImage{{ref: p.opts.LocalImage, arch: archs[0]}}, nil
	}
	var out []localImage
	for _, arch := range archs {
		opts := slices.Clone(p.opts.Image)
		if arch != "" {
			opts = append(opts, workload.WithPlatform(arch))
		}
		ref, _, err := workload.EnsureImage(ctx, p.opts.Docker, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, localImage{ref: ref, arch: arch})
	}
	return out, nil
}

// contentTag is the first 12 hex digits of the images' content hash: one
// image's lab.hash label (its ID for a local image without one), or the
// hash of all of them for several.
func (p *pusher) contentTag(ctx context.Context, locals []localImage) (string, error) {
	var hashes []string
	for _, l := range locals {
		img, err := p.opts.Docker.ImageInspect(ctx, l.ref)
		if err != nil {
			return "", fmt.Errorf("inspect the image %s: %w", l.ref, err)
		}
		hash := ""
		if img.Config != nil {
			hash = img.Config.Labels[workload.HashLabel]
		}
		if hash == "" && p.opts.LocalImage != "" {
			hash = strings.TrimPrefix(img.ID, "sha256:")
		}
		if len(hash) < 12 {
			return "", fmt.Errorf("the workload image %s has no %s label: remove it (lab gc --images) and run again", l.ref, workload.HashLabel)
		}
		hashes = append(hashes, hash)
	}
	if len(hashes) == 1 {
		return hashes[0][:12], nil
	}
	sum := sha256.Sum256([]byte(strings.Join(hashes, "\n")))
	return hex.EncodeToString(sum[:])[:12], nil
}

// pushOne tags the local image repository:tag, pushes it and untags it.
func (p *pusher) pushOne(ctx context.Context, local, tag string) (ref, digest string, err error) {
	docker, repo := p.opts.Docker, p.repo
	ref = repo.String() + ":" + tag
	if err := docker.ImageTag(ctx, local, ref); err != nil {
		return "", "", fmt.Errorf("tag the image %s as %s: %w", local, ref, err)
	}
	if ref != local {
		defer func() {
			// Untag only: the image keeps its lab-workload tag. A failure
			// leaves a tag behind, which `lab gc --images` removes.
			_, _ = docker.ImageRemove(context.WithoutCancel(ctx), ref, image.RemoveOptions{})
		}()
	}
	fmt.Fprintf(p.progress, "pushing %s to %s\n", local, ref)
	authed := p.opts.Token != nil
	body, err := docker.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: p.creds.engine})
	if err != nil {
		return "", "", redact(pushError(repo, authed, err.Error()), p.creds.secrets)
	}
	defer body.Close()
	digest, err = readPushStream(body, p.progress)
	if err != nil {
		var se streamError
		if errors.As(err, &se) {
			return "", "", redact(pushError(repo, authed, string(se)), p.creds.secrets)
		}
		return "", "", redact(fmt.Errorf("push %s: %w", ref, err), p.creds.secrets)
	}
	if digest == "" {
		return "", "", fmt.Errorf("push %s: Docker reported no digest for the pushed image: check the registry (GET /v2/%s/manifests/%s)", ref, repo.Path, tag)
	}
	return ref, digest, nil
}

// pushList pushes each platform's image as TAG-<arch>, then the list
// naming them under TAG, and returns the list's reference and digest.
func (p *pusher) pushList(ctx context.Context, locals []localImage, tag string) (ref, digest string, err error) {
	reg := newRegistryClient(p.repo, p.creds.user, p.creds.pass)
	var manifests []descriptor
	for _, l := range locals {
		_, d, err := p.pushOne(ctx, l.ref, tag+"-"+l.arch)
		if err != nil {
			return "", "", err
		}
		desc, err := reg.describe(ctx, d)
		if err != nil {
			return "", "", redact(fmt.Errorf("push to %s: %w", p.repo, err), p.creds.secrets)
		}
		desc.Platform = &platform{Architecture: l.arch, OS: "linux"}
		manifests = append(manifests, desc)
	}
	digest, err = reg.putList(ctx, tag, manifests)
	if err != nil {
		return "", "", redact(fmt.Errorf("push to %s: %w", p.repo, err), p.creds.secrets)
	}
	ref = p.repo.String() + ":" + tag
	fmt.Fprintf(p.progress, "pushed the manifest list %s naming %d platforms\n", ref, len(manifests))
	return ref, digest, nil
}

// pushTag is the tag given, or the one in the repository URI; "" when
// neither names one (the image's content hash is then the tag).
func pushTag(repo Repository, tag string) (string, error) {
	switch {
	case tag != "" && repo.Tag != "" && tag != repo.Tag:
		return "", fmt.Errorf("the repository URI has tag %q and the tag given is %q: give one", repo.Tag, tag)
	case tag == "":
		tag = repo.Tag
	}
	if tag != "" && !ValidTag(tag) {
		return "", fmt.Errorf("invalid tag %q: up to 128 letters, digits, _ . and -, not starting with . or -", tag)
	}
	return tag, nil
}

// pushCreds are a push's registry credentials: for the engine
// (X-Registry-Auth), for the registry API (basic), and every form of the
// secret that an error message must not show.
type pushCreds struct {
	engine     string
	user, pass string
	secrets    []string
}

// pushCredentials asks token (nil: none) for the registry credentials.
func pushCredentials(ctx context.Context, token TokenSource, repo Repository) (pushCreds, error) {
	if token == nil {
		return pushCreds{}, nil
	}
	cfg, err := ecrAuth(ctx, token, repo)
	if err != nil {
		return pushCreds{}, err
	}
	c := pushCreds{user: cfg.Username, pass: cfg.Password}
	c.secrets = []string{cfg.Password, base64.StdEncoding.EncodeToString([]byte(cfg.Username + ":" + cfg.Password))}
	if c.engine, err = registry.EncodeAuthConfig(cfg); err != nil {
		return pushCreds{}, fmt.Errorf("encode the registry credentials: %w", err)
	}
	c.secrets = append(c.secrets, c.engine)
	return c, nil
}

// ecrAuth asks token for an ECR login and returns it as Docker registry
// credentials for repo's host.
func ecrAuth(ctx context.Context, token TokenSource, repo Repository) (registry.AuthConfig, error) {
	out, err := token.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return registry.AuthConfig{}, fmt.Errorf("get an ECR login token: %w", Explain(err))
	}
	if out == nil || len(out.AuthorizationData) == 0 {
		return registry.AuthConfig{}, errors.New("get an ECR login token: ECR returned no authorization data: check the region and AWS_ENDPOINT_URL_ECR")
	}
	var hosts []string
	for _, d := range out.AuthorizationData {
		if d.ProxyEndpoint == nil || d.AuthorizationToken == nil {
			continue
		}
		host := endpointHost(*d.ProxyEndpoint)
		hosts = append(hosts, host)
		if !sameRegistry(host, repo.Host) {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(*d.AuthorizationToken)
		user, pass, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok || user == "" || pass == "" {
			// Say nothing of the token: it is the secret.
			return registry.AuthConfig{}, errors.New("get an ECR login token: the token ECR returned is not base64 user:password: check AWS_ENDPOINT_URL_ECR points at ECR")
		}
		return registry.AuthConfig{Username: user, Password: pass, ServerAddress: *d.ProxyEndpoint}, nil
	}
	if len(hosts) == 0 {
		return registry.AuthConfig{}, errors.New("get an ECR login token: ECR returned no token with a registry endpoint: check the region and AWS_ENDPOINT_URL_ECR")
	}
	hint := "use a repository of that registry"
	if region := repo.ECRRegion(); region != "" {
		hint = "set AWS_REGION=" + region + " (the repository's region) or use a repository of that registry"
	}
	return registry.AuthConfig{}, fmt.Errorf("the ECR login token is for %s, not for the repository's registry %s: %s; lab sends the token to no other host",
		strings.Join(hosts, ", "), repo.Host, hint)
}

// endpointHost is the host[:port] of an ECR proxyEndpoint
// ("https://123456789012.dkr.ecr.us-east-1.amazonaws.com").
func endpointHost(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return strings.ToLower(u.Host)
	}
	return strings.ToLower(strings.TrimSuffix(endpoint, "/"))
}

// sameRegistry says whether credentials for the registry at tokenHost may
// be sent to repoHost: the same host (a default HTTPS port aside), or ECR
// registries of two accounts in one region (an ECR token is valid for
// every registry of its region that the principal may access).
func sameRegistry(tokenHost, repoHost string) bool {
	a, b := strings.TrimSuffix(strings.ToLower(tokenHost), ":443"), strings.TrimSuffix(strings.ToLower(repoHost), ":443")
	if a == b {
		return true
	}
	ma, mb := ecrHost.FindStringSubmatch(a), ecrHost.FindStringSubmatch(b)
	if ma == nil || mb == nil {
		return false
	}
	// Equal once the account IDs (12 digits, the same length) are removed.
	return a[len(ma[1]):] == b[len(mb[1]):]
}

// streamError is an error message that the engine sent in the push's
// JSON stream: the registry's or the engine's own words.
type streamError string

func (e streamError) Error() string { return string(e) }

// pushMessage is one message of the push's JSON stream (the fields of
// docker's jsonmessage.JSONMessage that a push uses).
type pushMessage struct {
	Status   string          `json:"status"`
	ID       string          `json:"id"`
	Progress json.RawMessage `json:"progressDetail"`
	Error    string          `json:"error"`
	Detail   *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux *struct {
		Tag    string `json:"Tag"`
		Digest string `json:"Digest"`
	} `json:"aux"`
}

var statusDigest = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`)

// readPushStream reads the push's messages to the end, writing a line to
// progress for each layer whose status changes (not the byte counts of
// "Pushing"), and returns the digest the engine reported, or the first
// error message it sent as a streamError.
func readPushStream(r io.Reader, progress io.Writer) (string, error) {
	dec := json.NewDecoder(r)
	last := map[string]string{} // layer ID -> last status printed
	digest := ""
	for {
		var m pushMessage
		if err := dec.Decode(&m); err == io.EOF {
			return digest, nil
		} else if err != nil {
			return "", fmt.Errorf("read the push output: %w", err)
		}
		if m.Detail != nil && m.Detail.Message != "" {
			return "", streamError(pushOneLine(m.Detail.Message))
		}
		if m.Error != "" {
			return "", streamError(pushOneLine(m.Error))
		}
		if m.Aux != nil && m.Aux.Digest != "" {
			digest = m.Aux.Digest
			continue
		}
		if m.Status == "" {
			continue
		}
		if digest == "" {
			if d := statusDigest.FindStringSubmatch(m.Status); d != nil {
				digest = d[1]
			}
		}
		line := pushOneLine(m.Status)
		if m.ID != "" {
			if last[m.ID] == line {
				continue // "Pushing" again, with more bytes
			}
			last[m.ID] = line
			line = m.ID + ": " + line
		}
		fmt.Fprintln(progress, line)
	}
}

// pushError turns what the engine said about a failed push into one line
// that says what to do.
func pushError(repo Repository, authed bool, msg string) error {
	msg = pushOneLine(msg)
	low := strings.ToLower(msg)
	isECR := repo.ECRRegion() != ""
	var hint string
	switch {
	case strings.Contains(low, "server gave http response to https client"):
		hint = "the registry speaks plain HTTP: add " + repo.Host + " to Docker's insecure-registries (daemon.json) or serve it over HTTPS"
	case strings.Contains(low, "name unknown") || strings.Contains(low, "repositorynotfound") || strings.Contains(low, "does not exist in the registry"):
		if isECR {
			hint = "the repository does not exist: create it with `aws ecr create-repository --repository-name " + repo.Path + " --region " + repo.ECRRegion() + "`"
		} else {
			hint = "the repository does not exist in the registry: create it there, or check the URI"
		}
	case strings.Contains(low, "tag invalid") || strings.Contains(low, "immutable"):
		hint = "the repository's tags are immutable and this tag exists: push with another --tag"
	case strings.Contains(low, "unauthorized") || strings.Contains(low, "authentication required") ||
		strings.Contains(low, "no basic auth credentials") || strings.Contains(low, "denied") || strings.Contains(low, "forbidden"):
		switch {
		case isECR:
			hint = "the registry refused the credentials: check that your AWS identity (aws sts get-caller-identity) may push to this repository (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage) and that it is in this account and region"
		case authed:
			hint = "the registry refused the ECR login token: check that the repository's registry is the one AWS_ENDPOINT_URL_ECR names, or push with --auth none"
		default:
			hint = "the registry wants credentials: push with --auth ecr to send an ECR login token, or use a registry that accepts anonymous pushes"
		}
	case strings.Contains(low, "connection refused") || strings.Contains(low, "no such host") ||
		strings.Contains(low, "i/o timeout") || strings.Contains(low, "no route to host") ||
		strings.Contains(low, "dial tcp") || strings.Contains(low, "tls handshake timeout") ||
		strings.Contains(low, "connection reset") || strings.HasSuffix(low, "eof"):
		hint = "Docker cannot reach the registry " + repo.Host + ": check the repository URI, that the registry is up, and that the Docker daemon (not only this shell) can reach it, through its proxy if it needs one"
	default:
		hint = "check the repository URI and the registry"
	}
	return fmt.Errorf("push to %s failed: %s: %s", repo, msg, hint)
}

// redact replaces every secret in err's message; the result keeps err in
// its chain only when nothing was replaced.
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "<redacted>")
		}
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

func pushOneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

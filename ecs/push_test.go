package ecs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/workload"
)

// The registry's only user: ECR tokens are always for user AWS.
const (
	pushTestPassword = "lab-push-test-secret"
	// htpasswd -nbB AWS lab-push-test-secret (bcrypt, cost 5); precomputed
	// so that the test needs neither htpasswd nor a bcrypt package.
	pushTestHtpasswd = "AWS:$2y$05$9ESCYbmqRd/8AkVC3pxkEOZP2BUGa5GBDuxSrL9g8ecjhMbP8oNfO\n"
)

// fakeToken is a TokenSource that answers like ECR's GetAuthorizationToken.
type fakeToken struct {
	endpoint string // proxyEndpoint
	password string
	err      error
	calls    int
}

func (f *fakeToken) GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{
		AuthorizationToken: aws.String(base64.StdEncoding.EncodeToString([]byte("AWS:" + f.password))),
		ProxyEndpoint:      aws.String(f.endpoint),
		ExpiresAt:          aws.Time(time.Now().Add(12 * time.Hour)),
	}}}, nil
}

// secretsOf is every form of f's secret that must never be printed.
func (f *fakeToken) secretsOf() []string {
	return []string{f.password, base64.StdEncoding.EncodeToString([]byte("AWS:" + f.password))}
}

// registryHost starts Debian's docker-registry (distribution v2) on a free
// port of 127.0.0.1 with htpasswd auth (user AWS, pushTestPassword) and
// storage in a temporary folder, stops it when t ends, and returns its
// host:port. The Docker daemon treats 127.0.0.0/8 as an insecure registry,
// so it pushes over plain HTTP.
func registryHost(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		dockertest.Unavailable(t, "docker-registry not installed (apt-get install -y docker-registry)")
	}
	dir := t.TempDir()
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(pushTestHtpasswd), 0o600); err != nil {
		t.Fatal(err)
	}
	host := "127.0.0.1:" + freePort(t)
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
auth:
  htpasswd:
    realm: lab-test
    path: %s
`, filepath.Join(dir, "data"), host, htpasswd)), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("docker-registry output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return host
			}
			t.Fatalf("docker-registry on %s answered /v2/ with %s, want 401 (htpasswd auth)", host, resp.Status)
		}
		select {
		case err := <-exited:
			t.Fatalf("docker-registry exited: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry did not answer on %s within 15s: %v", host, err)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// workloadBinary builds a tiny static linux program for the workload image
// (the test binary may be a cgo build, and is large), and removes the
// image built from it when t ends. It returns its path and SHA-256.
func workloadBinary(t *testing.T, docker *client.Client) (string, string) {
	t.Helper()
	dir := t.TempDir()
	src := "package main\n\nfunc main() { println(\"lab push test\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module labpushtest\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "lab")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test workload binary: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	t.Cleanup(func() {
		ctx := context.Background()
		images, err := docker.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", workload.HashLabel+"="+hash))})
		if err != nil {
			t.Logf("list the test workload image: %v", err)
			return
		}
		for _, img := range images {
			if _, err := docker.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
				t.Logf("remove the test workload image: %v", err)
			}
		}
	})
	return bin, hash
}

// manifestDigest asks the registry for repo:tag's manifest, as Docker
// pushes it, and returns the digest the registry gives and that of the
// bytes it sent.
func manifestDigest(t *testing.T, host, repo, tag string) (header, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("AWS", pushTestPassword)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", req.URL, resp.Status, b.String())
	}
	sum := sha256.Sum256(b.Bytes())
	return resp.Header.Get("Docker-Content-Digest"), "sha256:" + hex.EncodeToString(sum[:])
}

func pushContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// pushImage builds the pushed image from the test's workload binary and
// keeps other tests' images.
func pushImage(bin string) []workload.ImageOption {
	return []workload.ImageOption{workload.WithBinary(bin), workload.WithKeepStale()}
}

func TestPushToLocalRegistry(t *testing.T) {
	docker := dockertest.Client(t)
	host := registryHost(t)
	bin, hash := workloadBinary(t, docker)
	token := &fakeToken{endpoint: "http://" + host, password: pushTestPassword}
	var progress bytes.Buffer

	ref, digest, err := Push(pushContext(t), PushOptions{Docker: docker, Token: token, Repository: host + "/lab/workload", Progress: &progress, Image: pushImage(bin)})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	if want := host + "/lab/workload:" + hash[:12]; ref != want {
		t.Errorf("ref = %q, want %q (the content hash as tag)", ref, want)
	}
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		t.Errorf("digest = %q, want sha256:<64 hex>", digest)
	}
	if token.calls != 1 {
		t.Errorf("GetAuthorizationToken called %d times, want 1", token.calls)
	}
	header, body := manifestDigest(t, host, "lab/workload", hash[:12])
	if header != digest || body != digest {
		t.Errorf("registry has the manifest under %s (content %s), Push returned %s", header, body, digest)
	}
	out := progress.String()
	if !strings.Contains(out, "Pushed") {
		t.Errorf("progress has no layer marked Pushed:\n%s", out)
	}
	for _, s := range token.secretsOf() {
		if strings.Contains(out, s) {
			t.Errorf("progress contains the secret %q", s)
		}
	}
	// The push tag is removed from the engine again.
	if _, err := docker.ImageInspect(context.Background(), ref); err == nil {
		t.Errorf("the engine still has the tag %s after the push", ref)
	}

	// Again, with a tag of our choosing: the same image, the same digest.
	ref2, digest2, err := Push(pushContext(t), PushOptions{Docker: docker, Token: token, Repository: host + "/lab/workload", Tag: "v1", Image: pushImage(bin)})
	if err != nil {
		t.Fatalf("Push --tag v1: %v", err)
	}
	if ref2 != host+"/lab/workload:v1" || digest2 != digest {
		t.Errorf("Push --tag v1 = %q, %q; want %q, %q", ref2, digest2, host+"/lab/workload:v1", digest)
	}
	if header, _ := manifestDigest(t, host, "lab/workload", "v1"); header != digest {
		t.Errorf("registry has v1 under %s, want %s", header, digest)
	}
}

// checkOneLine fails t unless err is a single line that contains every
// part of want and none of the secrets.
func checkOneLine(t *testing.T, err error, secrets []string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("Push succeeded, want an error")
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error contains the secret %q", s)
		}
	}
}

func TestPushWrongPassword(t *testing.T) {
	docker := dockertest.Client(t)
	host := registryHost(t)
	bin, _ := workloadBinary(t, docker)
	token := &fakeToken{endpoint: "http://" + host, password: "not-the-password-42"}
	var progress bytes.Buffer
	_, _, err := Push(pushContext(t), PushOptions{Docker: docker, Token: token, Repository: host + "/lab/workload", Progress: &progress, Image: pushImage(bin)})
	secrets := append(token.secretsOf(), pushTestPassword)
	checkOneLine(t, err, secrets, "push to "+host+"/lab/workload failed", "refused the ECR login token")
	for _, s := range secrets {
		if strings.Contains(progress.String(), s) {
			t.Errorf("progress contains the secret %q", s)
		}
	}
}

func TestPushWithoutCredentials(t *testing.T) {
	docker := dockertest.Client(t)
	host := registryHost(t)
	bin, _ := workloadBinary(t, docker)
	_, _, err := Push(pushContext(t), PushOptions{Docker: docker, Repository: host + "/lab/workload", Image: pushImage(bin)})
	checkOneLine(t, err, nil, "push to "+host+"/lab/workload failed", "--auth ecr")
}

func TestPushUnreachableRegistry(t *testing.T) {
	docker := dockertest.Client(t)
	bin, _ := workloadBinary(t, docker)
	host := "127.0.0.1:" + freePort(t) // nothing listens there
	token := &fakeToken{endpoint: "http://" + host, password: pushTestPassword}
	_, _, err := Push(pushContext(t), PushOptions{Docker: docker, Token: token, Repository: host + "/lab/workload", Image: pushImage(bin)})
	checkOneLine(t, err, token.secretsOf(), "push to "+host+"/lab/workload failed", "Docker cannot reach the registry "+host)
}

// The cases below fail before Docker is involved (docker is nil).

func TestPushTokenForAnotherRegistry(t *testing.T) {
	tests := []struct {
		name, endpoint, repo, want string
	}{
		{"local", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "127.0.0.1:5000/lab",
			"the ECR login token is for 123456789012.dkr.ecr.us-east-1.amazonaws.com, not for the repository's registry 127.0.0.1:5000: use a repository of that registry"},
		{"other region", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/lab",
			"not for the repository's registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com: set AWS_REGION=eu-west-1"},
		{"look-alike host", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/lab",
			"not for the repository's registry 123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := &fakeToken{endpoint: tt.endpoint, password: pushTestPassword}
			_, _, err := Push(context.Background(), PushOptions{Token: token, Repository: tt.repo})
			checkOneLine(t, err, token.secretsOf(), tt.want)
		})
	}
}

func TestPushTokenError(t *testing.T) {
	token := &fakeToken{err: errors.New("operation error ECR: GetAuthorizationToken, failed to refresh cached credentials, no EC2 IMDS role found")}
	_, _, err := Push(context.Background(), PushOptions{Token: token, Repository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/lab"})
	checkOneLine(t, err, nil, "get an ECR login token: ", "no EC2 IMDS role found")
}

func TestPushSameRegistry(t *testing.T) {
	tests := []struct {
		token, repo string
		want        bool
	}{
		{"127.0.0.1:5000", "127.0.0.1:5000", true},
		{"127.0.0.1:5000", "127.0.0.1:5001", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com", true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443", "123456789012.DKR.ecr.us-east-1.amazonaws.com", true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "210987654321.dkr.ecr.us-east-1.amazonaws.com", true}, // cross-account
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "210987654321.dkr.ecr.us-west-2.amazonaws.com", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "evil.example", false},
	}
	for _, tt := range tests {
		if got := sameRegistry(tt.token, tt.repo); got != tt.want {
			t.Errorf("sameRegistry(%q, %q) = %v, want %v", tt.token, tt.repo, got, tt.want)
		}
	}
}

func TestPushParseRepository(t *testing.T) {
	good := []struct {
		uri  string
		want Repository
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload", Repository{Host: "123456789012.dkr.ecr.us-east-1.amazonaws.com", Path: "lab-workload"}},
		{"127.0.0.1:5000/lab/workload:v1", Repository{Host: "127.0.0.1:5000", Path: "lab/workload", Tag: "v1"}},
		{"localhost/lab", Repository{Host: "localhost", Path: "lab"}},
	}
	for _, tt := range good {
		got, err := ParseRepository(tt.uri)
		if err != nil || got != tt.want {
			t.Errorf("ParseRepository(%q) = %+v, %v; want %+v", tt.uri, got, err, tt.want)
		}
	}
	if r, _ := ParseRepository(good[0].uri); r.ECRRegion() != "us-east-1" {
		t.Errorf("ECRRegion of %s = %q, want us-east-1", good[0].uri, r.ECRRegion())
	}
	bad := map[string]string{
		"":                               "is empty",
		"lab-workload":                   "names no registry host",
		"myuser/lab":                     "names no registry host",
		"https://127.0.0.1:5000/lab":     "has a scheme",
		"127.0.0.1:5000/lab@sha256:abcd": "has a digest",
		"127.0.0.1:5000/Lab":             "invalid repository name",
		"127.0.0.1:5000/lab:-x":          "invalid tag",
	}
	for uri, want := range bad {
		_, err := ParseRepository(uri)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRepository(%q) error = %v, want one saying %q", uri, err, want)
		}
	}
}

func TestPushReadStream(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	stream := `{"status":"The push refers to repository [127.0.0.1:5000/lab]"}
{"status":"Preparing","progressDetail":{},"id":"5f70bf18a086"}
{"status":"Pushing","progressDetail":{"current":512,"total":1024},"progress":"[==>   ]","id":"5f70bf18a086"}
{"status":"Pushing","progressDetail":{"current":1024,"total":1024},"progress":"[=====>]","id":"5f70bf18a086"}
{"status":"Pushed","progressDetail":{},"id":"5f70bf18a086"}
{"status":"v1: digest: ` + d + ` size: 528"}
{"progressDetail":{},"aux":{"Tag":"v1","Digest":"` + d + `","Size":528}}
`
	var out bytes.Buffer
	got, err := readPushStream(strings.NewReader(stream), &out)
	if err != nil || got != d {
		t.Fatalf("readPushStream = %q, %v; want %q", got, err, d)
	}
	want := "The push refers to repository [127.0.0.1:5000/lab]\n5f70bf18a086: Preparing\n5f70bf18a086: Pushing\n5f70bf18a086: Pushed\nv1: digest: " + d + " size: 528\n"
	if out.String() != want {
		t.Errorf("progress =\n%s\nwant\n%s", out.String(), want)
	}

	_, err = readPushStream(strings.NewReader(`{"status":"Preparing","id":"x"}
{"errorDetail":{"message":"denied: requested access\nto the resource is denied"},"error":"denied: requested access to the resource is denied"}
`), io.Discard)
	var se streamError
	if !errors.As(err, &se) || string(se) != "denied: requested access to the resource is denied" {
		t.Errorf("readPushStream error = %#v, want the stream's message on one line", err)
	}
}

func TestPushErrorHints(t *testing.T) {
	ecrRepo, _ := ParseRepository("123456789012.dkr.ecr.us-east-1.amazonaws.com/lab")
	local, _ := ParseRepository("127.0.0.1:5000/lab")
	tests := []struct {
		repo   Repository
		authed bool
		msg    string
		want   string
	}{
		{ecrRepo, true, "denied: Your authorization token has expired. Reauthenticate and try again.", "may push to this repository"},
		{ecrRepo, true, "name unknown: The repository with name 'lab' does not exist in the registry with id '123456789012'", "aws ecr create-repository --repository-name lab --region us-east-1"},
		{ecrRepo, true, "tag invalid: The image tag 'v1' already exists in the 'lab' repository and cannot be overwritten because the repository is immutable.", "push with another --tag"},
		{local, false, "unauthorized: authentication required", "--auth ecr"},
		{local, false, `Get "https://127.0.0.1:5000/v2/": http: server gave HTTP response to HTTPS client`, "insecure-registries"},
		{local, false, `Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`, "Docker cannot reach the registry 127.0.0.1:5000"},
	}
	for _, tt := range tests {
		err := pushError(tt.repo, tt.authed, tt.msg)
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("pushError(%q) = %q, want it to keep the message and say %q", tt.msg, err, tt.want)
		}
	}
}

func TestPushRedact(t *testing.T) {
	err := redact(errors.New("failed with pw hunter2 and token QVdTOmh1bnRlcjI="), []string{"hunter2", "QVdTOmh1bnRlcjI="})
	if got := err.Error(); got != "failed with pw <redacted> and token <redacted>" {
		t.Errorf("redact = %q", got)
	}
}

// A push for both of Fargate's platforms: each platform's image, built
// from a program for it, and a manifest list naming both with their
// platforms under the tag, as a Fargate task of either runtimePlatform
// pulls it.
func TestPushBothPlatforms(t *testing.T) {
	docker := dockertest.Client(t)
	host := registryHost(t)
	// lab finds the program for each platform beside its executable, as a
	// release archive ships them.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		bin, _ := workloadBinaryFor(t, docker, arch)
		beside := filepath.Join(filepath.Dir(self), workload.BinaryName(arch))
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(beside, data, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(beside) })
	}
	t.Setenv(workload.EnvWorkloadBinary, "")
	token := &fakeToken{endpoint: "http://" + host, password: pushTestPassword}
	ref, digest, err := Push(pushContext(t), PushOptions{Docker: docker, Token: token, Repository: host + "/lab/workload",
		Platforms: []string{"linux/amd64", "linux/arm64"}, Image: []workload.ImageOption{workload.WithKeepStale()}})
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	tag := strings.TrimPrefix(ref, host+"/lab/workload:")
	var list struct {
		MediaType string
		Manifests []struct {
			Digest   string
			Platform struct{ Architecture, OS string }
		}
	}
	header, raw := registryGet(t, host, "lab/workload/manifests/"+tag, mediaDockerList)
	if err := json.Unmarshal(raw, &list); err != nil || header != digest || list.MediaType != mediaDockerList || len(list.Manifests) != 2 {
		t.Fatalf("the manifest list under %s: %s (digest %s, Push said %s), %v", tag, raw, header, digest, err)
	}
	for _, m := range list.Manifests {
		arch := m.Platform.Architecture
		if own, _ := manifestDigest(t, host, "lab/workload", tag+"-"+arch); own != m.Digest || m.Platform.OS != "linux" {
			t.Errorf("the list names %s for linux/%s, the registry has %s under %s-%s", m.Digest, arch, own, tag, arch)
		}
		// The image itself says it is for that architecture.
		_, mraw := registryGet(t, host, "lab/workload/manifests/"+m.Digest, mediaDockerManifest)
		var man struct{ Config struct{ Digest string } }
		json.Unmarshal(mraw, &man)
		_, craw := registryGet(t, host, "lab/workload/blobs/"+man.Config.Digest, "*/*")
		var cfg struct{ Architecture, OS string }
		if err := json.Unmarshal(craw, &cfg); err != nil || cfg.Architecture != arch || cfg.OS != "linux" {
			t.Errorf("the image for %s says %+v (%v)", arch, cfg, err)
		}
	}
}

// workloadBinaryFor is workloadBinary for another architecture.
func workloadBinaryFor(t *testing.T, docker *client.Client, arch string) (string, string) {
	t.Setenv("GOARCH", arch)
	defer os.Unsetenv("GOARCH")
	return workloadBinary(t, docker)
}

// registryGet GETs a path of the test registry's API with accept and
// returns the digest header and the body.
func registryGet(t *testing.T, host, path, accept string) (string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("AWS", pushTestPassword)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", req.URL, resp.Status, b)
	}
	return resp.Header.Get("Docker-Content-Digest"), b
}

package ecs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The part of the registry API (distribution v2) a multi-platform push
// needs beyond what the Docker Engine does: reading the manifests Docker
// pushed, and putting the list that names them. Engine API 1.41 pushes
// one platform's image at a time and cannot push a list.

// Manifest media types.
const (
	mediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
)

// registryClient talks to one repository of a registry with basic
// credentials (ECR takes its login token's user and password so; a local
// registry with htpasswd likewise) or none.
type registryClient struct {
	base       string // scheme://host/v2/path
	user, pass string
	http       *http.Client
}

func newRegistryClient(repo Repository, user, pass string) *registryClient {
	scheme := "https"
	if h := strings.Split(repo.Host, ":")[0]; h == "localhost" || strings.HasPrefix(h, "127.") {
		scheme = "http" // Docker's own rule: loopback registries speak plain HTTP
	}
	return &registryClient{base: scheme + "://" + repo.Host + "/v2/" + repo.Path, user: user, pass: pass, http: &http.Client{Timeout: 30 * time.Second}}
}

// descriptor is a manifest's entry in a list.
type descriptor struct {
	MediaType string    `json:"mediaType"`
	Size      int64     `json:"size"`
	Digest    string    `json:"digest"`
	Platform  *platform `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

func (r *registryClient) do(ctx context.Context, method, ref string, body []byte, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.base+"/manifests/"+ref, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	return r.http.Do(req)
}

// describe reads the manifest ref (a tag or digest) and returns its
// descriptor.
func (r *registryClient) describe(ctx context.Context, ref string) (descriptor, error) {
	resp, err := r.do(ctx, http.MethodHead, ref, nil, map[string]string{"Accept": mediaDockerManifest + ", " + mediaOCIManifest})
	if err != nil {
		return descriptor{}, fmt.Errorf("read the manifest %s: %w", ref, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return descriptor{}, fmt.Errorf("read the manifest %s: the registry answered %s", ref, resp.Status)
	}
	size, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	d := descriptor{MediaType: resp.Header.Get("Content-Type"), Size: size, Digest: resp.Header.Get("Docker-Content-Digest")}
	if d.Size == 0 || d.Digest == "" || d.MediaType == "" {
		return descriptor{}, fmt.Errorf("read the manifest %s: the registry gave no size, digest or type", ref)
	}
	return d, nil
}

// putList puts a manifest list naming manifests (each with its platform)
// under tag, and returns its digest. Docker's list type goes with Docker
// manifests, OCI's index with OCI ones.
func (r *registryClient) putList(ctx context.Context, tag string, manifests []descriptor) (string, error) {
	media := mediaDockerList
	if len(manifests) > 0 && manifests[0].MediaType == mediaOCIManifest {
		media = mediaOCIIndex
	}
	body, err := json.Marshal(struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []descriptor `json:"manifests"`
	}{2, media, manifests})
	if err != nil {
		return "", err
	}
	resp, err := r.do(ctx, http.MethodPut, tag, body, map[string]string{"Content-Type": media})
	if err != nil {
		return "", fmt.Errorf("put the manifest list %s: %w", tag, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("put the manifest list %s: the registry answered %s: %s", tag, resp.Status, pushOneLine(string(msg)))
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

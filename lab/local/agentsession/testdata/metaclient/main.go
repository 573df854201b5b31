// Command metaclient is a task's container in the agent's Docker test:
// it reads its metadata, its stats, its task's metadata and stats, and
// its role's credentials through
// the variables ECS gives a container, as an SDK or an agent would, and
// prints what it found as one JSON line (a hash of the secret, not the
// secret). It exits 1 if it found nothing within 15 s.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

type found struct {
	Container             map[string]any `json:"container"`
	Task                  map[string]any `json:"task"`
	Stats                 map[string]any `json:"stats"`
	TaskStats             map[string]any `json:"task_stats"`
	AccessKeyID           string         `json:"access_key_id"`
	SecretSHA256          string         `json:"secret_sha256"`
	RoleArn               string         `json:"role_arn"`
	Expiration            string         `json:"expiration"`
	UnauthenticatedStatus int            `json:"unauthenticated_status"`
}

func get(url, auth string, v any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.Unmarshal(b, v)
}

func main() {
	meta := os.Getenv("ECS_CONTAINER_METADATA_URI_V4")
	creds, token := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	var f found
	deadline := time.Now().Add(15 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		f = found{}
		if code, err := get(meta, "", &f.Container); code != 200 || err != nil || f.Container["KnownStatus"] != "RUNNING" {
			continue
		}
		if code, err := get(meta+"/stats", "", &f.Stats); code != 200 || err != nil {
			continue
		}
		if code, err := get(meta+"/task", "", &f.Task); code != 200 || err != nil || f.Task["KnownStatus"] != "RUNNING" {
			continue
		}
		if code, err := get(meta+"/task/stats", "", &f.TaskStats); code != 200 || err != nil {
			continue
		}
		var c struct{ AccessKeyId, SecretAccessKey, RoleArn, Expiration string }
		if code, err := get(creds, token, &c); code != 200 || err != nil {
			continue
		}
		sum := sha256.Sum256([]byte(c.SecretAccessKey))
		f.AccessKeyID, f.SecretSHA256, f.RoleArn, f.Expiration = c.AccessKeyId, hex.EncodeToString(sum[:]), c.RoleArn, c.Expiration
		f.UnauthenticatedStatus, _ = get(creds, "", &c)
		b, _ := json.Marshal(f)
		fmt.Println(string(b))
		return
	}
	b, _ := json.Marshal(f)
	fmt.Fprintln(os.Stderr, "metaclient: not everything answered within 15 s; last:", string(b))
	os.Exit(1)
}

// Command credcheck is a workload for tests: it listens on $PORT and
// answers 200 when its task's metadata endpoint answers and the
// credentials at AWS_CONTAINER_CREDENTIALS_FULL_URI have the secret key
// whose SHA-256 its argument gives, 500 otherwise. A test proves with it
// that a task role's credentials reach the container without being
// written anywhere.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: credcheck SHA256")
		os.Exit(2)
	}
	want := os.Args[1]
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if err := check(want); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func check(want string) error {
	resp, err := http.Get(os.Getenv("ECS_CONTAINER_METADATA_URI_V4") + "/task")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("task metadata: %s", resp.Status)
	}
	req, err := http.NewRequest(http.MethodGet, os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var c struct{ SecretAccessKey string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return fmt.Errorf("credentials: %s: %w", resp.Status, err)
	}
	sum := sha256.Sum256([]byte(c.SecretAccessKey))
	if hex.EncodeToString(sum[:]) != want {
		return fmt.Errorf("credentials: not the secret key wanted")
	}
	return nil
}

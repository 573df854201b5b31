// Command envcheck is a workload for tests: it listens on $PORT and
// answers 200 when each variable its arguments name (NAME=SHA256) holds
// the value of that SHA-256, 500 otherwise. A test proves with it that
// values reach the container without writing them anywhere.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strings"
)

func main() {
	want := map[string]string{}
	for _, a := range os.Args[1:] {
		name, sum, _ := strings.Cut(a, "=")
		want[name] = sum
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		for name, sum := range want {
			got := sha256.Sum256([]byte(os.Getenv(name)))
			if hex.EncodeToString(got[:]) != sum {
				http.Error(w, name+" does not hold the value wanted", http.StatusInternalServerError)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

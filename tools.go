//go:build tools

// Package tools pins modules the code will import, so that go mod tidy keeps them while packages are being written.
package tools

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/docker/docker/client"
	_ "github.com/goccy/go-yaml"
	_ "github.com/gofrs/flock"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/mattn/go-isatty"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/sys/unix"
)

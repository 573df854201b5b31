package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The results directory of a run.

// checkWritable makes sure results can be written under dir before a
// run starts, by writing and removing a file in the nearest directory on
// the way to dir that exists: a run that never starts (Docker down)
// leaves no empty results directory behind.
func checkWritable(dir string) error {
	fail := func(err error) error {
		return fmt.Errorf("results directory %s is not writable: %w (choose another with --out)", dir, err)
	}
	d := filepath.Clean(dir)
	for {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return fail(fmt.Errorf("%s is not a directory", d))
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(d) == d {
			return fail(err)
		}
		d = filepath.Dir(d)
	}
	f, err := os.CreateTemp(d, ".lab-write-check-*")
	if err == nil {
		_, err = f.Write(make([]byte, 4096))
		err = errors.Join(err, f.Sync(), f.Close(), os.Remove(f.Name()))
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// createIn creates the file name in dir, and dir first.
func createIn(dir, name string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.Create(filepath.Join(dir, name))
}

// newRunID is 4 characters from [a-z0-9], enough to tell concurrent runs
// apart.
func newRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 4)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

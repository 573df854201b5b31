package release

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// TestLabTypeChecksForEveryPlatform type-checks every package of lab, and
// everything it imports, from source with each platform's build
// constraints (GOOS and GOARCH files, build tags, no cgo): the compiler's
// front end, which finds what a platform's build would reject in Go code
// (a function only a _linux.go file defines, a syscall constant darwin
// does not have, an unused import on windows). About ten seconds a
// platform, with or without a build cache; compiling and linking, which
// TestLabBuildsForEveryPlatform (make cross) does, takes minutes each on
// a cold cache, more than `make test` can spend.
func TestLabTypeChecksForEveryPlatform(t *testing.T) {
	for _, p := range crossPlatforms {
		t.Run(p.goos+"/"+p.goarch, func(t *testing.T) {
			cfg := &packages.Config{
				Mode: packages.LoadAllSyntax,
				Dir:  "..",
				Env:  append(os.Environ(), "GOOS="+p.goos, "GOARCH="+p.goarch, "CGO_ENABLED=0"),
			}
			pkgs, err := packages.Load(cfg, "./...")
			if err != nil {
				t.Fatal(err)
			}
			var errs []string
			packages.Visit(pkgs, nil, func(pkg *packages.Package) {
				for _, e := range pkg.Errors {
					errs = append(errs, e.Error())
				}
			})
			if len(errs) > 0 {
				t.Errorf("GOOS=%s GOARCH=%s: %d errors:\n%s", p.goos, p.goarch, len(errs), strings.Join(errs, "\n"))
			}
			if len(pkgs) < 10 {
				t.Errorf("GOOS=%s GOARCH=%s: %d packages loaded, want all of lab's", p.goos, p.goarch, len(pkgs))
			}
		})
	}
}

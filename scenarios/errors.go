package scenarios

import "github.com/ecslab/lab/scenarios/internal/strictyaml"

// Error is one problem in a scenario file, at the YAML node it comes from:
// its File is the name given to Parse or the path given to Load.
type Error = strictyaml.Error

// ErrorList is every problem found in one pass over a scenario, in source
// order. Load, Parse, Resolve and Builtin return their errors as an
// ErrorList, so a caller can tell bad input (exit code 2) from other
// failures with errors.As.
type ErrorList = strictyaml.ErrorList

// MaxFileSize is the largest scenario file the loader reads.
const MaxFileSize = strictyaml.MaxFileSize

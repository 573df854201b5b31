// Package strictyaml reads a YAML document strictly against a schema
// written in Go, and reports every problem it finds, in one pass, at the
// line and column where it is.
//
// A Reader parses the document with its hostile-input limits (size,
// tokens, nesting, alias expansion), then the caller's schema walks the
// tree with the Reader's methods: Object reads a mapping whose keys must
// be the schema's fields (an unknown key gets a "did you mean"), List a
// sequence, Str, Integer, Duration and the others a scalar of one type.
// A problem is recorded as an Error with its file, line, column, field
// path ("load.phases[0].duration") and the source line for a caret, and
// reading goes on; Err returns them all, in source order, as an ErrorList.
// Anchors, aliases and merge keys are followed without expanding them;
// tags other than YAML's standard ones are refused.
//
// The package knows nothing of what the documents mean: package scenarios
// holds the scenario schema and its checks across fields.
package strictyaml

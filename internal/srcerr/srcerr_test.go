package srcerr

import (
	"strings"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "a.yaml", Line: 3, Column: 10, Field: "service.memory", Message: "bad", SourceLine: "\tmemory: 4096"}
	want := "a.yaml:3:10: service.memory: bad\n   3 | \tmemory: 4096\n     | \t        ^"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	long := &Error{File: "a.json", Line: 1, Column: 200, Field: "x", Message: "bad", SourceLine: strings.Repeat("a", 199) + "B" + strings.Repeat("c", 200)}
	wantLong := "a.json:1:200: x: bad\n   1 | ..." + strings.Repeat("a", 60) + "B" + strings.Repeat("c", 59) + "...\n     | " + strings.Repeat(" ", 63) + "^"
	if got := long.Error(); got != wantLong {
		t.Errorf("Error() of a long line =\n%s\nwant\n%s", got, wantLong)
	}
	binary := &Error{File: "a.bin", Line: 1, Column: 3, Field: "k\x1b", Message: "bad", SourceLine: "\x1b[\x00\xff\tx"}
	if got, want := binary.Error(), "a.bin:1:3: k?: bad\n   1 | ?[??\tx\n     |   ^"; got != want {
		t.Errorf("Error() with control characters = %q, want %q", got, want)
	}
	whole := &Error{File: "a.yaml", Message: "file is empty"}
	if got := whole.Error(); got != "a.yaml: file is empty" {
		t.Errorf("Error() of a file-level error = %q", got)
	}
}

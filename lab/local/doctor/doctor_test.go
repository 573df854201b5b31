package doctor

import (
	"testing"

	"github.com/ecslab/lab/lab/local"
)

func TestReachSaysWhatLabDoes(t *testing.T) {
	auto := local.PathAuto
	tests := []struct {
		path                  local.NetworkPath
		directOK, publishedOK bool
		want                  Status
	}{
		{local.PathDirect, true, true, OK},
		{local.PathDirect, false, true, Fail},
		{local.PathPublished, false, true, OK},
		{local.PathPublished, true, false, Fail},
		{auto, false, false, Fail},
	}
	if auto.TriesDirect() { // lab on Linux
		tests = append(tests,
			struct {
				path                  local.NetworkPath
				directOK, publishedOK bool
				want                  Status
			}{auto, true, true, OK},
			struct {
				path                  local.NetworkPath
				directOK, publishedOK bool
				want                  Status
			}{auto, false, true, Note})
	}
	for _, tt := range tests {
		action, status := reach(tt.path, tt.directOK, tt.publishedOK)
		if status != tt.want || action == "" {
			t.Errorf("reach(%s, direct %v, published %v) = %q, %s; want %s", tt.path, tt.directOK, tt.publishedOK, action, status, tt.want)
		}
	}
}

func TestReportFailed(t *testing.T) {
	if (Report{{Status: OK}, {Status: Note}}).Failed() {
		t.Error("notes do not block a run")
	}
	if !(Report{{Status: OK}, {Status: Fail}}).Failed() {
		t.Error("a failed check blocks a run")
	}
}

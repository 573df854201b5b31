package fargate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSizes(t *testing.T) {
	type row struct {
		CPU    int
		VCPU   float64
		Text   string
		Count  int
		Linux4 bool
	}
	var got []row
	for _, r := range Sizes() {
		got = append(got, row{r.CPU, r.VCPU, r.MemoryText(), len(r.Memory), r.Note != ""})
	}
	want := []row{
		{256, 0.25, "512, 1024, 2048", 3, false},
		{512, 0.5, "1024, 2048, 3072, 4096", 4, false},
		{1024, 1, "2048, 3072, 4096, 5120, 6144, 7168, 8192", 7, false},
		{2048, 2, "4096 to 16384 in 1024 steps", 13, false},
		{4096, 4, "8192 to 30720 in 1024 steps", 23, false},
		{8192, 8, "16384 to 61440 in 4096 steps", 12, true},
		{16384, 16, "32768 to 122880 in 8192 steps", 12, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sizes() (-want +got):\n%s", diff)
	}
}

func TestValidSize(t *testing.T) {
	for _, tc := range []struct {
		size Size
		want bool
	}{
		{Size{256, 512}, true},
		{Size{256, 2048}, true},
		{Size{256, 1536}, false},
		{Size{256, 4096}, false},
		{Size{512, 4096}, true},
		{Size{512, 512}, false},
		{Size{4096, 30720}, true},
		{Size{4096, 31744}, false},
		{Size{8192, 20480}, true},
		{Size{8192, 17408}, false}, // not on the 4096 step
		{Size{16384, 122880}, true},
		{Size{16384, 40960}, true},
		{Size{16384, 36864}, false},
		{Size{300, 1024}, false},
		{Size{0, 0}, false},
	} {
		if got := ValidSize(tc.size); got != tc.want {
			t.Errorf("ValidSize(%v) = %v, want %v", tc.size, got, tc.want)
		}
	}
}

func TestCheckSizeSuggests(t *testing.T) {
	for _, tc := range []struct {
		cpu, memory int
		want        string
	}{
		{256, 512, ""},
		{256, 4096, "memory 4096 is not valid with cpu 256 (valid: 512, 1024, 2048); nearest valid size: 256/2048; smallest size with at least 4096 MiB: 512/4096"},
		// Nearest memory on a tie goes up; the smallest size is the same, so it is named once.
		{512, 1536, "memory 1536 is not valid with cpu 512 (valid: 1024, 2048, 3072, 4096); nearest valid size: 512/2048; smallest size with at least 1536 MiB: 256/2048"},
		{1024, 512, "memory 512 is not valid with cpu 1024 (valid: 2048, 3072, 4096, 5120, 6144, 7168, 8192); nearest valid size: 1024/2048; smallest size with at least 512 MiB: 256/512"},
		{2048, 20000, "memory 20000 is not valid with cpu 2048 (valid: 4096 to 16384 in 1024 steps); nearest valid size: 2048/16384; smallest size with at least 20000 MiB: 4096/20480"},
		{256, 500, "memory 500 is not valid with cpu 256 (valid: 512, 1024, 2048); nearest valid size: 256/512"},
		{300, 1024, "cpu 300 is not a Fargate cpu; valid: 256, 512, 1024, 2048, 4096, 8192, 16384; nearest valid size: 256/1024"},
		{1000, 1024, "cpu 1000 is not a Fargate cpu; valid: 256, 512, 1024, 2048, 4096, 8192, 16384; nearest valid size: 1024/2048; smallest size with at least 1024 MiB: 256/1024"},
		{16384, 200000, "memory 200000 is not valid with cpu 16384 (valid: 32768 to 122880 in 8192 steps); nearest valid size: 16384/122880; no Fargate size has 200000 MiB (the largest is 16384/122880)"},
	} {
		err := CheckSize(tc.cpu, tc.memory)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("CheckSize(%d, %d) =\n  %q\nwant\n  %q", tc.cpu, tc.memory, got, tc.want)
		}
	}
}

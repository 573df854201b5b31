package scenarios

import "testing"

func TestParseCPU(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		wantErr string
	}{
		{in: "256", want: 256},
		{in: " 1024 ", want: 1024},
		{in: "0.25vCPU", want: 256},
		{in: "0.25 vCPU", want: 256},
		{in: "2 vcpu", want: 2048},
		{in: "16VCPU", want: 16384},
		{in: "0.3vCPU", wantErr: `"0.3vCPU" is not a whole number of cpu units (1 vCPU = 1024 units)`},
		{in: "0.25", wantErr: `"0.25" is not a cpu: write cpu units (256) or vCPU (0.25vCPU)`},
		{in: "1 core", wantErr: `"1 core" is not a cpu: write cpu units (256) or vCPU (0.25vCPU)`},
		{in: "-256", wantErr: `"-256" is not a cpu: write cpu units (256) or vCPU (0.25vCPU)`},
		{in: "", wantErr: `"" is not a cpu: write cpu units (256) or vCPU (0.25vCPU)`},
	} {
		got, err := ParseCPU(tc.in)
		if msg := errString(err); msg != tc.wantErr || got != tc.want {
			t.Errorf("ParseCPU(%q) = %d, %q; want %d, %q", tc.in, got, msg, tc.want, tc.wantErr)
		}
	}
}

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		wantErr string
	}{
		{in: "512", want: 512},
		{in: "512MiB", want: 512},
		{in: "512 MB", want: 512},
		{in: "1GB", want: 1024},
		{in: "1GiB", want: 1024},
		{in: "0.5GB", want: 512},
		{in: "30gb", want: 30720},
		{in: "1.3GB", wantErr: `"1.3GB" is not a whole number of MiB`},
		{in: "1TB", wantErr: `"1TB" is not a memory size: write MiB (512) or a number with a unit (512MiB, 1GB = 1024 MiB)`},
		{in: "GB", wantErr: `"GB" is not a memory size: write MiB (512) or a number with a unit (512MiB, 1GB = 1024 MiB)`},
	} {
		got, err := ParseMemory(tc.in)
		if msg := errString(err); msg != tc.wantErr || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %q; want %d, %q", tc.in, got, msg, tc.want, tc.wantErr)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Size
		wantErr string
	}{
		{in: "512/1024", want: Size{CPU: 512, Memory: 1024}},
		{in: "0.25vCPU/1GB", want: Size{CPU: 256, Memory: 1024}},
		{in: " 4096 / 8192 ", want: Size{CPU: 4096, Memory: 8192}},
		{in: "512", wantErr: `size "512": want CPU/MEMORY, e.g. 512/1024`},
		{in: "abc/1024", wantErr: `size "abc/1024": "abc" is not a cpu: write cpu units (256) or vCPU (0.25vCPU)`},
		{in: "512/lots", wantErr: `size "512/lots": "lots" is not a memory size: write MiB (512) or a number with a unit (512MiB, 1GB = 1024 MiB)`},
		{in: "256/4096", wantErr: `size "256/4096": memory 4096 is not valid with cpu 256 (valid: 512, 1024, 2048); nearest valid size: 256/2048; smallest size with at least 4096 MiB: 512/4096`},
	} {
		got, err := ParseSize(tc.in)
		if msg := errString(err); msg != tc.wantErr || got != tc.want {
			t.Errorf("ParseSize(%q) = %v, %q; want %v, %q", tc.in, got, msg, tc.want, tc.wantErr)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

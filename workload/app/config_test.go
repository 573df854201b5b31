package app

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromEnv(t *testing.T) {
	def := DefaultConfig()
	with := func(f func(*Config)) Config {
		c := def
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", env: nil, want: def},
		{name: "empty values keep defaults", env: map[string]string{"CPU_WORK": "", "PORT": " "}, want: def},
		{name: "all set",
			env: map[string]string{"CPU_WORK": "40ms", "LEAK_PER_REQUEST": "4MiB", "DELAY_STEP": "1ms", "PORT": "8080"},
			want: with(func(c *Config) {
				c.CPUWork, c.LeakPerRequest, c.DelayStep, c.Port = 40*time.Millisecond, 4<<20, time.Millisecond, 8080
			})},
		{name: "zero work and leak", env: map[string]string{"CPU_WORK": "0", "LEAK_PER_REQUEST": "0", "DELAY_STEP": "0s"},
			want: with(func(c *Config) { c.CPUWork, c.LeakPerRequest, c.DelayStep = 0, 0, 0 })},
		{name: "leak in bytes", env: map[string]string{"LEAK_PER_REQUEST": "1048576"}, want: def},
		{name: "leak in KiB", env: map[string]string{"LEAK_PER_REQUEST": "512KiB"}, want: with(func(c *Config) { c.LeakPerRequest = 512 << 10 })},
		{name: "leak with decimal unit", env: map[string]string{"LEAK_PER_REQUEST": "2MB"}, want: with(func(c *Config) { c.LeakPerRequest = 2 << 20 })},
		{name: "fractional leak", env: map[string]string{"LEAK_PER_REQUEST": "1.5mib"}, want: with(func(c *Config) { c.LeakPerRequest = 3 << 19 })},

		{name: "bad duration", env: map[string]string{"CPU_WORK": "80"},
			wantErr: `CPU_WORK="80": want a duration such as 80ms (units ns, us, ms, s, m, h)`},
		{name: "negative duration", env: map[string]string{"DELAY_STEP": "-2ms"},
			wantErr: `DELAY_STEP="-2ms": must not be negative`},
		{name: "bad unit", env: map[string]string{"LEAK_PER_REQUEST": "1MiBs"},
			wantErr: `LEAK_PER_REQUEST="1MiBs": unknown unit "MiBs"; want a size such as 1MiB, 512KiB or 1048576`},
		{name: "not a size", env: map[string]string{"LEAK_PER_REQUEST": "lots"},
			wantErr: `LEAK_PER_REQUEST="lots": not a number; want a size such as 1MiB, 512KiB or 1048576`},
		{name: "negative size", env: map[string]string{"LEAK_PER_REQUEST": "-1MiB"},
			wantErr: `LEAK_PER_REQUEST="-1MiB": must not be negative; want a size such as 1MiB, 512KiB or 1048576`},
		{name: "huge leak", env: map[string]string{"LEAK_PER_REQUEST": "2GiB"},
			wantErr: `LEAK_PER_REQUEST="2GiB": at most 1GiB per request`},
		{name: "overflowing leak", env: map[string]string{"LEAK_PER_REQUEST": "99999999999999999999"},
			wantErr: `LEAK_PER_REQUEST="99999999999999999999": too large; want a size such as 1MiB, 512KiB or 1048576`},
		{name: "bad port", env: map[string]string{"PORT": "http"},
			wantErr: `PORT="http": want a TCP port between 1 and 65535, such as 5000`},
		{name: "port out of range", env: map[string]string{"PORT": "70000"},
			wantErr: `PORT="70000": want a TCP port between 1 and 65535, such as 5000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigString(t *testing.T) {
	got := DefaultConfig().String()
	want := "CPU_WORK=80ms LEAK_PER_REQUEST=1MiB DELAY_STEP=2ms PORT=5000"
	if got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

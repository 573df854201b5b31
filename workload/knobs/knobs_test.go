package knobs

import (
	"errors"
	"testing"
)

// TestCheckAgreesWithFromEnv checks that a scenario's value passes Check
// exactly when the app, reading it from its environment, starts.
func TestCheckAgreesWithFromEnv(t *testing.T) {
	values := []string{"", " ", "0", "80ms", "1.5s", "-2ms", "80", "fast",
		"1048576", "512KiB", "1.5mib", "1GiB", "1025MiB", "2GiB", "-1MiB", "1MiBs", "99999999999999999999",
		"1", "5000", "65535", "65536", "http"}
	for _, name := range append(Settable(), Port, "GOGC") {
		for _, v := range values {
			checkErr := Check(name, v)
			_, envErr := FromEnv(func(k string) string {
				if k == name {
					return v
				}
				return ""
			})
			if (checkErr == nil) != (envErr == nil) {
				t.Errorf("%s=%q: Check says %v, FromEnv says %v", name, v, checkErr, envErr)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, value string
		wantReason  string // "" when the value passes
	}{
		{CPUWork, "40ms", ""},
		{CPUWork, " 0 ", ""},
		{CPUWork, "", ""}, // the app keeps its default
		{CPUWork, "fast", "want a duration such as 80ms (units ns, us, ms, s, m, h)"},
		{DelayStep, "-2ms", "must not be negative"},
		{LeakPerRequest, "1GiB", ""},
		{LeakPerRequest, "2GiB", "at most 1GiB per request"},
		{LeakPerRequest, "1.5.3MB", "not a number; want a size such as 1MiB, 512KiB or 1048576"},
		{Port, "0", "want a TCP port between 1 and 65535, such as 5000"},
		{"GOMAXPROCS", "anything", ""}, // not a knob: the app does not read it
	}
	for _, tt := range tests {
		err := Check(tt.name, tt.value)
		if tt.wantReason == "" {
			if err != nil {
				t.Errorf("Check(%s, %q) = %v, want nil", tt.name, tt.value, err)
			}
			continue
		}
		var ke *Error
		if !errors.As(err, &ke) || ke.Reason != tt.wantReason || ke.Name != tt.name {
			t.Errorf("Check(%s, %q) = %#v, want an *Error for %s with reason %q", tt.name, tt.value, err, tt.name, tt.wantReason)
		}
	}
}

package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

const planted = "s3cr3t-planted-value"

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "db"), []byte(planted+"-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cwdFile := filepath.Join(t.TempDir(), "stripe")
	if err := os.WriteFile(cwdFile, []byte(planted+"-flag\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"API_TOKEN": planted + "-env", "OTHER": planted + "-other"}
	src := Sources{ScenarioDir: dir, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	list := []scenarios.Secret{
		{Name: "API_TOKEN", ValueFrom: "env:API_TOKEN"},
		{Name: "DB", ValueFrom: "file:db"},
		{Name: "STRIPE", ValueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-AbCdEf"},
		{Name: "FLAGS", ValueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/lab/flags"},
	}
	flags, err := ParseFlags([]string{"STRIPE=file:" + cwdFile, "FLAGS=env:OTHER"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(list, flags, src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"API_TOKEN": planted + "-env", "DB": planted + "-file", "STRIPE": planted + "-flag", "FLAGS": planted + "-other"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

// Every error names the secret and what to do, and none says a value.
func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat(planted, MaxSize/len(planted)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SET": planted}
	src := Sources{ScenarioDir: dir, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	arn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-AbCdEf"
	for _, tc := range []struct {
		name  string
		list  []scenarios.Secret
		flags []string
		want  []string
	}{
		{"ARN without the flag", []scenarios.Secret{{Name: "STRIPE", ValueFrom: arn}}, nil,
			[]string{"secret STRIPE comes from " + arn, "--secret STRIPE=env:VAR", "--secret STRIPE=file:PATH"}},
		{"unset variable", []scenarios.Secret{{Name: "A", ValueFrom: "env:UNSET"}}, nil,
			[]string{"secret A: environment variable UNSET is not set"}},
		{"missing file", []scenarios.Secret{{Name: "A", ValueFrom: "file:nope"}}, nil,
			[]string{"secret A:", "nope", "no such file"}},
		{"file too large", []scenarios.Secret{{Name: "A", ValueFrom: "file:big"}}, nil,
			[]string{"secret A:", "larger than 65536 bytes"}},
		{"flag for no secret", []scenarios.Secret{{Name: "A", ValueFrom: "env:SET"}}, []string{"B=env:SET"},
			[]string{"--secret B: the scenario has no secret B (its secrets: A)"}},
		{"flag with a value", []scenarios.Secret{{Name: "A", ValueFrom: "env:SET"}}, []string{"A=" + planted},
			[]string{"--secret A: want NAME=env:VAR or NAME=file:PATH"}},
		{"flag with an ARN", []scenarios.Secret{{Name: "A", ValueFrom: "env:SET"}}, []string{"A=" + arn},
			[]string{"--secret A: want NAME=env:VAR or NAME=file:PATH"}},
		{"flag twice", []scenarios.Secret{{Name: "A", ValueFrom: "env:SET"}}, []string{"A=env:SET", "A=env:SET"},
			[]string{"--secret A is given twice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flags, err := ParseFlags(tc.flags)
			if err == nil {
				_, err = Resolve(tc.list, flags, src)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), planted) {
				t.Errorf("error %q says the secret's value", err)
			}
		})
	}
}

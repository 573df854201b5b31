package taskdef

import (
	"os"
	"testing"
)

// FuzzParse: no input makes the loader panic, and what it accepts it can
// describe (a family and at least one container).
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/sidecar-proxy.json", "testdata/init-container.json", "testdata/health-check.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Add([]byte(`{"taskDefinition": [`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f.json", data)
		if err == nil && (d.Family == "" || len(d.ContainerDefinitions) == 0) {
			t.Errorf("accepted a definition without a family or containers: %s", data)
		}
		if err != nil {
			_ = err.Error()
		}
	})
}

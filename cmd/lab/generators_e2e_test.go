package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/internal/labtest"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local"
)

// Three generator containers share 300 req/s; generator 1 is killed
// 2.5 s into the load. Every second the three sent is at the rate, the
// lost generator is reported (event and summary), the seconds it left
// under-sent are listed, and no container is left behind.
func TestGeneratorContainersSplitTheLoad(t *testing.T) {
	cli := dockertest.Client(t)
	began := time.Now()
	defer func() { t.Logf("the run took %s", time.Since(began).Round(100*time.Millisecond)) }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := t.TempDir()
	cmd, stdout, stderr := startRun(t, ctx, "run", "testdata/generators.yaml", "--headless", "--json", "--out", out)
	time.Sleep(1500 * time.Millisecond) // "phase 1" is shown at the end of second 0
	gens, err := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", local.LabelRole+"=generator"))})
	if err != nil || len(gens) != 3 {
		t.Fatalf("%d generator containers running (%v), want 3", len(gens), err)
	}
	for _, c := range gens {
		if len(c.Names) > 0 && strings.HasSuffix(c.Names[0], "-g1") {
			if err := cli.ContainerKill(ctx, c.ID, "SIGKILL"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lab run: %v; stderr:\n%s", err, stderr.String())
	}
	var s lab.Summary
	if err := json.Unmarshal([]byte(stdout.String()), &s); err != nil {
		t.Fatalf("stdout is not summary.json: %v\n%s", err, stdout.String())
	}
	g := s.Entries[0].Generators
	if g == nil || g.Count != 3 || !slices.Equal(g.Lost, []int{1}) {
		t.Fatalf("generators %+v, want 3 with generator 1 lost", g)
	}
	if len(g.UnderSentSeconds) == 0 || g.UnderSentSeconds[0] < 1 || !slices.Contains(g.UnderSentSeconds, 4) {
		t.Errorf("under-sent seconds %v, want from the kill (second 2 or so) to the end (4)", g.UnderSentSeconds)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	lost := 0
	for _, ev := range labtest.ReadEvents(t, dirs[0]) {
		if ev["type"] == lab.EventGeneratorLost && ev["generator"] == 1.0 {
			lost++
		}
	}
	if lost != 1 {
		t.Errorf("%d generator_lost events for generator 1, want 1", lost)
	}
	checkFullSeconds(t, dirs[0], g.UnderSentSeconds, 300)
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}

// checkFullSeconds checks that every second of load that no generator
// under-sent was sent at the rate, within 3%.
func checkFullSeconds(t *testing.T, dir string, underSent []int, rate float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "timeseries.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	full := 0
	for i, row := range rows[1:] { // row i holds second i
		if row[2] == "tail" || slices.Contains(underSent, i) {
			continue
		}
		full++
		sent, _ := strconv.ParseFloat(row[3], 64)
		if math.Abs(sent-rate) > 0.03*rate {
			t.Errorf("second %d: %v sent, want %v within 3%%", i, sent, rate)
		}
	}
	if full < 2 {
		t.Errorf("%d full seconds, want at least the 2 before the kill; rows %v", full, rows)
	}
}

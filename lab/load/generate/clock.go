package generate

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/ecslab/lab/lab/load/wire"
)

// EnvMetadata is the variable in which ECS gives a task's containers the
// address of the task metadata endpoint, version 4.
const EnvMetadata = "ECS_CONTAINER_METADATA_URI_V4"

// hostClock asks the task metadata endpoint at base how good this
// host's clock is: Fargate keeps its tasks' clocks with Amazon Time Sync
// and reports the bound of their error (ClockDrift). It returns nil
// without an endpoint (a container here shares lab's clock), or when the
// endpoint says nothing of the clock or does not answer within a second:
// the clock is then reported as unknown, and the load runs all the same.
func hostClock(ctx context.Context, base string) *wire.Clock {
	if base == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/task", nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	var task struct {
		ClockDrift *struct {
			ClockErrorBound            *float64
			ClockSynchronizationStatus string
		}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&task); err != nil {
		return nil
	}
	if task.ClockDrift == nil || task.ClockDrift.ClockErrorBound == nil {
		return nil
	}
	return &wire.Clock{ErrorBoundMS: *task.ClockDrift.ClockErrorBound, Status: task.ClockDrift.ClockSynchronizationStatus}
}

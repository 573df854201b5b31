package lab

import (
	"encoding/json"
	"time"
)

// Event types written to events.jsonl (DESIGN.md lists their fields).
const (
	EventEntryStarted    = "entry_started"
	EventPhaseStarted    = "phase_started"
	EventTaskStarted     = "task_started"
	EventTaskStopped     = "task_stopped"
	EventHealthChanged   = "health_changed"
	EventTaskStartFailed = "task_start_failed"
	EventAction          = "action"
	EventActionFailed    = "action_failed"
	EventThreshold       = "threshold"
	EventEntryDone       = "entry_done"
	// EventServiceEvent is a message of the ECS service's event log
	// (ECS target only): {message}.
	EventServiceEvent = "service_event"
)

// Event is something that happened during a run, with fields by type.
// The run stamps T, Time and Entry; whoever creates an event sets Type
// and Fields.
type Event struct {
	T      float64        // seconds since the entry's load started (negative before)
	Time   time.Time      //
	Entry  int            // 1-based
	Type   string         //
	Fields map[string]any // by type, e.g. task_stopped: task, reason, exit_code, oom
}

// NewEvent makes an event of the given type from key/value pairs.
func NewEvent(typ string, kv ...any) Event {
	f := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i].(string)] = kv[i+1]
	}
	return Event{Type: typ, Fields: f}
}

// MarshalJSON writes the event as one flat object: the common fields
// followed by the type's own.
func (e Event) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(e.Fields)+4)
	for k, v := range e.Fields {
		m[k] = v
	}
	m["t"] = round(e.T, 3)
	m["time"] = e.Time.UTC().Format(time.RFC3339Nano)
	m["entry"] = e.Entry
	m["type"] = e.Type
	return json.Marshal(m)
}

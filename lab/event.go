package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event types, as the type field of events.jsonl names them. Each has a
// Go type below that holds its fields.
const (
	EventEntryStarted     = "entry_started"     // EntryStarted
	EventPhaseStarted     = "phase_started"     // PhaseStarted
	EventTaskStarted      = "task_started"      // TaskStarted
	EventTaskStopped      = "task_stopped"      // TaskStopped
	EventHealthChanged    = "health_changed"    // HealthChanged
	EventTaskStartFailed  = "task_start_failed" // TaskStartFailed
	EventScalingDecision  = "scaling_decision"  // ScalingDecision
	EventScalingHeld      = "scaling_held"      // ScalingHeld
	EventAction           = "action"            // Action
	EventActionFailed     = "action_failed"     // ActionFailed
	EventThreshold        = "threshold"         // ThresholdOutcome
	EventEntryDone        = "entry_done"        // EntryDone
	EventServiceEvent     = "service_event"     // ServiceEvent
	EventTaskProvisioning = "task_provisioning" // TaskProvisioning
	// Events of one container of a task of several (local target).
	EventContainerStarted = "container_started" // ContainerStarted
	EventContainerStopped = "container_stopped" // ContainerStopped
	EventContainerHealth  = "container_health"  // ContainerHealth
	EventGeneratorLost    = "generator_lost"    // GeneratorLost
	EventGeneratorLate    = "generator_late"    // GeneratorLate
)

// Stop reasons of task_stopped: the words ECS uses, which the local
// target uses too, so that results read the same on both.
const (
	// StopReasonOOM is the container reason of a task killed for memory.
	StopReasonOOM = "OutOfMemoryError: Container killed due to memory usage"
	// StopReasonExited is the reason of a task whose container exited.
	StopReasonExited = "Essential container in task exited"
	// StopReasonUnhealthy is the reason of a task the balancer's health
	// checks failed.
	StopReasonUnhealthy = "Task failed ELB health checks"
	// StopReasonContainerHealth is the reason of a task stopped because
	// an essential container's own health check (the task definition's
	// healthCheck) failed.
	StopReasonContainerHealth = "Task failed container health checks"
	// StopReasonByLab starts the reason of a stop lab made itself on the
	// local target (teardown, scale-in, a rolling resize), followed by
	// why: "Task stopped by lab: scale-in".
	StopReasonByLab = "Task stopped by lab: "
	// StopTaskReason is the reason of a task a stop_task action stopped,
	// on both targets (ECS gives it back as the task's stoppedReason).
	StopTaskReason = "lab: stop_task action"
)

// IsOOMReason reports whether a stop reason is an out-of-memory kill, as
// ECS words it ("OutOfMemoryError: ...").
func IsOOMReason(reason string) bool {
	return strings.HasPrefix(reason, "OutOfMemoryError")
}

// Event is something that happened during a run. The run stamps T, Time
// (unless the target knows when it happened) and Entry; whoever creates
// an event sets Data, one of the types below.
type Event struct {
	T     float64   // seconds since the entry's load started (negative before)
	Time  time.Time //
	Entry int       // 1-based
	Data  EventData
}

// EventData is an event's own fields: EntryStarted, PhaseStarted,
// TaskProvisioning, TaskStarted, TaskStopped, HealthChanged, TaskStartFailed,
// ScalingDecision, ScalingHeld, Action, ActionFailed, ThresholdOutcome,
// EntryDone, ServiceEvent, ContainerStarted, ContainerStopped,
// ContainerHealth, GeneratorLost, GeneratorLate, or UnknownEvent for a type this lab does not
// know (a results file of a newer lab).
type EventData interface {
	// EventType is the event's type, one of the Event* constants.
	EventType() string
	eventData()
}

// Type is the event's type; "" when it has no data.
func (e Event) Type() string {
	if e.Data == nil {
		return ""
	}
	return e.Data.EventType()
}

// EntryStarted: an entry of the matrix starts deploying.
type EntryStarted struct {
	Label string `json:"label"` // the entry's size, e.g. "256/512"
	Count int    `json:"count"` // the tasks it starts with
}

// EntryDone: an entry is over, its thresholds evaluated.
type EntryDone struct {
	Label  string `json:"label"`
	Passed bool   `json:"passed"`
}

// PhaseStarted: a load phase starts.
type PhaseStarted struct {
	Phase int `json:"phase"` // from 1
}

// TaskStarted: the target started a task.
type TaskStarted struct {
	Task string `json:"task"`
	Size string `json:"size"` // e.g. "256/512"
	// Container is the Docker container's name (local target only).
	Container string `json:"container,omitempty"`
}

// TaskStopped: a task stopped, with ECS's reason (see the StopReason*
// constants).
type TaskStopped struct {
	Task   string `json:"task"`
	Reason string `json:"reason"`
	// Container names the container whose exit, OOM kill or failed
	// health check stopped a task of several containers.
	Container string `json:"container,omitempty"`
	// Exit is how the task's container ended; nil for a stop lab made
	// itself on the local target.
	*Exit
	// ByLab marks the stops lab caused (teardown, scale-in, deployments):
	// the summary does not count them as failures.
	ByLab bool `json:"by_lab,omitempty"`
}

// Exit is how a stopped task's container ended.
type Exit struct {
	Code int  `json:"exit_code"` // -1 when ECS gave none
	OOM  bool `json:"oom"`       // killed for memory
}

// OOMKilled reports whether the task was killed for memory.
func (s TaskStopped) OOMKilled() bool { return s.Exit != nil && s.Exit.OOM }

// TaskStoppedByLab is the stop of a task lab stopped itself, for why
// (e.g. "scale-in").
func TaskStoppedByLab(task, why string) TaskStopped {
	return TaskStopped{Task: task, Reason: StopReasonByLab + why, ByLab: true}
}

// TaskProvisioning: the target holds a new task PROVISIONING, then
// PENDING, for StartDelay seconds before its container starts (the
// scenario's service.start_delay); a task_started follows.
type TaskProvisioning struct {
	Task       string  `json:"task"`
	Size       string  `json:"size"`
	StartDelay float64 `json:"start_delay"` // seconds
}

// HealthChanged: a task's health checks passed or failed.
type HealthChanged struct {
	Task    string `json:"task"`
	Healthy bool   `json:"healthy"`
}

// ContainerStarted: a container of a task of several started (its
// dependsOn conditions were met).
type ContainerStarted struct {
	Task      string `json:"task"`
	Container string `json:"container"`
}

// ContainerStopped: a non-essential container of a task exited; the task
// runs on. (An essential container's exit is the task's task_stopped.)
type ContainerStopped struct {
	Task      string `json:"task"`
	Container string `json:"container"`
	*Exit
}

// ContainerHealth: a container's own health check (Docker's, from the
// task definition's healthCheck) passed or failed.
type ContainerHealth struct {
	Task      string `json:"task"`
	Container string `json:"container"`
	Healthy   bool   `json:"healthy"`
}

// TaskStartFailed: the target could not start a task.
type TaskStartFailed struct {
	Error string `json:"error"`
}

// Direction is which way a scaling decision goes.
type Direction string

// Directions.
const (
	ScaleOut Direction = "out"
	ScaleIn  Direction = "in"
)

// ScalingDecision: a scaling policy changed the desired count, with the
// numbers that led to it.
type ScalingDecision struct {
	Direction Direction `json:"direction"`
	// From is the desired count when the policy ran; To the count it set
	// (for a held decision, the count it asked for).
	From   int    `json:"from"`
	To     int    `json:"to"`
	Policy string `json:"policy"`
	// Metric is the policy's metric; "aws" for a scaling activity
	// Application Auto Scaling reported (ECS target).
	Metric string `json:"metric"`
	// Evaluation is the alarm's numbers; nil for a scaling activity AWS
	// reported, which gives none.
	*Evaluation
	// Formula is the arithmetic and its result, e.g. "ceil(2 x 87.5 / 60)
	// = 3", or the activity's description.
	Formula string `json:"formula"`
	// Note explains what the formula alone does not (the cooldown's base,
	// the step that applied; the activity's cause).
	Note string `json:"note,omitempty"`
}

// Evaluation is what a policy of lab's autoscaler evaluated: the alarm's
// window and its target, in the metric's unit.
type Evaluation struct {
	Unit       string    `json:"unit"`       // e.g. "%", "ms"
	Datapoints []float64 `json:"datapoints"` // oldest first; the last is the one the formula used
	Target     float64   `json:"target"`     // target tracking's target, or step scaling's threshold
}

// ScalingHeld: a decision a policy would have made, held back for Reason
// (cooldown, min, max, band, rounding, policies, no_step).
type ScalingHeld struct {
	ScalingDecision
	Reason string `json:"reason"`
}

// Action: a command ran, scheduled by the scenario or from the TUI.
type Action struct {
	Name string `json:"name"` // scale, resize, kill_task, pause or resume
	// Args is the size as a string ("512/1024") for resize, the count for
	// scale and kill_task, nil for pause and resume.
	Args any `json:"args"`
}

// ActionFailed: a command, or a target's own operation (e.g. the ECS
// target's "observe"), failed.
type ActionFailed struct {
	Name  string `json:"name"`
	Error string `json:"error"`
}

// ServiceEvent: a message of the ECS service's event log (ECS target);
// locally, a task agent's problem after its start.
type ServiceEvent struct {
	Message string `json:"message"`
}

// GeneratorLost: one of the load's generators (load.generators) ended
// before its load was over; from Second on its share was not sent, and
// the summary lists those seconds as under-sent.
type GeneratorLost struct {
	Generator int    `json:"generator"` // from 0
	Second    int    `json:"second"`    // the first second of load it reported nothing of
	Reason    string `json:"reason"`    // e.g. "exited with code 137"
}

// GeneratorLate: one of the load's generators began after the common
// start (a Fargate task that came up late); it sent nothing of the
// seconds before Second, rather than all of it at once, and the summary
// lists them as under-sent.
type GeneratorLate struct {
	Generator int     `json:"generator"` // from 0
	Second    int     `json:"second"`    // the first second of load it sent in
	LateMS    float64 `json:"late_ms"`   // how long after the common start it was ready
}

// UnknownEvent is an event of a type this lab does not know, with its
// fields as read.
type UnknownEvent struct {
	Type   string
	Fields map[string]any
}

// MarshalJSON writes the fields.
func (u UnknownEvent) MarshalJSON() ([]byte, error) {
	if u.Fields == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(u.Fields)
}

func (EntryStarted) EventType() string     { return EventEntryStarted }
func (EntryDone) EventType() string        { return EventEntryDone }
func (PhaseStarted) EventType() string     { return EventPhaseStarted }
func (TaskStarted) EventType() string      { return EventTaskStarted }
func (TaskStopped) EventType() string      { return EventTaskStopped }
func (HealthChanged) EventType() string    { return EventHealthChanged }
func (TaskStartFailed) EventType() string  { return EventTaskStartFailed }
func (ScalingDecision) EventType() string  { return EventScalingDecision }
func (ScalingHeld) EventType() string      { return EventScalingHeld }
func (Action) EventType() string           { return EventAction }
func (ActionFailed) EventType() string     { return EventActionFailed }
func (ThresholdOutcome) EventType() string { return EventThreshold }
func (ServiceEvent) EventType() string     { return EventServiceEvent }
func (GeneratorLost) EventType() string    { return EventGeneratorLost }
func (GeneratorLate) EventType() string    { return EventGeneratorLate }
func (TaskProvisioning) EventType() string { return EventTaskProvisioning }
func (u UnknownEvent) EventType() string   { return u.Type }
func (ContainerStarted) EventType() string { return EventContainerStarted }
func (ContainerStopped) EventType() string { return EventContainerStopped }
func (ContainerHealth) EventType() string  { return EventContainerHealth }

func (EntryStarted) eventData()     {}
func (EntryDone) eventData()        {}
func (PhaseStarted) eventData()     {}
func (TaskStarted) eventData()      {}
func (TaskStopped) eventData()      {}
func (HealthChanged) eventData()    {}
func (TaskStartFailed) eventData()  {}
func (ScalingDecision) eventData()  {}
func (Action) eventData()           {}
func (ActionFailed) eventData()     {}
func (ThresholdOutcome) eventData() {}
func (ServiceEvent) eventData()     {}
func (GeneratorLost) eventData()    {}
func (GeneratorLate) eventData()    {}
func (TaskProvisioning) eventData() {}
func (UnknownEvent) eventData()     {}
func (ContainerStarted) eventData() {}
func (ContainerStopped) eventData() {}
func (ContainerHealth) eventData()  {}

// decoders read each known type's fields from an events.jsonl line.
var decoders = map[string]func([]byte) (EventData, error){
	EventEntryStarted:     decodeData[EntryStarted],
	EventEntryDone:        decodeData[EntryDone],
	EventPhaseStarted:     decodeData[PhaseStarted],
	EventTaskStarted:      decodeData[TaskStarted],
	EventTaskStopped:      decodeData[TaskStopped],
	EventHealthChanged:    decodeData[HealthChanged],
	EventTaskStartFailed:  decodeData[TaskStartFailed],
	EventScalingDecision:  decodeData[ScalingDecision],
	EventScalingHeld:      decodeData[ScalingHeld],
	EventAction:           decodeData[Action],
	EventActionFailed:     decodeData[ActionFailed],
	EventThreshold:        decodeData[ThresholdOutcome],
	EventServiceEvent:     decodeData[ServiceEvent],
	EventContainerStarted: decodeData[ContainerStarted],
	EventContainerStopped: decodeData[ContainerStopped],
	EventContainerHealth:  decodeData[ContainerHealth],
	EventGeneratorLost:    decodeData[GeneratorLost],
	EventGeneratorLate:    decodeData[GeneratorLate],
	EventTaskProvisioning: decodeData[TaskProvisioning],
}

func decodeData[T EventData](line []byte) (EventData, error) {
	var d T
	err := json.Unmarshal(line, &d)
	return d, err
}

// commonFields are the fields every event has, which the run stamps.
var commonFields = []string{"t", "time", "entry", "type"}

// MarshalJSON writes the event as events.jsonl has it: one flat object of
// the common fields t, time, entry and type and the type's own, keys in
// sorted order.
func (e Event) MarshalJSON() ([]byte, error) {
	fields := map[string]json.RawMessage{}
	if e.Data != nil {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", e.Type(), err)
		}
		if err := json.Unmarshal(data, &fields); err != nil {
			return nil, fmt.Errorf("event %s: fields: %w", e.Type(), err)
		}
	}
	for k, v := range map[string]any{
		"t":     round(e.T, 3),
		"time":  e.Time.UTC().Format(time.RFC3339Nano),
		"entry": e.Entry,
		"type":  e.Type(),
	} {
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("event %s: %s: %w", e.Type(), k, err)
		}
		fields[k] = data
	}
	return json.Marshal(fields)
}

// UnmarshalJSON reads an events.jsonl line: the common fields, and the
// rest into the type's Go type (UnknownEvent for a type this lab does not
// know). Fields a type does not have are ignored; missing ones are zero.
func (e *Event) UnmarshalJSON(line []byte) error {
	var common struct {
		T     float64 `json:"t"`
		Time  *string `json:"time"`
		Entry int     `json:"entry"`
		Type  string  `json:"type"`
	}
	if err := json.Unmarshal(line, &common); err != nil {
		return err
	}
	if common.Type == "" {
		return errors.New("event without a type")
	}
	*e = Event{T: common.T, Entry: common.Entry}
	if common.Time != nil {
		t, err := time.Parse(time.RFC3339Nano, *common.Time)
		if err != nil {
			return fmt.Errorf("time: %w", err)
		}
		e.Time = t
	}
	decode, ok := decoders[common.Type]
	if !ok {
		decode = func(line []byte) (EventData, error) {
			u := UnknownEvent{Type: common.Type}
			err := json.Unmarshal(line, &u.Fields)
			for _, k := range commonFields {
				delete(u.Fields, k)
			}
			return u, err
		}
	}
	d, err := decode(line)
	if err != nil {
		return fmt.Errorf("%s: %w", common.Type, err)
	}
	e.Data = d
	return nil
}

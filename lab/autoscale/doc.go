// Package autoscale is Application Auto Scaling for an ECS service's
// desired count, as a pure state machine: the run feeds it one Sample a
// second and applies the Decisions it returns. It owns no clock, starts no
// goroutine and never sleeps; time is what the samples say, so a table
// test drives it with a scripted metric stream.
//
// # What it emulates
//
//   - CloudWatch datapoints: the per-second samples are averaged over each
//     metric period (scenario metric_period, 60s on AWS), aligned to the
//     time given to New. A period without usable samples is a missing
//     datapoint, and an alarm whose window holds a missing datapoint does
//     not fire (INSUFFICIENT_DATA: no action).
//   - Target tracking on cpu and memory (ECSServiceAverage*Utilization,
//     percent of the envelope), requests_per_target (ALBRequestCountPerTarget,
//     requests per target per minute) and response_time (ALB
//     TargetResponseTime, average, in milliseconds), with its two managed
//     alarms: high when the last high_datapoints (3) datapoints are all above
//     the target, low when the last low_datapoints (15) are all below 90% of
//     it (the AlarmLow threshold AWS creates: "more than 10% below").
//   - Proportional capacity: desired = ceil(current x metric / target) in
//     both directions, where metric is the alarm window's last datapoint
//     (AWS does not say which value it uses; the newest one is what
//     "scales out as fast as it can" needs, where the window's average
//     would lag a rising metric). Scale-out rounds the capacity up; for
//     scale-in the same expression equals current - floor(current -
//     current x metric / target), i.e. the amount removed is rounded down.
//   - Cooldowns (scenario values, 300s on ECS): during a scale-out cooldown
//     the capacity already added counts toward the next scale-out (the
//     need is computed from the capacity the cooldown started from, and
//     only a larger need scales out); a scale-in cooldown blocks scale-in;
//     a scale-out ends the scale-in cooldown.
//   - Min and max capacity, disable_scale_in, several policies: scale out
//     if any policy says so (to the largest proposal); target tracking
//     scales in only if every target tracking policy with scale-in enabled
//     is ready to (to the largest, most conservative proposal). A step
//     scale-in is not blocked by target tracking policies, as AWS
//     documents ("if the step scaling policy initiates a scale-in activity
//     before the target tracking policy is ready to scale in, the
//     scale-in activity will not be blocked").
//   - Step scaling: an alarm "metric comparison threshold" on datapoints
//     consecutive datapoints; step bounds relative to the threshold, each
//     inclusive on the side nearer the threshold; change_in_capacity,
//     exact_capacity, percent_change_in_capacity with
//     min_adjustment_magnitude and AWS's rounding; one cooldown for both
//     directions with the same interplay as above.
//   - Alarms that stay in ALARM: CloudWatch re-invokes Auto Scaling actions
//     every minute while an alarm remains in ALARM (the exception to "actions
//     only on state changes"). Here the policies are evaluated at the end of
//     every metric period, so after an action the alarm needs no fresh
//     datapoints to act again: once the cooldown allows it, the next
//     evaluation whose window still breaches scales again.
//
// # What it does not emulate
//
// Scheduled scaling and predictive scaling; CloudWatch's look-back over a
// longer evaluation range when datapoints are missing (here a missing
// datapoint simply keeps the alarm from firing until the window is full of
// present datapoints again); custom metric math; the suspension of
// scale-in during ECS deployments; and the time AWS takes between an
// alarm and the scaling activity (a decision applies at the end of the
// period that caused it).
//
// # Decisions
//
// Policies are evaluated at the end of every metric period, with the
// service's desired count as the current capacity (Sample.Desired, as
// Application Auto Scaling reads the service's desired count). An
// evaluation that changes the count returns one applied Decision; one
// that changes nothing returns the held Decisions of the policies whose
// alarm was in ALARM, with the reason (cooldown, min, max, rounding,
// policies, no_step) and the same numbers: the alarm's datapoints, the
// target or threshold, the formula and its result. Because an alarm in
// ALARM is re-evaluated every period, a hold repeats every period while
// it lasts (at max, for instance). The band (below the target but within
// 10% of it) raises no alarm on AWS; it is reported once each time the
// low window enters it. Package lab writes each decision to events.jsonl
// as a scaling_decision or scaling_held event.
//
// Cooldowns are measured from the last scaling activity on the service,
// whichever policy caused it, each policy with its own lengths; a
// scale-out cooldown does not block scale-in (AWS documents no such
// interplay; target tracking's 15 low datapoints keep it from mattering).
package autoscale

package main

import (
	"bufio"
	"context"
	"errors"
	"os"

	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ecslab/lab/lab"
	"github.com/mattn/go-isatty"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/scenarios"
)

func newECSCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ecs",
		Short: "Set up, remove, and push images for scenarios on Amazon ECS",
		Long: `The ecs commands act on Amazon ECS with the standard AWS configuration
(environment, profiles, SSO; AWS_ENDPOINT_URL for an emulator). Settings
come from the scenario's ecs: section and --ecs FILE (the file wins).

lab keeps what it created per scenario, owner and region in a state file
under $XDG_STATE_HOME/lab/ecs (or $LAB_STATE_DIR), and tags every resource
lab.scenario=<name> and lab.owner=<suffix> (from your AWS identity, or
name_suffix), so that down finds it even without that file, and never
removes what another scenario or person created.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newECSUpCommand(), newECSDownCommand(), newECSPushCmd(), newECSPolicyCommand())
	return cmd
}

// What the ECS verbs and lab run --target ecs share: settings, the
// connection, and the plan.

// ecsSettings resolves the scenario and its merged ECS settings.
func ecsSettings(ctx context.Context, arg, settingsFile string) (*scenarios.Scenario, *scenarios.ECS, error) {
	sc, err := loadScenario(ctx, arg)
	if err != nil {
		return nil, nil, err
	}
	set, err := mergedSettings(sc, settingsFile)
	if err != nil {
		return nil, nil, err
	}
	return sc, set, nil
}

// mergedSettings are the scenario's ECS settings with those of
// settingsFile, when given, over them.
func mergedSettings(sc *scenarios.Scenario, settingsFile string) (*scenarios.ECS, error) {
	var file *scenarios.ECS
	if settingsFile != "" {
		var err error
		if file, err = ecs.LoadSettings(settingsFile); err != nil {
			return nil, err
		}
	}
	return ecs.MergeSettings(sc.ECS, file), nil
}

// ecsConnect connects with the settings' region (or the configured one)
// and fills in the settings lab derives (ecs.Resolve): the region, the
// owner suffix and, with ingress, who may reach the ALB.
func ecsConnect(ctx context.Context, set *scenarios.ECS, ingress bool) (*ecs.Clients, error) {
	c, err := ecs.Connect(ctx, set.Region)
	if err != nil {
		return nil, err
	}
	if err := ecs.Resolve(ctx, c, set, ecs.ResolveOptions{Ingress: ingress}); err != nil {
		return nil, err
	}
	return c, nil
}

// connectForPlan plans with newPlan and checks the settings before
// connecting, but for those lab derives once connected (ecs.Derived: the
// region, the owner suffix, the ALB's ingress). Connected, it plans again
// with them known, and checks that nothing is missing.
func connectForPlan(ctx context.Context, sc *scenarios.Scenario, set *scenarios.ECS, newPlan func() (*ecs.Plan, error)) (*ecs.Clients, *ecs.Plan, error) {
	plan, err := newPlan()
	if err != nil {
		return nil, nil, err
	}
	if err := missingSettings(sc, plan, ecs.Derived...); err != nil {
		return nil, nil, err
	}
	c, err := ecsConnect(ctx, set, true)
	if err != nil {
		return nil, nil, err
	}
	if plan, err = newPlan(); err != nil {
		return nil, nil, err
	}
	if err := missingSettings(sc, plan); err != nil {
		return nil, nil, err
	}
	if err := planErrors(sc, plan); err != nil {
		return nil, nil, err
	}
	return c, plan, nil
}

// missingSettings is the error for a plan with placeholders left, but
// for the fields in except.
func missingSettings(sc *scenarios.Scenario, p *ecs.Plan, except ...string) error {
	var m []string
	for _, s := range p.Missing() {
		field, _, _ := strings.Cut(s, ":")
		if !slices.Contains(except, field) {
			m = append(m, s)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return usageError{fmt.Errorf("%s: ECS settings missing:\n  %s\ngive them in the scenario's ecs: section or with --ecs FILE; `lab run %s --target ecs --dry-run` shows the plan",
		sc.Source, strings.Join(m, "\n  "), sc.Source)}
}

// printECSPlan prints the ECS API calls a run on ECS would make, with
// placeholders for settings not given. It needs neither credentials nor
// network.
func printECSPlan(w io.Writer, sc *scenarios.Scenario, settingsFile string) error {
	set, err := mergedSettings(sc, settingsFile)
	if err != nil {
		return err
	}
	plan, err := ecs.NewPlan(sc, set)
	if err != nil {
		return err
	}
	if err := plan.Print(w); err != nil {
		return err
	}
	return planErrors(sc, plan)
}

// planErrors is the error for a plan that cannot be applied as it is.
func planErrors(sc *scenarios.Scenario, p *ecs.Plan) error {
	if len(p.Errors) == 0 {
		return nil
	}
	return usageError{fmt.Errorf("%s cannot run on ECS as it is:\n  %s", sc.Source, strings.Join(p.Errors, "\n  "))}
}

// confirmInput is where confirmCost reads its answer, and whether that is
// a terminal (a person to ask): the standard input. Tests replace it.
var confirmInput = func() (in io.Reader, terminal bool) {
	return os.Stdin, isatty.IsTerminal(os.Stdin.Fd())
}

// confirmCost prints what the run is estimated to cost, before anything
// billable exists, and on a terminal asks to go ahead unless yes.
func confirmCost(stderr io.Writer, what string, est lab.CostEstimate, yes bool) error {
	fmt.Fprintf(stderr, "lab: ecs: %s creates resources AWS bills; estimated cost:\n", what)
	if err := ecs.PrintEstimate(stderr, est); err != nil {
		return err
	}
	if yes {
		return nil
	}
	in, terminal := confirmInput()
	if !terminal {
		return nil
	}
	fmt.Fprint(stderr, "go ahead? [y/N] ")
	answer, _ := bufio.NewReader(in).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return errors.New("not confirmed: nothing was created on AWS (--yes skips the question)")
	}
	return nil
}

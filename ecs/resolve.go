package ecs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecslab/lab/scenarios"
)

// CheckIPURL is where lab asks for the caller's public IPv4 address, to
// let it (alone) reach the ALB: AWS's own service. LAB_CHECKIP_URL
// replaces it (tests).
const CheckIPURL = "https://checkip.amazonaws.com"

// ResolveOptions say which derived settings Resolve finds.
type ResolveOptions struct {
	// Ingress finds who may reach lab's ALB (the caller's public
	// address), when the settings do not say and lab makes the ALB's
	// security group: `lab ecs up` and `lab run` need it, `down` does
	// not.
	Ingress bool
}

// Resolve fills in the settings lab derives once it is connected (see
// Derived): the region (the clients'), the name suffix (from the
// caller's identity, STS GetCallerIdentity) and, with o.Ingress, the
// ALB's ingress range (the caller's public address, /32).
func Resolve(ctx context.Context, c *Clients, set *scenarios.ECS, o ResolveOptions) error {
	set.Region = or(set.Region, c.Region)
	if set.NameSuffix == "" {
		id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return fmt.Errorf("who am I (for the owner suffix of lab's names): %w; or set ecs.name_suffix", Explain(err))
		}
		set.NameSuffix = OwnerSuffix(aws.ToString(id.Arn))
	}
	needIngress := o.Ingress && len(set.SecurityGroups) == 0 && set.TargetGroupARN == "" && !set.Internal && len(set.ALBIngressCIDRs) == 0
	if needIngress {
		cidr, err := callerCIDR(ctx)
		if err != nil {
			return err
		}
		set.ALBIngressCIDRs = []string{cidr}
	}
	return nil
}

// callerCIDR asks CheckIPURL for this machine's public IPv4 address and
// returns it as a /32.
func callerCIDR(ctx context.Context) (string, error) {
	url := or(os.Getenv("LAB_CHECKIP_URL"), CheckIPURL)
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("find this machine's public address for the ALB's security group (%s): %s; set ecs.alb_ingress_cidrs to the addresses the load comes from", url, why)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(err.Error())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(err.Error())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err != nil {
		return fail(err.Error())
	}
	if resp.StatusCode != http.StatusOK {
		return fail(resp.Status)
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(string(body)))
	if err != nil || !addr.Is4() {
		return fail(fmt.Sprintf("the answer %q is not an IPv4 address", strings.TrimSpace(string(body))))
	}
	return addr.String() + "/32", nil
}

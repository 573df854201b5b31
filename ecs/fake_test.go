package ecs

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/ecslab/lab/scenarios"
)

// The unit layer: a fake endpoint speaking the services' wire protocols
// (JSON 1.1 with X-Amz-Target for ECS, Application Auto Scaling and
// CloudWatch Logs; Query with XML answers for ELBv2 and EC2), so that the
// real SDK clients, with their retries, serializers and error parsing,
// meet the AWS errors lab must explain.

// reply is the fake's answer to one call: an error code and message, or
// a success body (JSON for JSON services, the inner XML of
// <OpResult> for Query ones).
type reply struct {
	code, message string
	status        int
	body          string
	cbor          cbor.Value // CloudWatch's answer (Smithy RPC v2 CBOR)
	// echo appends the request's headers and body to message, as a
	// proxy's error page or a careless service would.
	echo bool
}

type call struct {
	op   string
	body string
}

type fakeAWS struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []call
	answer func(op string, n int) reply // n: how many calls of op before this one
}

const (
	fakeSecret = "fake-secret-Xq81vLmb0T"
	// The session token travels in a header (X-Amz-Security-Token).
	fakeSessionToken = "fake-session-token-Pz93kQw"
)

func newFakeAWS(t *testing.T, answer func(op string, n int) reply) (*fakeAWS, *Clients) {
	f := &fakeAWS{t: t, answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFAKE", fakeSecret, fakeSessionToken),
		BaseEndpoint: aws.String(f.srv.URL),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 4
				o.MaxBackoff = time.Millisecond
				o.RateLimiter = noRateLimit{}
			})
		},
	}
	return f, NewClients(cfg)
}

// noRateLimit lets the fake's tests retry as often as they like.
type noRateLimit struct{}

func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRateLimit) AddTokens(uint) error { return nil }

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op, jsonProto, cborProto := "", false, false
	if _, after, ok := strings.Cut(r.URL.Path, "/operation/"); ok {
		op, cborProto = after, true
	} else if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, op, _ = strings.Cut(target, ".")
		jsonProto = true
	} else if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
		op = form.Get("Action")
	} else {
		f.t.Errorf("fake AWS: cannot tell the operation of %s %s", r.Method, r.URL)
		w.WriteHeader(500)
		return
	}
	f.mu.Lock()
	n := 0
	for _, c := range f.calls {
		if c.op == op {
			n++
		}
	}
	f.calls = append(f.calls, call{op, string(body)})
	f.mu.Unlock()

	rep := f.answer(op, n)
	if rep.echo {
		rep.message += " (request: " + echoRequest(r, body) + ")"
	}
	switch {
	case cborProto:
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		if rep.code != "" {
			w.WriteHeader(orInt(rep.status, 400))
			w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(rep.code), "message": cbor.String(rep.message)}))
			return
		}
		if rep.cbor == nil {
			rep.cbor = cbor.Map{}
		}
		w.Write(cbor.Encode(rep.cbor))
	case rep.code != "" && jsonProto:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(orInt(rep.status, 400))
		json.NewEncoder(w).Encode(map[string]string{"__type": rep.code, "message": rep.message})
	case rep.code != "":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(orInt(rep.status, 400))
		var msg strings.Builder
		xml.EscapeText(&msg, []byte(rep.message))
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r1</RequestId></ErrorResponse>`, rep.code, msg.String())
	case jsonProto:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, or(rep.body, "{}"))
	case strings.Contains(r.Header.Get("Authorization"), "/ec2/aws4_request"):
		// EC2's protocol has no Result element.
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse>%s<requestId>r1</requestId></%sResponse>`, op, rep.body, op)
	default:
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse><%sResult>%s</%sResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></%sResponse>`, op, op, rep.body, op, op)
	}
}

// echoRequest is the request's headers and body on one line.
func echoRequest(r *http.Request, body []byte) string {
	var b strings.Builder
	for k, vs := range r.Header {
		fmt.Fprintf(&b, "%s: %s; ", k, strings.Join(vs, ","))
	}
	b.WriteString("body: ")
	b.Write(body)
	return strings.ReplaceAll(b.String(), "\n", " ")
}

func orInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func (f *fakeAWS) bodies(op string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if c.op == op {
			out = append(out, c.body)
		}
	}
	return out
}

// happy answers every call of a plan's apply the way AWS does when
// nothing exists yet.
func happy(op string) reply {
	switch op {
	case "DescribeClusters":
		return reply{body: `{"clusters":[],"failures":[{"arn":"lab","reason":"MISSING"}]}`}
	case "DescribeSubnets":
		return reply{body: `<subnetSet><item><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId><availabilityZone>us-east-1a</availabilityZone></item>` +
			`<item><subnetId>subnet-2</subnetId><vpcId>vpc-1</vpcId><availabilityZone>us-east-1b</availabilityZone></item></subnetSet>`}
	case "DescribeVpcEndpoints":
		return reply{body: `<vpcEndpointSet/>`}
	case "DescribeRouteTables": // the VPC's main table: public subnets
		return reply{body: `<routeTableSet><item><routeTableId>rtb-1</routeTableId><associationSet><item><main>true</main></item></associationSet>` +
			`<routeSet><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId></item>` +
			`<item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>igw-1</gatewayId></item></routeSet></item></routeTableSet>`}
	case "DescribeTags": // every ELB resource is the test owner's
		return reply{body: `<TagDescriptions><member><Tags>` + elbTagsXML(NewNames("cpu-vertical", "alice"), "x") + `</Tags></member></TagDescriptions>`}
	case "DescribeLoadBalancers":
		return reply{code: "LoadBalancerNotFound", message: "not found"}
	case "DescribeTargetGroups":
		return reply{code: "TargetGroupNotFound", message: "not found"}
	case "CreateLoadBalancer":
		return reply{body: `<LoadBalancers><member><LoadBalancerArn>arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/lab-x/abc</LoadBalancerArn><DNSName>lab-x.elb.example</DNSName></member></LoadBalancers>`}
	case "CreateTargetGroup":
		return reply{body: `<TargetGroups><member><TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lab-x/def</TargetGroupArn></member></TargetGroups>`}
	case "DescribeListeners":
		return reply{body: `<Listeners></Listeners>`}
	case "CreateListener":
		return reply{body: `<Listeners><member><ListenerArn>arn:listener</ListenerArn><Port>80</Port></member></Listeners>`}
	case "RegisterTaskDefinition":
		return reply{body: `{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/lab-cpu-vertical:1","revision":1}}`}
	case "DescribeServices":
		return reply{body: `{"services":[],"failures":[]}`}
	case "CreateService", "UpdateService":
		return reply{body: `{"service":{"serviceArn":"arn:aws:ecs:us-east-1:1:service/lab/lab-cpu-vertical"}}`}
	}
	return reply{}
}

// applyWith applies the first entry of cpu-vertical against the fake,
// with the given answers for some operations and happy ones otherwise.
func applyWith(t *testing.T, special map[string]func(n int) reply) (*fakeAWS, *State, error) {
	t.Helper()
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	f, c := newFakeAWS(t, func(op string, n int) reply {
		if h := special[op]; h != nil {
			return h(n)
		}
		return happy(op)
	})
	plan := mustPlan(t, builtin(t, "cpu-vertical"), &scenarios.ECS{
		Region: "us-east-1", Cluster: "lab", Subnets: []string{"subnet-1", "subnet-2"}, SecurityGroups: []string{"sg-1"},
		Image: "img:1", ExecutionRoleARN: "arn:aws:iam::1:role/exec", NameSuffix: "alice",
	})
	st, ap := newApplier(t, c, plan)
	return f, st, ap.ApplyEntry(context.Background(), 0)
}

// newApplier loads the state of plan's scenario in c's region, as lab
// does, and prepares to apply plan into it.
func newApplier(t *testing.T, c *Clients, plan *Plan) (*State, *Applier) {
	t.Helper()
	st, err := LoadState(c.Region, plan.Names)
	if err != nil {
		t.Fatal(err)
	}
	ap, err := NewApplier(c, plan, st)
	if err != nil {
		t.Fatal(err)
	}
	return st, ap
}

func TestApplyAgainstFakeAWS(t *testing.T) {
	f, st, err := applyWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	// References were filled from the responses.
	svc := f.bodies("CreateService")
	if len(svc) != 1 || !strings.Contains(svc[0], `"taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition/lab-cpu-vertical:1"`) ||
		!strings.Contains(svc[0], `"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lab-x/def"`) {
		t.Errorf("CreateService body: %v", svc)
	}
	tg := f.bodies("CreateTargetGroup")
	if len(tg) != 1 || !strings.Contains(tg[0], "VpcId=vpc-1") {
		t.Errorf("CreateTargetGroup body: %v", tg)
	}
	if !st.ClusterCreated || st.LoadBalancerARN == "" || st.TargetGroupARN == "" || len(st.TaskDefinitions) != 1 || st.ServiceARN == "" {
		t.Errorf("state: %+v", st)
	}
}

// A throttled call is retried with backoff, and a retried CreateService
// carries the same client token each time, so AWS cannot create it twice.
func TestThrottledCreateIsRetriedIdempotently(t *testing.T) {
	f, _, err := applyWith(t, map[string]func(int) reply{
		"CreateService": func(n int) reply {
			if n < 2 {
				return reply{code: "ThrottlingException", message: "Rate exceeded"}
			}
			return happy("CreateService")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	bodies := f.bodies("CreateService")
	if len(bodies) != 3 {
		t.Fatalf("CreateService sent %d times, want 3 (2 throttled)", len(bodies))
	}
	token := func(b string) string {
		var in struct{ ClientToken string }
		json.Unmarshal([]byte(b), &in)
		return in.ClientToken
	}
	if token(bodies[0]) == "" || token(bodies[0]) != token(bodies[1]) || token(bodies[1]) != token(bodies[2]) {
		t.Errorf("client tokens differ across retries: %q %q %q", token(bodies[0]), token(bodies[1]), token(bodies[2]))
	}
}

// Each AWS failure becomes one line that names the call and says what to
// do, and no line carries the secret key.
func TestAWSErrorsAreExplained(t *testing.T) {
	cases := []struct {
		name, op string
		rep      reply
		want     []string
	}{
		{"access denied", "CreateLoadBalancer", reply{code: "AccessDenied", message: "User: arn:aws:iam::1:user/u is not authorized to perform: elasticloadbalancing:CreateLoadBalancer"},
			[]string{"elasticloadbalancing:CreateLoadBalancer", "access denied", "grant it"}},
		{"throttled for good", "RegisterTaskDefinition", reply{code: "ThrottlingException", message: "Rate exceeded"},
			[]string{"ecs:RegisterTaskDefinition", "kept throttling", "wait a minute"}},
		{"fargate size", "RegisterTaskDefinition", reply{code: "ClientException", message: "No Fargate configuration exists for given values: 256 CPU, 4096 memory."},
			[]string{"Fargate does not accept this cpu/memory pair", "lab sizes"}},
		{"quota", "CreateCluster", reply{code: "LimitExceededException", message: "Limit of clusters reached"},
			[]string{"quota", "Service Quotas"}},
		{"elb quota", "CreateTargetGroup", reply{code: "TooManyTargetGroups", message: "You have reached the maximum number of target groups"},
			[]string{"elasticloadbalancing:CreateTargetGroup", "quota"}},
		{"expired", "CreateLogGroup", reply{code: "ExpiredTokenException", message: "The security token included in the request is expired"},
			[]string{"logs:CreateLogGroup", "expired", "aws sso login"}},
		{"bad key", "DescribeClusters", reply{code: "UnrecognizedClientException", message: "The security token included in the request is invalid."},
			[]string{"rejected the credentials"}},
		// An endpoint that echoes the request (the session token is in
		// a header) and, carelessly, the secret key.
		{"echoing endpoint", "CreateCluster", reply{code: "ValidationException", message: "bad request signed with " + fakeSecret, echo: true},
			[]string{"ValidationException", "bad request signed with <redacted>", "X-Amz-Security-Token: <redacted>"}},
		{"echoing endpoint, query protocol", "CreateTargetGroup", reply{code: "ValidationError", message: "key " + fakeSecret, echo: true},
			[]string{"ValidationError", "key <redacted>", "X-Amz-Security-Token: <redacted>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := applyWith(t, map[string]func(int) reply{tc.op: func(int) reply { return tc.rep }})
			if err == nil {
				t.Fatal("apply succeeded")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if strings.Contains(msg, fakeSecret) || strings.Contains(msg, fakeSessionToken) {
				t.Errorf("error carries a credential: %q", msg)
			}
		})
	}
}

// nothingListed answers down's look-ups (JSON services) with empty lists;
// a test answers the calls it is about itself.
var nothingListed = map[string]string{
	"DescribeScalingPolicies": `{"ScalingPolicies":[]}`,
	"DescribeScalableTargets": `{"ScalableTargets":[]}`,
	"DescribeServices":        `{"services":[]}`,
	"ListTaskDefinitions":     `{"taskDefinitionArns":[]}`,
	"DescribeLogGroups":       `{"logGroups":[]}`,
	"DescribeClusters":        `{"clusters":[]}`,
}

// A failure half-way leaves a saved state naming what exists, and down
// removes it from there.
func TestFailedApplyThenDownFromState(t *testing.T) {
	f, st, err := applyWith(t, map[string]func(int) reply{
		"CreateService": func(int) reply {
			return reply{code: "InvalidParameterException", message: "subnets are in different VPCs"}
		},
	})
	if err == nil || !strings.Contains(err.Error(), "step") || !strings.Contains(err.Error(), "CreateService") {
		t.Fatalf("apply error: %v", err)
	}
	saved, _ := LoadState("us-east-1", NewNames("cpu-vertical", "alice"))
	if saved.LoadBalancerARN == "" || saved.TargetGroupARN == "" || len(saved.TaskDefinitions) != 1 || saved.ServiceARN != "" {
		t.Fatalf("saved state after a failed CreateService: %+v", saved)
	}

	alice := NewNames("cpu-vertical", "alice")
	f.answer = func(op string, n int) reply {
		switch op {
		case "DescribeListeners":
			return reply{body: `<Listeners><member><ListenerArn>arn:listener</ListenerArn><Port>80</Port></member></Listeners>`}
		case "DescribeTags":
			return happy(op)
		case "DeleteTargetGroup":
			if n == 0 {
				return reply{code: "ResourceInUse", message: "Target group is currently in use by a listener or a rule"}
			}
		case "DescribeTaskDefinition":
			return reply{body: `{"taskDefinition":{"status":"ACTIVE"},"tags":` + ecsTagsJSON(alice, "task-definition") + `}`}
		case "DescribeLogGroups":
			return reply{body: `{"logGroups":[{"logGroupName":"` + alice.LogGroup() + `"}]}`}
		case "ListTagsLogGroup":
			return reply{body: `{"tags":{"lab.managed-by":"lab","lab.scenario":"cpu-vertical","lab.owner":"alice"}}`}
		case "DescribeClusters":
			return reply{body: `{"clusters":[{"clusterName":"lab","status":"ACTIVE","tags":` + ecsTagsJSON(alice, "cluster") + `}]}`}
		}
		return reply{body: nothingListed[op]}
	}
	d := &Teardown{Names: alice, Cluster: "lab", State: st, Poll: time.Millisecond, DeleteLogs: true}
	if err := d.Down(context.Background(), clientsFor(f)); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"DeleteListener", "DeleteLoadBalancer", "DeregisterTaskDefinition", "DeleteTaskDefinitions", "DeleteLogGroup", "DeleteCluster"} {
		if len(f.bodies(op)) != 1 {
			t.Errorf("%s sent %d times, want 1", op, len(f.bodies(op)))
		}
	}
	if n := len(f.bodies("DeleteTargetGroup")); n != 2 {
		t.Errorf("DeleteTargetGroup sent %d times, want 2 (in use, then gone)", n)
	}
	if again, _ := LoadState("us-east-1", alice); !again.Empty() {
		t.Errorf("state after down: %+v", again)
	}
}

// Without a state, down finds the resources by the scenario's and owner's
// names and removes only what the tags say is theirs: here the load
// balancer is, and the target group, the service, a task definition, the
// log group, the security group and the cluster are another owner's.
func TestDownRemovesOnlyWhatIsTaggedAsOurs(t *testing.T) {
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	alice, bob := NewNames("cpu-vertical", "alice"), NewNames("cpu-vertical", "bob")
	const lbARN = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/lab-x/abc"
	const tgARN = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lab-x/def"
	f, c := newFakeAWS(t, func(op string, n int) reply {
		switch op {
		case "DescribeLoadBalancers":
			return reply{body: `<LoadBalancers><member><LoadBalancerArn>` + lbARN + `</LoadBalancerArn><DNSName>lab-x.example</DNSName></member></LoadBalancers>`}
		case "DescribeTargetGroups":
			return reply{body: `<TargetGroups><member><TargetGroupArn>` + tgARN + `</TargetGroupArn></member></TargetGroups>`}
		case "DescribeTags": // the load balancer first: alice's; then the target group: bob's
			owner := map[bool]Names{true: alice, false: bob}[n == 0]
			return reply{body: `<TagDescriptions><member><Tags>` + elbTagsXML(owner, "x") + `</Tags></member></TagDescriptions>`}
		case "DescribeListeners":
			return reply{body: `<Listeners></Listeners>`}
		case "DescribeServices":
			return reply{body: `{"services":[{"serviceName":"` + alice.Service() + `","status":"ACTIVE","tags":` + ecsTagsJSON(bob, "service") + `}]}`}
		case "ListTaskDefinitions":
			if n == 0 {
				return reply{body: `{"taskDefinitionArns":["arn:aws:ecs:us-east-1:1:task-definition/` + alice.Family() + `:1"]}`}
			}
		case "DescribeTaskDefinition":
			return reply{body: `{"taskDefinition":{"status":"ACTIVE"},"tags":` + ecsTagsJSON(bob, "task-definition") + `}`}
		case "DescribeSecurityGroups":
			return reply{body: `<securityGroupInfo><item><groupId>sg-9</groupId><groupName>` + alice.SecurityGroup("tasks") + `</groupName><tagSet><item><key>lab.scenario</key><value>other</value></item></tagSet></item></securityGroupInfo>`}
		case "DescribeClusters":
			return reply{body: `{"clusters":[{"clusterName":"lab","status":"ACTIVE","tags":` + ecsTagsJSON(bob, "cluster") + `}]}`}
		}
		return reply{body: nothingListed[op]}
	})
	st, err := LoadState("us-east-1", alice)
	if err != nil {
		t.Fatal(err)
	}
	st.ClusterCreated = true // the state says so; the tags say otherwise
	var log []string
	d := &Teardown{Names: alice, Cluster: "lab", State: st, Poll: time.Millisecond, DeleteLogs: true, Log: func(s string) { log = append(log, s) }}
	if err := d.Down(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if del := f.bodies("DeleteLoadBalancer"); len(del) != 1 || !strings.Contains(del[0], url.QueryEscape(lbARN)) {
		t.Errorf("DeleteLoadBalancer: %v, want one call for alice's %s", del, lbARN)
	}
	for _, op := range []string{"DeleteTargetGroup", "UpdateService", "DeleteService", "DeleteScalingPolicy", "DeregisterTaskDefinition", "DeleteTaskDefinitions", "DeleteSecurityGroup", "DeleteCluster"} {
		if del := f.bodies(op); len(del) != 0 {
			t.Errorf("%s: %v, want none: it is not alice's", op, del)
		}
	}
	all := strings.Join(log, "\n")
	for _, want := range []string{
		"target group def left alone: tagged lab.scenario=cpu-vertical, lab.owner=bob, not cpu-vertical, alice",
		"service (and its scaling) " + alice.Service() + " left alone",
		"task definition " + alice.Family() + ":1 left alone",
		"security group sg-9 (" + alice.SecurityGroup("tasks") + ") left alone: not tagged as lab's",
		"cluster lab left alone",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("log does not say %q:\n%s", want, all)
		}
	}
}

// elbTagsXML is the Tags member list of a resource of n's (role), as
// ELB's DescribeTags answers it.
func elbTagsXML(n Names, role string) string {
	var b strings.Builder
	for k, v := range n.Tags(role) {
		fmt.Fprintf(&b, "<member><Key>%s</Key><Value>%s</Value></member>", k, v)
	}
	return b.String()
}

// ecsTagsJSON is a tags list of a resource of n's, as ECS answers it.
func ecsTagsJSON(n Names, role string) string {
	var parts []string
	for k, v := range n.Tags(role) {
		parts = append(parts, fmt.Sprintf(`{"key":%q,"value":%q}`, k, v))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func clientsFor(f *fakeAWS) *Clients {
	return NewClients(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKE", fakeSecret, ""),
		BaseEndpoint: aws.String(f.srv.URL),
	})
}

func TestConnectExplainsMissingRegionAndCredentials(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN": "", "AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	_, err := Connect(context.Background(), "")
	if err == nil || !strings.HasPrefix(err.Error(), "no AWS region") {
		t.Errorf("no region: %v", err)
	}
	_, err = Connect(context.Background(), "eu-west-1")
	if err == nil || !strings.HasPrefix(err.Error(), "no AWS credentials") || strings.Contains(err.Error(), "\n") {
		t.Errorf("no credentials: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", fakeSecret)
	c, err := Connect(context.Background(), "eu-west-1")
	if err != nil || c.Region != "eu-west-1" {
		t.Errorf("with credentials: %v", err)
	}
}

// The ELB client of the fake is an ELB client: a sanity check that the
// Query protocol path answers typed errors.
func TestFakeSpeaksQuery(t *testing.T) {
	_, c := newFakeAWS(t, func(op string, n int) reply { return reply{code: "LoadBalancerNotFound", message: "nope"} })
	_, err := c.ELB.DescribeLoadBalancers(context.Background(), &elb.DescribeLoadBalancersInput{Names: []string{"x"}})
	if apiCode(err) != "LoadBalancerNotFound" {
		t.Errorf("code %q from %v", apiCode(err), err)
	}
	_, err = c.ECS.DescribeClusters(context.Background(), &ecs.DescribeClustersInput{})
	if apiCode(err) != "LoadBalancerNotFound" {
		t.Errorf("JSON path: code %q from %v", apiCode(err), err)
	}
}

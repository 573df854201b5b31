// Package mototest starts moto, an AWS emulator, for integration tests
// of the ECS target, and gives them the environment that points the AWS
// SDK at it.
package mototest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// RequireEnv makes a missing moto_server fail a test instead of skipping
// it; CI sets it (the same switch as Docker's).
const RequireEnv = "LAB_REQUIRE_DOCKER"

// Region is the region tests use.
const Region = "us-east-1"

// Server is one moto_server process on 127.0.0.1.
type Server struct {
	URL string
}

// Start runs `moto_server -H 127.0.0.1 -p PORT` for the test, every ECS
// service reporting running tasks (MOTO_ECS_SERVICE_RUNNING), and stops
// it when the test ends. It skips the test when moto_server is missing
// (fails it under LAB_REQUIRE_DOCKER=1).
func Start(t testing.TB, running int) *Server {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("moto_server is required (%s=1) but not on PATH: pip install 'moto[server]'", RequireEnv)
		}
		t.Skip("moto_server not on PATH, skipping")
	}
	port := freePort(t)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_ECS_SERVICE_RUNNING="+strconv.Itoa(running))
	logPath := filepath.Join(t.TempDir(), "moto.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		killGroup(cmd)
		_ = cmd.Wait()
		logf.Close()
	})
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("moto_server did not answer within 30 s: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

// Env sets the AWS environment of the test (and of processes it starts
// with os.Environ) to the emulator: endpoint, region, fake credentials,
// no shared config files.
func (s *Server) Env(t testing.TB) {
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

// Config is an SDK configuration that talks to the emulator.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing-secret", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

// Network is a VPC with two public subnets (the main route table's
// default route goes to an internet gateway) in different zones and a
// security group, made in the emulator's EC2, as an ALB needs.
type Network struct {
	VPC            string
	Subnets        []string
	SecurityGroups []string
}

// NewNetwork creates the network the ECS settings refer to.
func (s *Server) NewNetwork(t testing.TB) Network {
	t.Helper()
	ctx := context.Background()
	c := ec2.NewFromConfig(s.Config())
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.10.0.0/16")})
	if err != nil {
		t.Fatalf("moto: create VPC: %v", err)
	}
	n := Network{VPC: aws.ToString(vpc.Vpc.VpcId)}
	for i, zone := range []string{Region + "a", Region + "b"} {
		sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.10.%d.0/24", i)), AvailabilityZone: aws.String(zone),
		})
		if err != nil {
			t.Fatalf("moto: create subnet: %v", err)
		}
		n.Subnets = append(n.Subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("lab-test"), Description: aws.String("lab test"), VpcId: vpc.Vpc.VpcId,
		TagSpecifications: []ec2types.TagSpecification{},
	})
	if err != nil {
		t.Fatalf("moto: create security group: %v", err)
	}
	n.SecurityGroups = []string{aws.ToString(sg.GroupId)}
	igw, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		t.Fatalf("moto: create internet gateway: %v", err)
	}
	if _, err := c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpc.Vpc.VpcId}); err != nil {
		t.Fatalf("moto: attach internet gateway: %v", err)
	}
	tables, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.VPC}}}})
	if err != nil || len(tables.RouteTables) == 0 {
		t.Fatalf("moto: the VPC's route table: %v", err)
	}
	if _, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{
		RouteTableId: tables.RouteTables[0].RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId,
	}); err != nil {
		t.Fatalf("moto: default route: %v", err)
	}
	return n
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

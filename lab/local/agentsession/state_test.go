package agentsession

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/lab/local/taskmeta"
)

func TestTaskStatusFollowsItsEssentialContainers(t *testing.T) {
	essential := map[string]bool{"app": true, "proxy": true}
	c := func(app, proxy, init string) []taskmeta.Container {
		return []taskmeta.Container{{Name: "app", KnownStatus: app}, {Name: "proxy", KnownStatus: proxy}, {Name: "init", KnownStatus: init}}
	}
	cases := []struct {
		cs   []taskmeta.Container
		want string
	}{
		{c(statusPulled, statusPulled, statusPulled), taskmeta.StatusPending},
		{c(taskmeta.StatusRunning, statusCreated, taskmeta.StatusStopped), taskmeta.StatusPending},
		{c(taskmeta.StatusRunning, taskmeta.StatusRunning, taskmeta.StatusStopped), taskmeta.StatusRunning}, // a non-essential one may exit
		{c(taskmeta.StatusStopped, taskmeta.StatusRunning, taskmeta.StatusRunning), taskmeta.StatusStopped},
	}
	for i, tc := range cases {
		if got := taskStatus(tc.cs, essential); got != tc.want {
			t.Errorf("case %d: %s, want %s", i, got, tc.want)
		}
	}
}

func TestApplyInspect(t *testing.T) {
	var c taskmeta.Container
	applyInspect(&c, container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{
		ID: "abc", Name: "/lab-x-t1-app", Image: "sha256:ff", Created: "2026-12-06T21:00:00.5Z",
		State: &container.State{Status: container.StateExited, ExitCode: 3, StartedAt: "2026-12-06T21:00:01Z", FinishedAt: "2026-12-06T21:00:09Z",
			Health: &container.Health{Status: container.Unhealthy, Log: []*container.HealthcheckResult{{ExitCode: 1, Output: "refused"}}}},
	}})
	if c.DockerID != "abc" || c.DockerName != "lab-x-t1-app" || c.ImageID != "sha256:ff" || c.KnownStatus != taskmeta.StatusStopped ||
		c.ExitCode == nil || *c.ExitCode != 3 || c.FinishedAt.IsZero() || c.StartedAt.IsZero() || c.CreatedAt.IsZero() {
		t.Errorf("container %+v", c)
	}
	if c.Health == nil || c.Health.Status != "UNHEALTHY" || c.Health.Output != "refused" || c.Health.Since == nil {
		t.Errorf("health %+v", c.Health)
	}
	since := c.Health.Since
	c.Health = health(&container.Health{Status: container.Unhealthy}, c.Health)
	if c.Health.Since != since {
		t.Error("Since moved while the status stayed")
	}
	var created taskmeta.Container
	applyInspect(&created, container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{
		ID: "d", State: &container.State{Status: container.StateCreated, StartedAt: "0001-01-01T00:00:00Z"}}})
	if created.KnownStatus != statusCreated || !created.StartedAt.IsZero() || created.ExitCode != nil || created.Health != nil {
		t.Errorf("created container %+v", created)
	}
}

func TestControlAddrAndInterface(t *testing.T) {
	h := container.InspectResponse{NetworkSettings: &container.NetworkSettings{
		NetworkSettingsBase: container.NetworkSettingsBase{Ports: nat.PortMap{"51680/tcp": {{HostIP: "127.0.0.1", HostPort: "40123"}}}},
		Networks:            map[string]*network.EndpointSettings{"lab-x": {IPAddress: "172.18.0.5", IPPrefixLen: 16, Gateway: "172.18.0.1", MacAddress: "02:42:ac:12:00:05"}},
	}}
	if addr, err := controlAddr(h); err != nil || addr != "127.0.0.1:40123" {
		t.Errorf("published: %s, %v", addr, err)
	}
	h.NetworkSettings.Ports = nil
	if addr, err := controlAddr(h); err != nil || addr != "172.18.0.5:51680" {
		t.Errorf("direct: %s, %v", addr, err)
	}
	n := holderInterface(h)
	if n.IPv4 != "172.18.0.5" || n.Subnet != "172.18.0.0/16" || n.Gateway != "172.18.0.1" || n.MAC == "" || n.DNS[0] != embeddedDNS {
		t.Errorf("interface %+v", n)
	}
	if _, err := controlAddr(container.InspectResponse{}); err == nil {
		t.Error("a holder without address or port")
	}
}

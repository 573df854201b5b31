package taskrole

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/mototest"
)

const roleARN = "arn:aws:iam::123456789012:role/app-task-role"

// Assuming the definition's role goes through STS: moto's STS answers
// with temporary credentials for the role.
func TestAssumeRoleThroughSTS(t *testing.T) {
	moto := mototest.Start(t, 0)
	cfg := moto.Config()
	ctx := context.Background()
	s, err := New(ctx, Options{Mode: Assume, RoleARN: roleARN, Session: "lab-run 42", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.RoleArn != roleARN || c.AccessKeyID == "" || c.AccessKeyID == "testing" || c.SecretAccessKey == "" || c.Token == "" {
		t.Errorf("assumed credentials: role %q, key %q, secret set %v, token set %v", c.RoleArn, c.AccessKeyID, c.SecretAccessKey != "", c.Token != "")
	}
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil || !exp.After(time.Now()) {
		t.Errorf("Expiration %q: %v", c.Expiration, err)
	}
}

// use-my-credentials hands out what the default chain finds, here the
// environment's keys, with an expiry although long-term keys have none.
func TestUseMyCredentialsFromTheChain(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAMINE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "PLANTED-SECRET-mine")
	t.Setenv("AWS_REGION", "us-east-1")
	ctx := context.Background()
	s, err := New(ctx, Options{Mode: UseMine, RoleARN: roleARN})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	c, err := s.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "AKIAMINE" || c.SecretAccessKey != "PLANTED-SECRET-mine" || c.Expiration != "2026-12-06T23:00:00Z" || c.RoleArn != "" {
		t.Errorf("got key %q, expiration %q", c.AccessKeyID, c.Expiration)
	}
	if strings.Contains(s.Describe(), "PLANTED") {
		t.Error("Describe names a credential")
	}
}

func TestNoCredentialsFailsTheCheckInOneLine(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := New(ctx, Options{Mode: UseMine})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "your AWS credentials") {
		t.Errorf("Check without credentials: %v", err)
	}
}

func TestAssumeNeedsARole(t *testing.T) {
	if _, err := New(context.Background(), Options{Mode: Assume}); err == nil || !strings.Contains(err.Error(), "taskRoleArn") {
		t.Errorf("assume without a role: %v", err)
	}
}

func TestParseModeAndSessionName(t *testing.T) {
	for _, s := range []string{"", "use-my-credentials", "assume"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("mine"); err == nil {
		t.Error("ParseMode accepted mine")
	}
	if got := sessionName("lab run/42"); got != "lab-run-42" {
		t.Errorf("sessionName = %q", got)
	}
	if got := sessionName(strings.Repeat("a", 80)); len(got) != 64 {
		t.Errorf("sessionName length %d", len(got))
	}
}

// isolate keeps the developer's own AWS files and variables out of a test.
func isolate(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

package ecs

import (
	"context"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// No line lab writes may carry a credential, and an endpoint may echo
// what it was sent: a proxy's error page, an emulator's message, a
// service error quoting a header. The session token travels in a header
// (X-Amz-Security-Token); the secret key never should, but a tool in the
// way may put it anywhere. So the credentials lab's clients sign with
// are remembered, and Explain replaces them in every message.

var secrets struct {
	sync.Mutex
	values map[string]bool
}

// rememberSecrets adds the secret parts of creds to what is redacted.
func rememberSecrets(creds aws.Credentials) {
	secrets.Lock()
	defer secrets.Unlock()
	if secrets.values == nil {
		secrets.values = map[string]bool{}
	}
	for _, v := range []string{creds.SecretAccessKey, creds.SessionToken} {
		if len(v) >= 8 { // shorter would redact common words
			secrets.values[v] = true
		}
	}
}

// redactSecrets replaces every remembered credential in s.
func redactSecrets(s string) string {
	secrets.Lock()
	defer secrets.Unlock()
	for v := range secrets.values {
		s = strings.ReplaceAll(s, v, "<redacted>")
	}
	return s
}

// rememberingProvider remembers the credentials it hands out.
type rememberingProvider struct{ aws.CredentialsProvider }

func (p rememberingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.CredentialsProvider.Retrieve(ctx)
	if err == nil {
		rememberSecrets(c)
	}
	return c, err
}

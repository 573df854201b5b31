package taskagent

import (
	"context"
	"time"
)

// Source gives a task role's credentials (package taskrole has the
// sources: the developer's own chain, or an assumed role).
type Source interface {
	// Credentials are the role's current credentials; their Expiration
	// is when they stop working.
	Credentials(ctx context.Context) (Credentials, error)
}

// Refresh timing: ECS's agent hands a task new credentials well before
// the old ones expire, and the SDKs refresh theirs some minutes before
// the Expiration the endpoint gave.
const (
	refreshBefore = 15 * time.Minute
	minRefresh    = 10 * time.Second
	retryAfter    = 10 * time.Second
)

// KeepCredentials pushes src's credentials to the agent, and new ones
// before they expire, until ctx ends. A failure (of the source or of
// the push) is given to onError, which must not print the credentials
// (the errors never hold them), and retried.
func KeepCredentials(ctx context.Context, u *Updater, id string, src Source, onError func(error)) {
	for {
		wait := retryAfter
		c, err := src.Credentials(ctx)
		if err == nil {
			err = u.SetCredentials(ctx, id, c)
		}
		if err == nil {
			wait = nextRefresh(c, time.Now())
		} else if ctx.Err() == nil && onError != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// nextRefresh is how long to wait before fetching credentials again:
// until refreshBefore their expiry, or half their remaining life when
// that is shorter, and never less than minRefresh.
func nextRefresh(c Credentials, now time.Time) time.Duration {
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil {
		return minRefresh
	}
	left := exp.Sub(now)
	wait := min(left-refreshBefore, left/2)
	return max(wait, minRefresh)
}

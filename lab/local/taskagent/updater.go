package taskagent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Updater is lab's side of an agent's control connection.
type Updater struct {
	base   string // http://host:port
	token  string
	client *http.Client
}

// NewUpdater talks to the agent whose control port lab reaches at addr
// (host:port), with the plan's control token.
func NewUpdater(addr, controlToken string) *Updater {
	return &Updater{base: "http://" + addr, token: controlToken, client: &http.Client{Timeout: 5 * time.Second}}
}

// Ready waits until the agent answers, or ctx ends.
func (u *Updater) Ready(ctx context.Context) error {
	var err error
	for {
		if err = u.do(ctx, http.MethodGet, PathReady, nil); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("task agent at %s: %w (last: %w)", u.base, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// SetState replaces the task's state the agent serves.
func (u *Updater) SetState(ctx context.Context, s State) error {
	return u.do(ctx, http.MethodPut, PathState, s)
}

// SetStats replaces the containers' stats the agent serves.
func (u *Updater) SetStats(ctx context.Context, s StatsUpdate) error {
	return u.do(ctx, http.MethodPut, PathStats, s)
}

// SetCredentials replaces the credentials the agent serves at the
// credentials path id.
func (u *Updater) SetCredentials(ctx context.Context, id string, c Credentials) error {
	return u.do(ctx, http.MethodPut, PathCredentials, credentialsUpdate{ID: id, Credentials: c})
}

// ClearCredentials makes the agent forget its credentials.
func (u *Updater) ClearCredentials(ctx context.Context) error {
	return u.do(ctx, http.MethodDelete, PathCredentials, nil)
}

// do sends one control request. Its errors name the path and status,
// never the body: a body may hold credentials.
func (u *Updater) do(ctx context.Context, method, path string, body any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("task agent %s: encode: %w", path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := u.client.Do(req)
	if err != nil {
		return fmt.Errorf("task agent %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("task agent %s %s: %s", method, path, resp.Status)
	}
	return nil
}

package taskagent

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/ecslab/lab/lab/local/taskmeta"
)

// Agent holds what lab last told it and answers the task's containers
// from it. The zero value is not usable: use NewAgent.
type Agent struct {
	controlToken string
	authToken    string // empty: no credentials endpoint

	mu          sync.RWMutex
	state       State
	stats       StatsUpdate
	credsID     string
	credentials *Credentials
}

// NewAgent is an agent that accepts control requests bearing
// controlToken and serves credentials to requests bearing authToken
// (none when it is empty).
func NewAgent(controlToken, authToken string) *Agent {
	return &Agent{controlToken: controlToken, authToken: authToken}
}

// maxControlBody bounds a control request: a task's stats for ten
// containers are some tens of kilobytes.
const maxControlBody = 4 << 20

// ControlHandler serves lab's control requests. Every request must bear
// the control token; a body replaces what the agent held.
func (a *Agent) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathReady, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("PUT "+PathState, func(w http.ResponseWriter, r *http.Request) {
		var s State
		if decodeBody(w, r, &s) {
			a.mu.Lock()
			a.state = s
			a.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("PUT "+PathStats, func(w http.ResponseWriter, r *http.Request) {
		var s StatsUpdate
		if decodeBody(w, r, &s) {
			a.mu.Lock()
			a.stats = s
			a.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("PUT "+PathCredentials, func(w http.ResponseWriter, r *http.Request) {
		var u credentialsUpdate
		if decodeBody(w, r, &u) {
			a.mu.Lock()
			a.credsID, a.credentials = u.ID, &u.Credentials
			a.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("DELETE "+PathCredentials, func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.credsID, a.credentials = "", nil
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bearerOK(r.Header.Get("Authorization"), a.controlToken) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// bearerOK compares a request's bearer token with want in constant time.
func bearerOK(header, want string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	return ok && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err := dec.Decode(v); err != nil {
		http.Error(w, "bad body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// EndpointHandler serves the task's containers: the metadata endpoint at
// /v4/<id> (and /v3/<id>, with the same documents) and the credentials
// endpoint at /v2/credentials/<id>.
func (a *Agent) EndpointHandler() http.Handler {
	mux := http.NewServeMux()
	for _, v := range []string{"v3", "v4"} {
		mux.HandleFunc("GET /"+v+"/{id}", a.containerMetadata)
		mux.HandleFunc("GET /"+v+"/{id}/task", a.taskMetadata)
		mux.HandleFunc("GET /"+v+"/{id}/stats", a.containerStats)
		mux.HandleFunc("GET /"+v+"/{id}/task/stats", a.taskStats)
	}
	mux.HandleFunc("GET /v2/credentials/{id}", a.serveCredentials)
	return mux
}

// container finds the container an endpoint id belongs to.
func (a *Agent) container(id string) (taskmeta.ContainerResponse, bool) {
	name, ok := a.state.Endpoints[id]
	if !ok {
		return taskmeta.ContainerResponse{}, false
	}
	for _, c := range a.state.Task.Containers {
		if c.Name == name {
			return c, true
		}
	}
	return taskmeta.ContainerResponse{}, false
}

func (a *Agent) containerMetadata(w http.ResponseWriter, r *http.Request) {
	a.mu.RLock()
	c, ok := a.container(r.PathValue("id"))
	a.mu.RUnlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, "unable to get container for endpoint id "+r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *Agent) taskMetadata(w http.ResponseWriter, r *http.Request) {
	a.mu.RLock()
	_, ok := a.container(r.PathValue("id"))
	task := a.state.Task
	a.mu.RUnlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, "unable to get task for endpoint id "+r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, task)
}

func (a *Agent) containerStats(w http.ResponseWriter, r *http.Request) {
	a.mu.RLock()
	c, ok := a.container(r.PathValue("id"))
	s, have := a.stats[c.DockerID]
	a.mu.RUnlock()
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, "unable to get container for endpoint id "+r.PathValue("id"))
	case !have:
		// ECS answers stats once a container has run for about a second.
		writeJSON(w, http.StatusServiceUnavailable, "no stats yet for container "+c.Name)
	default:
		writeJSON(w, http.StatusOK, s)
	}
}

// taskStats maps every created container's Docker ID to its stats, or
// to null while it has none, as the agent does.
func (a *Agent) taskStats(w http.ResponseWriter, r *http.Request) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if _, ok := a.container(r.PathValue("id")); !ok {
		writeJSON(w, http.StatusNotFound, "unable to get task for endpoint id "+r.PathValue("id"))
		return
	}
	out := map[string]*taskmeta.Stats{}
	for _, c := range a.state.Task.Containers {
		if c.DockerID == "" {
			continue
		}
		if s, ok := a.stats[c.DockerID]; ok {
			out[c.DockerID] = &s
		} else {
			out[c.DockerID] = nil
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// serveCredentials answers a container that presents the authorization
// token, at the path of the credentials lab pushed last.
func (a *Agent) serveCredentials(w http.ResponseWriter, r *http.Request) {
	if a.authToken == "" || subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(a.authToken)) != 1 {
		writeCredentialsError(w, http.StatusUnauthorized, "InvalidAuthorizationToken", "the Authorization header does not match AWS_CONTAINER_AUTHORIZATION_TOKEN")
		return
	}
	a.mu.RLock()
	id, c := a.credsID, a.credentials
	a.mu.RUnlock()
	if c == nil || id != r.PathValue("id") {
		writeCredentialsError(w, http.StatusNotFound, "InvalidIdParameter", "no credentials for this id")
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// writeCredentialsError writes the error shape the AWS SDKs' container
// provider reads (code and message).
func writeCredentialsError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

// writeJSON writes v as the agent does: JSON, and a JSON string for an
// error. A failed write means the container hung up; there is no one to
// tell.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`"failed to encode the response"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

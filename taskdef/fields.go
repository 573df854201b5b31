package taskdef

// treatment is what the loader does with a field the Go types do not
// carry.
type treatment int

const (
	// readOnly fields are describe-task-definition's output: ignored.
	readOnly treatment = iota
	// keptForECS fields have no local meaning and are registered on ECS
	// as they are: accepted silently.
	keptForECS
	// notEmulated fields are registered on ECS as they are; locally they
	// have no effect, which a warning says.
	notEmulated
	// refused fields cannot be honoured: an error, unless the value is
	// empty (describe prints "placementConstraints": [] and the like).
	refused
)

type rule struct {
	treatment treatment
	why       string
}

// rules says, by field pattern ("containerDefinitions[].links"), what the
// loader does with the fields of ECS's task definition that the Go types
// leave out. A field in neither is unknown: an error.
var rules = map[string]rule{
	"status":             {readOnly, ""},
	"requiresAttributes": {readOnly, ""},
	"compatibilities":    {readOnly, ""},
	"registeredAt":       {readOnly, ""},
	"registeredBy":       {readOnly, ""},
	"deregisteredAt":     {readOnly, ""},

	"requiresCompatibilities": {keptForECS, ""},
	"tags":                    {keptForECS, ""},
	"enableFaultInjection":    {keptForECS, ""},

	"placementConstraints":  {refused, "Fargate supports no placement constraints"},
	"ipcMode":               {refused, "Fargate does not support ipcMode"},
	"proxyConfiguration":    {refused, "App Mesh proxy configuration is not emulated: run the proxy as a container of the task instead"},
	"inferenceAccelerators": {refused, "Fargate has no inference accelerators"},

	"volumes[].efsVolumeConfiguration":                  {refused, "EFS volumes are not supported: lab cannot mount your file system locally; use a bind volume (a name only) shared by the containers"},
	"volumes[].dockerVolumeConfiguration":               {refused, "Fargate does not support Docker volumes: use a bind volume (a name only)"},
	"volumes[].fsxWindowsFileServerVolumeConfiguration": {refused, "FSx for Windows volumes are not supported"},
	"volumes[].configuredAtLaunch":                      {refused, "EBS volumes configured at launch are not supported"},

	"containerDefinitions[].repositoryCredentials":             {notEmulated, "not used locally (lab runs the image the daemon has); kept on ECS"},
	"containerDefinitions[].firelensConfiguration":             {notEmulated, "FireLens log routing is not emulated: the container runs, no log is routed; kept on ECS"},
	"containerDefinitions[].restartPolicy":                     {notEmulated, "container restarts are not emulated: a container that exits stays exited; kept on ECS"},
	"containerDefinitions[].systemControls":                    {notEmulated, "kernel parameters are not set locally; kept on ECS"},
	"containerDefinitions[].interactive":                       {notEmulated, "no stdin is attached locally; kept on ECS"},
	"containerDefinitions[].pseudoTerminal":                    {notEmulated, "no terminal is allocated locally; kept on ECS"},
	"containerDefinitions[].versionConsistency":                {keptForECS, ""},
	"containerDefinitions[].credentialSpecs":                   {refused, "credential specs are for Windows containers"},
	"containerDefinitions[].links":                             {refused, "links need bridge networking; in awsvpc mode containers reach each other on localhost"},
	"containerDefinitions[].hostname":                          {refused, "Fargate does not support hostname in awsvpc mode"},
	"containerDefinitions[].dnsServers":                        {refused, "Fargate does not support dnsServers in awsvpc mode"},
	"containerDefinitions[].dnsSearchDomains":                  {refused, "Fargate does not support dnsSearchDomains in awsvpc mode"},
	"containerDefinitions[].extraHosts":                        {refused, "Fargate does not support extraHosts in awsvpc mode"},
	"containerDefinitions[].disableNetworking":                 {refused, "Fargate does not support disableNetworking"},
	"containerDefinitions[].privileged":                        {refused, "Fargate runs no privileged container"},
	"containerDefinitions[].dockerSecurityOptions":             {refused, "Fargate does not support dockerSecurityOptions"},
	"containerDefinitions[].resourceRequirements":              {refused, "Fargate has no GPUs"},
	"containerDefinitions[].portMappings[].containerPortRange": {refused, "port ranges are not supported: map each port"},

	"containerDefinitions[].linuxParameters.capabilities":     {notEmulated, "capabilities are not changed locally; kept on ECS"},
	"containerDefinitions[].linuxParameters.devices":          {refused, "Fargate does not support devices"},
	"containerDefinitions[].linuxParameters.sharedMemorySize": {refused, "Fargate does not support sharedMemorySize"},
	"containerDefinitions[].linuxParameters.tmpfs":            {refused, "Fargate does not support tmpfs"},
	"containerDefinitions[].linuxParameters.maxSwap":          {refused, "Fargate does not support swap"},
	"containerDefinitions[].linuxParameters.swappiness":       {refused, "Fargate does not support swap"},
}

// describeWrapper is what `aws ecs describe-task-definition` prints around
// the definition: the definition under "taskDefinition", and with
// --include TAGS its tags beside it.
var describeWrapper = map[string]bool{"taskDefinition": true, "tags": true}

package taskdef

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// A task definition is named in a scenario by a file, an ARN or a family
// with an optional revision, as DescribeTaskDefinition takes it.
var (
	arnRef    = regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]{1,255}(:[1-9][0-9]*)?$`)
	familyRef = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}(:[1-9][0-9]*)?$`)
)

// IsRemoteRef reports whether ref names a registered task definition (an
// ARN, or family[:revision]) rather than a file: DescribeTaskDefinition
// reads it.
func IsRemoteRef(ref string) bool {
	return arnRef.MatchString(ref) || familyRef.MatchString(ref) && !strings.HasSuffix(ref, ".json")
}

// CheckRemoteRef returns nil when ref is a well-formed ARN or
// family[:revision], and otherwise says what would be.
func CheckRemoteRef(ref string) error {
	if IsRemoteRef(ref) {
		return nil
	}
	if strings.HasPrefix(ref, "arn:") {
		return fmt.Errorf("%q is not a task definition ARN: want arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION", ref)
	}
	return fmt.Errorf("%q is not a file, a task definition ARN or a family[:revision]", ref)
}

// Describer is the one ECS call Describe makes; *ecs.Client has it.
type Describer interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// Describe reads the registered task definition ref (an ARN, or
// family[:revision]) and checks it as Parse checks a file; its errors name
// ref.
func Describe(ctx context.Context, client Describer, ref string) (*Definition, error) {
	if err := CheckRemoteRef(ref); err != nil {
		return nil, err
	}
	out, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", ref, err)
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("describe task definition %s: the answer has no task definition", ref)
	}
	data, err := FromSDK(out.TaskDefinition)
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", ref, err)
	}
	return Parse(ref, data)
}

// FromSDK writes an SDK task definition as ECS JSON (what the AWS CLI
// prints), indented. ECS's JSON member names are the SDK's field names with
// a lower-case first letter; the keys of dockerLabels and of a log
// configuration's options are the user's own and are kept as they are.
func FromSDK(td *types.TaskDefinition) ([]byte, error) {
	data, err := json.Marshal(td)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return json.MarshalIndent(lowerKeys(v, false), "", "  ")
}

// userKeyed are the maps whose keys the user chose.
var userKeyed = map[string]bool{"dockerLabels": true, "options": true, "driverOpts": true, "labels": true}

// lowerKeys lowers the first letter of every object key in v, but in a map
// of user keys (keep), and drops null members (the SDK's unset fields).
func lowerKeys(v any, keep bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if e == nil {
				continue
			}
			key := k
			if !keep {
				key = lowerFirst(k)
			}
			out[key] = lowerKeys(e, !keep && userKeyed[key])
		}
		return out
	case []any:
		for i, e := range t {
			t[i] = lowerKeys(e, false)
		}
	}
	return v
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// RegisterInput is the RegisterTaskDefinition request that registers the
// definition as the file has it: every field the file sets, including
// those lab does not emulate (they are ECS's to honour), and none of
// describe's read-only fields. The SDK's field names are ECS's member
// names with a capital first letter, which encoding/json matches.
func (d *Definition) RegisterInput() (*ecs.RegisterTaskDefinitionInput, error) {
	var in ecs.RegisterTaskDefinitionInput
	if err := json.Unmarshal(d.Raw, &in); err != nil {
		return nil, fmt.Errorf("task definition %s: %w", d.Family, err)
	}
	return &in, nil
}

package scenarios

import (
	"fmt"
	"strings"

	"github.com/ecslab/lab/fargate"
)

// Size is a Fargate task size.
type Size = fargate.Size

// Row is one cpu of the Fargate size table, for `lab sizes`.
type Row = fargate.Row

// Sizes is the Fargate size table, one row per cpu, smallest first.
func Sizes() []Row { return fargate.Sizes() }

// ValidSize reports whether s is a Fargate task size.
func ValidSize(s Size) bool { return fargate.ValidSize(s) }

// CheckSize returns nil when cpu units and memory MiB make a Fargate task
// size, and otherwise an error that says what would.
func CheckSize(cpu, memory int) error { return fargate.CheckSize(cpu, memory) }

// ParseSize reads a task size written CPU/MEMORY, as --size takes it:
// "512/1024", "0.5vCPU/1GB". The size must be in the Fargate table.
func ParseSize(s string) (Size, error) {
	c, m, ok := strings.Cut(s, "/")
	if !ok {
		return Size{}, fmt.Errorf("size %q: want CPU/MEMORY, e.g. 512/1024", s)
	}
	cpu, err := ParseCPU(c)
	if err != nil {
		return Size{}, fmt.Errorf("size %q: %w", s, err)
	}
	mem, err := ParseMemory(m)
	if err != nil {
		return Size{}, fmt.Errorf("size %q: %w", s, err)
	}
	if err := CheckSize(cpu, mem); err != nil {
		return Size{}, fmt.Errorf("size %q: %w", s, err)
	}
	return Size{CPU: cpu, Memory: mem}, nil
}

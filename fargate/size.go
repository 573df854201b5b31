// Package fargate is the Fargate task size table: which cpu and memory
// pairs make a task, and what to suggest when a pair does not.
package fargate

import (
	"fmt"
	"strconv"
	"strings"
)

// fargateTable is the Fargate task size table (the AWS Fargate task size table):
// for each cpu, the valid memory runs from min to max in steps.
var fargateTable = []struct {
	cpu, min, max, step int
	note                string
}{
	{256, 512, 2048, 0, ""}, // 512, 1024, 2048: not a regular step
	{512, 1024, 4096, 1024, ""},
	{1024, 2048, 8192, 1024, ""},
	{2048, 4096, 16384, 1024, ""},
	{4096, 8192, 30720, 1024, ""},
	{8192, 16384, 61440, 4096, "Linux platform 1.4.0+"},
	{16384, 32768, 122880, 8192, "Linux platform 1.4.0+"},
}

// Size is a Fargate task size.
type Size struct {
	CPU    int `json:"cpu"`    // units
	Memory int `json:"memory"` // MiB
}

// String is the size as lab labels it everywhere: "256/512".
func (s Size) String() string { return fmt.Sprintf("%d/%d", s.CPU, s.Memory) }

// VCPU is the size's cpu in vCPU.
func (s Size) VCPU() float64 { return float64(s.CPU) / 1024 }

// MarshalYAML writes the size as "256/512", which the scenario loader reads back.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// Row is one cpu of the Fargate size table, for `lab sizes`.
type Row struct {
	CPU    int     // cpu units
	VCPU   float64 // CPU / 1024
	Memory []int   // the valid memory values in MiB, ascending
	Note   string  // e.g. "Linux platform 1.4.0+"
}

// MemoryText describes the row's memory values as the AWS table does:
// "512, 1024, 2048" or "2048 to 8192 in 1024 steps".
func (r Row) MemoryText() string {
	if len(r.Memory) <= 8 {
		return joinInts(r.Memory, ", ")
	}
	step := r.Memory[1] - r.Memory[0]
	return fmt.Sprintf("%d to %d in %d steps", r.Memory[0], r.Memory[len(r.Memory)-1], step)
}

// Sizes is the Fargate size table, one row per cpu, smallest first.
func Sizes() []Row {
	rows := make([]Row, len(fargateTable))
	for i, t := range fargateTable {
		rows[i] = Row{CPU: t.cpu, VCPU: float64(t.cpu) / 1024, Memory: memories(i), Note: t.note}
	}
	return rows
}

// memories lists the valid memory values of table row i.
func memories(i int) []int {
	t := fargateTable[i]
	if t.step == 0 {
		return []int{512, 1024, 2048}
	}
	var m []int
	for v := t.min; v <= t.max; v += t.step {
		m = append(m, v)
	}
	return m
}

// ValidSize reports whether s is a Fargate task size.
func ValidSize(s Size) bool { return CheckSize(s.CPU, s.Memory) == nil }

// CheckSize returns nil when cpu units and memory MiB make a Fargate task
// size, and otherwise an error that lists the valid memory values for that
// cpu, the nearest valid size, and the smallest size with at least the
// memory asked for.
func CheckSize(cpu, memory int) error {
	row := rowOf(cpu)
	if row < 0 {
		var cpus []string
		for _, t := range fargateTable {
			cpus = append(cpus, strconv.Itoa(t.cpu))
		}
		msg := fmt.Sprintf("cpu %d is not a Fargate cpu; valid: %s", cpu, strings.Join(cpus, ", "))
		if memory > 0 {
			msg += suggestions(nearestSize(nearestCPURow(cpu), memory), memory)
		}
		return fmt.Errorf("%s", msg)
	}
	ms := memories(row)
	for _, m := range ms {
		if m == memory {
			return nil
		}
	}
	r := Sizes()[row]
	msg := fmt.Sprintf("memory %d is not valid with cpu %d (valid: %s)", memory, cpu, r.MemoryText())
	return fmt.Errorf("%s%s", msg, suggestions(nearestSize(row, memory), memory))
}

// suggestions names the nearest valid size and, when it is another size,
// the smallest one with at least memory MiB.
func suggestions(nearest Size, memory int) string {
	s := fmt.Sprintf("; nearest valid size: %s", nearest)
	big, ok := smallestWith(memory)
	switch {
	case !ok:
		last := fargateTable[len(fargateTable)-1]
		s += fmt.Sprintf("; no Fargate size has %d MiB (the largest is %d/%d)", memory, last.cpu, last.max)
	case big != nearest:
		s += fmt.Sprintf("; smallest size with at least %d MiB: %s", memory, big)
	}
	return s
}

// IsCPU reports whether cpu units are one of the table's cpus.
func IsCPU(cpu int) bool { return rowOf(cpu) >= 0 }

func rowOf(cpu int) int {
	for i, t := range fargateTable {
		if t.cpu == cpu {
			return i
		}
	}
	return -1
}

// nearestCPURow is the table row whose cpu is nearest to cpu (ties go to
// the larger cpu).
func nearestCPURow(cpu int) int {
	best := 0
	for i, t := range fargateTable {
		if abs(t.cpu-cpu) <= abs(fargateTable[best].cpu-cpu) {
			best = i
		}
	}
	return best
}

// nearestSize is the size of row with the memory nearest to memory (ties
// go to the larger memory, which is the safer one to run).
func nearestSize(row, memory int) Size {
	ms := memories(row)
	best := ms[0]
	for _, m := range ms {
		if abs(m-memory) <= abs(best-memory) {
			best = m
		}
	}
	return Size{CPU: fargateTable[row].cpu, Memory: best}
}

// smallestWith is the size with the smallest cpu, then the smallest memory,
// that has at least memory MiB.
func smallestWith(memory int) (Size, bool) {
	for i, t := range fargateTable {
		for _, m := range memories(i) {
			if m >= memory {
				return Size{CPU: t.cpu, Memory: m}, true
			}
		}
	}
	return Size{}, false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func joinInts(ns []int, sep string) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, sep)
}

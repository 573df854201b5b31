package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseCPU reads a task cpu as Fargate counts it: integer units ("256",
// 1024 units = 1 vCPU) or vCPU with a unit ("0.25vCPU", "0.25 vCPU", "2
// vcpu"). It does not check that the value is a Fargate cpu; CheckSize does.
func ParseCPU(s string) (int, error) {
	t := strings.TrimSpace(s)
	if n, ok := parseUint(t); ok {
		return n, nil
	}
	num, unit := splitUnit(t)
	if strings.EqualFold(unit, "vcpu") && num != "" {
		f, err := strconv.ParseFloat(num, 64)
		if err == nil && f > 0 && f <= 1024 {
			units := f * 1024
			if units == math.Trunc(units) {
				return int(units), nil
			}
			return 0, fmt.Errorf("%q is not a whole number of cpu units (1 vCPU = 1024 units)", s)
		}
	}
	return 0, fmt.Errorf("%q is not a cpu: write cpu units (256) or vCPU (0.25vCPU)", s)
}

// ParseMemory reads a task memory in MiB: an integer ("512"), or a number
// with a unit: "512MiB", "512MB", "1GiB", "1GB", "0.5GB". As Fargate
// counts memory, 1 GB is 1024 MiB and 1 MB is 1 MiB.
func ParseMemory(s string) (int, error) {
	t := strings.TrimSpace(s)
	if n, ok := parseUint(t); ok {
		return n, nil
	}
	num, unit := splitUnit(t)
	mult := 0.0
	switch strings.ToLower(unit) {
	case "mib", "mb":
		mult = 1
	case "gib", "gb":
		mult = 1024
	}
	if mult > 0 && num != "" {
		f, err := strconv.ParseFloat(num, 64)
		if err == nil && f > 0 && f < 1<<30 {
			mib := f * mult
			if mib == math.Trunc(mib) {
				return int(mib), nil
			}
			return 0, fmt.Errorf("%q is not a whole number of MiB", s)
		}
	}
	return 0, fmt.Errorf("%q is not a memory size: write MiB (512) or a number with a unit (512MiB, 1GB = 1024 MiB)", s)
}

// parseUint reads a plain decimal integer that fits comfortably in an int.
func parseUint(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// splitUnit splits "0.25 vCPU" into "0.25" and "vCPU".
func splitUnit(s string) (num, unit string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], strings.TrimSpace(s[i:])
}

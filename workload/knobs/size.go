package knobs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the units ParseSize accepts, in bytes. Decimal-looking
// units count in powers of 1024, as Fargate and Docker count memory.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// ParseSize parses a byte count such as "1048576", "512KiB", "1MiB",
// "1.5MiB" or "1GB" (units are case-insensitive and count in powers of
// 1024). The result is rounded down to a whole byte and must not be
// negative.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	if num == "" {
		if strings.HasPrefix(s, "-") {
			return 0, errors.New("must not be negative")
		}
		return 0, errors.New("not a number")
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", s[i:])
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, errors.New("too large")
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	b := math.Floor(f * float64(mult))
	if b >= math.MaxInt64 {
		return 0, errors.New("too large")
	}
	return int64(b), nil
}

// FormatSize writes n bytes in the largest binary unit that divides it
// exactly: 1048576 is "1MiB", 4096 is "4KiB", 1536 is "1536B".
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

package report

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// HoursPerMonth is the month AWS prices by: 730 hours.
const HoursPerMonth = 730

// PriceTable is what a Fargate task costs per hour of its size: on-demand,
// one region and platform, as of a date.
type PriceTable struct {
	Region   string  // e.g. us-east-1
	Platform string  // e.g. Linux/x86
	Currency string  // e.g. USD
	VCPUHour float64 // per vCPU-hour
	GBHour   float64 // per GB-hour of memory (1 GB = 1024 MiB)
	AsOf     string  // the date the prices were taken, YYYY-MM-DD

	// ARM64 are the Linux/ARM (Graviton) prices; zero when the file has
	// none.
	ARM64VCPUHour, ARM64GBHour float64
	// What a run on ECS adds, zero when the file has none: the ALB per
	// hour and per LCU-hour, a public IPv4 address per hour, a CloudWatch
	// alarm per month, GetMetricData per 1,000 metrics.
	ALBHour, ALBLCUHour, PublicIPv4Hour, AlarmMonth, MetricsPerThousand float64
}

//go:embed prices.yaml
var defaultPricesFile []byte

// DefaultPrices is the price table embedded in lab: Fargate on-demand
// Linux/x86 in us-east-1 (see prices.yaml for the source and the date).
func DefaultPrices() PriceTable {
	p, err := ParsePrices(defaultPricesFile)
	if err != nil {
		panic("report: embedded prices.yaml: " + err.Error())
	}
	return p
}

// Options say how WriteHTML and Compare price the runs they read.
type Options struct {
	// Prices is the price table costs are at; the zero value stands for
	// DefaultPrices.
	Prices PriceTable
}

func (o Options) prices() PriceTable {
	if o.Prices == (PriceTable{}) {
		return DefaultPrices()
	}
	return o.Prices
}

// LoadPrices reads a price table from a file in prices.yaml's format, to
// price another region or a later date.
func LoadPrices(path string) (PriceTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return PriceTable{}, fmt.Errorf("prices: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPricesFileSize+1))
	if err != nil {
		return PriceTable{}, fmt.Errorf("prices: %w", err)
	}
	if len(data) > MaxPricesFileSize {
		return PriceTable{}, fmt.Errorf("%s: larger than %d bytes; a price table is a few lines", path, MaxPricesFileSize)
	}
	p, err := ParsePrices(data)
	if err != nil {
		return PriceTable{}, fmt.Errorf("%s:%w", path, err)
	}
	return p, nil
}

// ParsePrices reads prices.yaml's format: one "key: value" per line,
// comments after #. Keys: region, platform, currency, vcpu_hour, gb_hour
// (required, positive) and as_of (required, YYYY-MM-DD). Unknown and
// repeated keys are errors; errors start with the line number.
func ParsePrices(data []byte) (PriceTable, error) {
	p := PriceTable{Platform: "Linux/x86", Currency: "USD"}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return PriceTable{}, fmt.Errorf("%d: want \"key: value\", got %q", n, line)
		}
		key = strings.TrimSpace(key)
		val = strings.Trim(strings.TrimSpace(val), `"'`)
		if seen[key] {
			return PriceTable{}, fmt.Errorf("%d: %s is set twice", n, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "region":
			p.Region = val
		case "platform":
			p.Platform = val
		case "currency":
			p.Currency = val
		case "vcpu_hour":
			p.VCPUHour, err = positive(val)
		case "gb_hour":
			p.GBHour, err = positive(val)
		case "as_of":
			_, err = time.Parse(time.DateOnly, val)
			p.AsOf = val
		default:
			dst, ok := p.optional()[key]
			if !ok {
				err = fmt.Errorf("unknown field (want region, platform, currency, vcpu_hour, gb_hour, as_of, %s)", strings.Join(slices.Sorted(maps.Keys(p.optional())), ", "))
				break
			}
			*dst, err = positive(val)
		}
		if err != nil {
			return PriceTable{}, fmt.Errorf("%d: %s: %w", n, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return PriceTable{}, err
	}
	for _, k := range []string{"region", "vcpu_hour", "gb_hour", "as_of"} {
		if !seen[k] {
			return PriceTable{}, fmt.Errorf("1: %s is missing", k)
		}
	}
	return p, nil
}

// MaxPricesFileSize is the largest price table LoadPrices reads.
const MaxPricesFileSize = 16 << 10

// positive reads a price: a finite number above 0 (ParseFloat also
// takes NaN and Inf, which would price every size alike).
func positive(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a positive number, got %q", s)
	}
	return v, nil
}

// optional are the keys a prices file may leave out.
func (p *PriceTable) optional() map[string]*float64 {
	return map[string]*float64{
		"arm64_vcpu_hour": &p.ARM64VCPUHour, "arm64_gb_hour": &p.ARM64GBHour,
		"alb_hour": &p.ALBHour, "alb_lcu_hour": &p.ALBLCUHour, "public_ipv4_hour": &p.PublicIPv4Hour,
		"alarm_month": &p.AlarmMonth, "metrics_per_thousand": &p.MetricsPerThousand,
	}
}

// TaskHourARM64 is what one Graviton (ARM64) task of size s costs per
// hour; 0 when the table has no ARM64 prices.
func (p PriceTable) TaskHourARM64(s scenarios.Size) float64 {
	return s.VCPU()*p.ARM64VCPUHour + float64(s.Memory)/1024*p.ARM64GBHour
}

// TaskHourOn is what one task of size s costs per hour on the platform
// (scenarios.X86_64 or ARM64).
func (p PriceTable) TaskHourOn(s scenarios.Size, platform string) float64 {
	if platform == scenarios.ARM64 {
		return p.TaskHourARM64(s)
	}
	return p.TaskHour(s)
}

// TaskHour is what one task of size s costs per hour.
func (p PriceTable) TaskHour(s scenarios.Size) float64 {
	return s.VCPU()*p.VCPUHour + float64(s.Memory)/1024*p.GBHour
}

// String names the prices for people: "Fargate on-demand Linux/x86,
// us-east-1, USD, prices of 2026-11-27".
func (p PriceTable) String() string {
	return fmt.Sprintf("Fargate on-demand %s, %s, %s, prices of %s", p.Platform, p.Region, p.Currency, p.AsOf)
}

package taskmeta

import "github.com/docker/docker/api/types/container"

// BuildStats is a container's stats document from the daemon's latest
// sample and the one before it (nil for the first): the network rates
// are the bytes received and sent between the two, per second of the
// samples' read times.
func BuildStats(cur container.StatsResponse, prev *container.StatsResponse) Stats {
	s := Stats{StatsResponse: cur}
	if prev == nil {
		return s
	}
	secs := cur.Read.Sub(prev.Read).Seconds()
	if secs <= 0 {
		return s
	}
	rx, tx := netTotals(cur)
	prx, ptx := netTotals(*prev)
	if rx < prx || tx < ptx {
		return s // counters reset: a restarted container
	}
	s.NetworkRateStats = &NetworkRate{
		RxBytesPerSec: float64(rx-prx) / secs,
		TxBytesPerSec: float64(tx-ptx) / secs,
	}
	return s
}

func netTotals(s container.StatsResponse) (rx, tx uint64) {
	for _, n := range s.Networks {
		rx += n.RxBytes
		tx += n.TxBytes
	}
	return rx, tx
}

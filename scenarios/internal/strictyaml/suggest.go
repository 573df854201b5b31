package strictyaml

import (
	"strings"
	"unicode/utf8"
)

// Suggest returns the candidate nearest to s when it is near enough to be
// a likely misspelling, or "". Case, '-' and '_' do not count: healthCheck
// finds health_check.
func Suggest(s string, candidates []string) string {
	ns := normalizeName(s)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(ns, normalizeName(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 {
		return ""
	}
	limit := max(1, min(3, utf8.RuneCountInString(ns)/3))
	if bestDist > limit {
		return ""
	}
	return best
}

func normalizeName(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(s)
}

// editDistance is the Levenshtein distance between a and b, in runes,
// with a transposition of two neighbours counting as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// Names are short; a long key is not a misspelling of one.
		return max(len(ra), len(rb))
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// QuoteList writes names as `a, b or c` (conj "or").
func QuoteList(names []string, conj string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

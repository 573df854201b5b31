# bench/section.sh: sourced by the bench scripts that own one section of
# BENCHMARKS.md (8 and up) and rewrite only it.
#
# write_section FILE N CONTENT: CONTENT (which starts with its "## N."
# heading) replaces section N of FILE, from its heading to the next
# "## " heading; a section not there yet goes in before the first higher
# one, or at the end. FILE is created when missing.
write_section() {
	local file=$1 n=$2 content=$3 tmp
	tmp=$(mktemp "$file.XXXXXX")
	[ -f "$file" ] || printf '# Benchmarks\n' >"$file"
	SECTION=$content awk -v n="$n" '
		function emit() { if (!done) { print ENVIRON["SECTION"]; print ""; done = 1 } }
		/^## [0-9]+\./ {
			k = substr($2, 1, length($2) - 1) + 0
			skip = 0
			if (k == n) { emit(); skip = 1; next }
			if (k > n) emit()
		}
		!skip { print }
		END { if (!done) { print ""; print ENVIRON["SECTION"] } }
	' "$file" | cat -s >"$tmp"
	mv "$tmp" "$file"
}

# kept_sections FILE: the sections from 8 on, which bench/run.sh keeps
# when it rewrites sections 1 to 7.
kept_sections() {
	awk '/^## [0-9]+\./ { k = substr($2, 1, length($2) - 1) + 0; p = (k >= 8) } p' "$1" 2>/dev/null || true
}

# section_body FILE N: what section N of FILE holds below its heading, up
# to the next "## " heading: how bench/run.sh keeps a section it did not
# run this time.
section_body() {
	awk -v n="$2" '
		/^## / { p = ($2 == n ".") ; next }
		p
	' "$1" 2>/dev/null | sed -e '/./,$!d' -e :a -e '/^\n*$/{$d;N;ba' -e '}' || true
}

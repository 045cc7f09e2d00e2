#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/style-check.sh [FILE...] - check the C style the tree follows.
#
# Checks the C files under src/, tools/, tests/unit, tests/fuzz,
# tests/priv and tests/tools (or the FILEs given) for:
#   - trailing whitespace;
#   - lines longer than 80 columns (tabs expanded to 8);
#   - indentation by spaces: a line whose indentation starts with 8 or
#     more spaces (continuation lines of a few spaces and " *" comment
#     lines are fine);
#   - in src/ and tools/: strcpy, strcat, sprintf, vsprintf, gets (use
#     memcpy or snprintf; GUIDE.md);
#   - function definitions with the return type on the same line as the
#     name: the name of a defined function starts its line, so that
#     `grep '^name('` finds the definition.  A definition written whole
#     on one line (`static inline size_t buf_len(...) { return ...; }`,
#     the tree's short header helpers and test table callbacks) is fine.
#
# Prints FILE:LINE: rule for each violation; exits 1 if there is any,
# 0 otherwise (2 if it cannot run).  `make style` runs it.

cd "$(dirname "$0")/.." || exit 2

if [ "$#" -eq 0 ]; then
	dirs="src tools tests/unit tests/fuzz tests/priv tests/tools"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# shellcheck disable=SC2086 # $dirs is a list of paths
		list=$(git ls-files -- $dirs | grep -E '\.[ch]$')
	else
		# shellcheck disable=SC2086
		list=$(find $dirs -name '*.[ch]' -type f 2>/dev/null | sort)
	fi
	[ -n "$list" ] || { echo "style-check: no C files found" >&2; exit 2; }
	# One path per line, none with blanks in it (checked).
	if printf '%s\n' "$list" | grep -q '[[:space:]]'; then
		echo "style-check: a path has blanks in it" >&2
		exit 2
	fi
	# shellcheck disable=SC2086
	set -- $list
fi

out=$(LC_ALL=C awk '
# Return s without comments and with string and character literals
# emptied; incom carries an open /* comment over to the next line.
function strip(s,    out, i, n, c, q) {
	if (!incom && s !~ /["\047\/]/)
		return s
	out = ""
	n = length(s)
	i = 1
	while (i <= n) {
		c = substr(s, i, 1)
		if (incom) {
			if (substr(s, i, 2) == "*/") {
				incom = 0
				out = out " "
				i += 2
			} else
				i++
			continue
		}
		if (substr(s, i, 2) == "/*") {
			incom = 1
			i += 2
			continue
		}
		if (substr(s, i, 2) == "//")
			break
		if (c == "\"" || c == "\047") {
			q = c
			for (i++; i <= n; i++) {
				c = substr(s, i, 1)
				if (c == "\\")
					i++
				else if (c == q)
					break
			}
			out = out q q
			i++
			continue
		}
		out = out c
		i++
	}
	return out
}

# Columns of s with tabs expanded to 8 (UTF-8 continuation bytes take
# no column).
function columns(s,    col, i, n, c) {
	if (s !~ /[\t\200-\377]/)
		return length(s)
	col = 0
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\t")
			col += 8 - col % 8
		else if (c !~ /[\200-\277]/)
			col++
	}
	return col
}

function bad(line, rule) {
	printf "%s:%d: %s\n", FILENAME, line, rule
}

# hdr is the last line that started at column 0 before a "{" line: the
# head of a function definition if it has a "(" (and no "=" or "[",
# which an initializer or array would have).  The name is the identifier
# before the first "("; anything else before it is the return type.
function check_head(    p, before) {
	if (hdr_line == 0 || hdr ~ /[=\[]/)
		return
	p = index(hdr, "(")
	if (p == 0)
		return
	before = substr(hdr, 1, p - 1)
	sub(/[ \t]+$/, "", before)
	if (before !~ /[A-Za-z_][A-Za-z0-9_]*$/)
		return
	sub(/[A-Za-z_][A-Za-z0-9_]*$/, "", before)
	if (before ~ /[^ \t]/)
		bad(hdr_line, "return type not on its own line " \
		    "in a function definition")
}

FNR == 1 {
	incom = 0
	inpp = 0
	hdr_line = 0
	banned = FILENAME ~ /^(\.\/)?(src|tools)\//
}

{
	line = $0
	if (line ~ /[ \t\r]+$/)
		bad(FNR, "trailing whitespace")
	if (length(line) > 80 && (n = columns(line)) > 80)
		bad(FNR, "line longer than 80 columns (" n ")")
	else if (line ~ /\t/ && (n = columns(line)) > 80)
		bad(FNR, "line longer than 80 columns (" n ")")
	if (line ~ /^        /)
		bad(FNR, "indented with spaces (use tabs)")

	code = strip(line)

	if (banned && \
	    match(code, /(^|[^A-Za-z0-9_.>])(strcpy|strcat|sprintf|vsprintf|gets)[ \t]*\(/)) {
		name = substr(code, RSTART, RLENGTH)
		sub(/^[^a-z]/, "", name)
		sub(/[ \t]*\($/, "", name)
		bad(FNR, "banned function " name " (use memcpy or snprintf)")
	}

	# Preprocessor lines and macro bodies are not definitions.
	if (inpp || code ~ /^[ \t]*#/) {
		inpp = code ~ /\\[ \t]*$/
		next
	}
	if (code ~ /^\{/) {
		check_head()
		hdr_line = 0
	} else if (code ~ /^[A-Za-z_]/) {
		hdr = code
		hdr_line = FNR
		if (code ~ /;[ \t]*$/)
			hdr_line = 0
		else if (code ~ /\{[ \t]*$/) {
			# "type name(args) {": the body starts here.
			sub(/\{[ \t]*$/, "", hdr)
			check_head()
			hdr_line = 0
		}
	} else if (code ~ /^\}/ || code ~ /;[ \t]*$/)
		hdr_line = 0
}
' "$@")
rc=$?
[ "$rc" -eq 0 ] || { echo "style-check: awk failed ($rc)" >&2; exit 2; }

if [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "style-check: $(printf '%s\n' "$out" | wc -l) violation(s)" >&2
	exit 1
fi
exit 0

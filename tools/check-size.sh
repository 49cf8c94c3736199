#!/bin/sh
# Size limits of the style guide: no source file over 800 lines, no function over 150.
# tools/size-allow.txt lists what is still over (path, or path:function, and its size today);
# those may shrink but not grow, and a listed entry that has come under the limit must be
# removed from the list. Prints each breach; exits 1 when there is one. Usage: check-size.sh [ROOT]
cd "${1:-.}" || exit 2
MAX_FILE=800
MAX_FN=150
allow=tools/size-allow.txt
files=$(find common format grammar compiler runtime cli tests bench fuzz -type f \
    \( -name '*.c' -o -name '*.h' -o -name '*.l' -o -name '*.y' \) 2>/dev/null | sort)
[ -n "$files" ] || { echo "check-size: no sources found under $(pwd)" >&2; exit 2; }
sizes=$(for f in $files; do
    awk -v f="$f" '
        { lines = NR }
        # a function body: "{" alone at column 0 (name on the line above) or "...) {" at column 0
        !infn && /^\{[ \t]*$/ { infn = 1; start = NR; name = prev }
        !infn && /^[A-Za-z_].*\)[ \t]*\{[ \t]*$/ && !/=/ { infn = 1; start = NR; name = $0 }
        infn && /^\}/ {
            infn = 0
            if (match(name, /[A-Za-z_][A-Za-z_0-9]*[ \t]*\(/)) {
                fn = substr(name, RSTART, RLENGTH); sub(/[ \t]*\($/, "", fn)
                printf "%s:%s %d\n", f, fn, NR - start + 1
            }
        }
        { if ($0 !~ /^[ \t]*$/) prev = $0 }
        END { printf "%s %d\n", f, lines }' "$f"
done)
bad=0
echo "$sizes" | awk -v maxf=$MAX_FILE -v maxfn=$MAX_FN -v allowf="$allow" '
    BEGIN { while ((getline l < allowf) > 0) { if (l ~ /^#/ || l ~ /^[ \t]*$/) continue
                split(l, p, " "); lim[p[1]] = p[2]; seen[p[1]] = 0 } }
    {
        key = $1; n = $2 + 0; isfn = index(key, ":") > 0; max = isfn ? maxfn : maxf
        if (key in lim) {
            seen[key] = 1
            if (n > lim[key] + 0) { printf "%s: %d lines, grew past its allowance of %d (limit %d)\n", key, n, lim[key], max; bad = 1 }
            else if (n <= max) { printf "%s: %d lines, now within the limit of %d: remove it from %s\n", key, n, max, allowf; bad = 1 }
        } else if (n > max) { printf "%s: %d lines, over the limit of %d\n", key, n, max; bad = 1 }
    }
    END {
        for (k in seen) if (!seen[k]) { printf "%s: listed in %s but not found: remove it\n", k, allowf; bad = 1 }
        if (!bad) { c = 0; for (k in lim) c++; printf "check-size: every file within %d lines and function within %d, but %d allowed (%s)\n", maxf, maxfn, c, allowf }
        exit bad
    }' || bad=1
exit $bad

#!/bin/sh
# The dependency rules of docs/architecture.md, checked on every quoted and system #include:
# a folder may include only the folders below it in the pipeline. Prints each breach as
# FILE:LINE and exits 1 when there is one. Usage: tools/check-layout.sh [ROOT]
cd "${1:-.}" || exit 2
allowed() { # folder-or-file -> allowed prefixes of quoted includes
    case "$1" in
        common/*) echo "common/" ;;
        format/*) echo "common/ format/" ;;
        grammar/*) echo "common/ compiler/ast.h compiler/diag.h parser.h lexer.h" ;;
        compiler/*) echo "common/ format/ compiler/ parser.h lexer.h" ;;
        runtime/*) echo "common/ format/ runtime/" ;;
        cli/ganc_main.c) echo "common/ format/ compiler/ cli/" ;;
        cli/*) echo "common/ format/ runtime/ cli/" ;;
        fuzz/*) echo "*" ;; # the fuzz targets, like tests/: anything
        *) echo "*" ;;
    esac
}
# System headers that belong to the runtime's kernels and data (BLAS, OpenMP, codecs, MPI).
runtime_only='cblas.h omp.h png.h jpeglib.h mpi.h'
bad=0
files=$(find common format grammar compiler runtime cli -type f 2>/dev/null |
    grep -E '\.(c|h|l|y)$')
[ -n "$files" ] || { echo "check-layout: no sources found under $(pwd)" >&2; exit 2; }
for f in $files; do
    ok=$(allowed "$f")
    [ "$ok" = "*" ] && continue
    sysok=1
    case "$f" in runtime/*|cli/*) sysok=0 ;; esac
    out=$(awk -v ok="$ok" -v sys_ro="$runtime_only" -v sysok="$sysok" -v f="$f" '
        BEGIN { n = split(ok, a, " "); m = split(sys_ro, s, " ") }
        /^[ \t]*#[ \t]*include[ \t]*"/ {
            match($0, /"[^"]+"/); h = substr($0, RSTART + 1, RLENGTH - 2); good = 0
            for (i = 1; i <= n; i++) if (index(h, a[i]) == 1) good = 1
            if (!good) printf "%s:%d: includes \"%s\" (allowed here: %s)\n", f, NR, h, ok
        }
        /^[ \t]*#[ \t]*include[ \t]*</ && sysok {
            match($0, /<[^>]+>/); h = substr($0, RSTART + 1, RLENGTH - 2)
            for (i = 1; i <= m; i++) if (h == s[i])
                printf "%s:%d: includes <%s>, which only the runtime may use\n", f, NR, h
        }' "$f")
    if [ -n "$out" ]; then echo "$out"; bad=1; fi
done
if [ $bad = 0 ]; then
    echo "check-layout: $(echo "$files" | wc -l) files keep the dependency rules"
else
    echo "check-layout: dependency rules broken (docs/architecture.md)" >&2
fi
exit $bad

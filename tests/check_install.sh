#!/bin/sh
# `make install` into a scratch DESTDIR installs working tools, the shipped models (each
# compiles with the installed ganc), man pages that render without a warning and name every
# command, and bash completion that completes; `make uninstall` removes every file it
# installed. Run by `make check` (after the plain build): MAKE and BUILD_ROOT come from there.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
make=${MAKE:-make}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL $*"; }
dest=$tmp/dest prefix=/usr
if ! $make -C "$root" --no-print-directory -s install BUILD_ROOT="${BUILD_ROOT:-build}" V=release \
        DESTDIR="$dest" PREFIX="$prefix" >"$tmp/log" 2>&1; then
    cat "$tmp/log"; echo "check_install: make install failed"; exit 1
fi
bin=$dest$prefix/bin share=$dest$prefix/share
for f in "$bin/ganc" "$bin/ganrt"; do [ -x "$f" ] && ok || no "$f not installed"; done
v1=$("$bin/ganc" --version | awk '{print $2}'); v2=$("$bin/ganrt" --version | awk '{print $2}')
[ -n "$v1" ] && [ "$v1" = "$v2" ] && ok || no "ganc says version '$v1', ganrt '$v2'"
n=0
for m in "$root"/models/*.gan; do
    im=$share/ganc/models/$(basename "$m")
    if [ -f "$im" ] && "$bin/ganc" "$im" -o "$tmp/m.bin" >"$tmp/log" 2>&1; then n=$((n + 1)); else
        no "installed model $(basename "$m")"; cat "$tmp/log"; fi
done
[ $n -gt 0 ] && ok || no "no model installed"
for p in man1/ganc.1 man1/ganrt.1 man5/gan.5; do
    f=$share/man/$p
    [ -s "$f" ] || { no "$p not installed"; continue; }
    head -1 "$f" | grep -q "^\.TH .* \"gan[a-z]* $v1\"" && ok || no "$p: no .TH line with version $v1"
    if command -v groff >/dev/null 2>&1; then
        w=$(groff -k -man -Tutf8 -ww -z "$f" 2>&1)
        [ -z "$w" ] && ok || no "$p renders with warnings: $w"
    else
        echo "check_install: SKIP rendering $p: groff is not installed"
    fi
done
for c in $("$bin/ganrt" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                     on && /^  [a-z]/ { print $1 }'); do
    grep -q "^\.SS \"ganrt $c\"" "$share/man/man1/ganrt.1" && ok || no "ganrt.1 lacks command $c"
done
grep -q 'hinge_real' "$share/man/man5/gan.5" && ok || no "gan.5 lacks the language's losses"
comp=$share/bash-completion/completions
if command -v bash >/dev/null 2>&1; then
    got=$(bash -c ". '$comp/ganrt'; COMP_WORDS=(ganrt tr); COMP_CWORD=1; _ganrt; echo \${COMPREPLY[*]};
                  COMP_WORDS=(ganrt train m.bin --res); COMP_CWORD=3; _ganrt; echo \${COMPREPLY[*]};
                  . '$comp/ganc'; COMP_WORDS=(ganc --rep); COMP_CWORD=1; _ganc; echo \${COMPREPLY[*]}")
    [ "$(echo $got)" = "train --resume --report" ] && ok || no "completion gave: $(echo $got)"
fi
$make -C "$root" --no-print-directory -s uninstall DESTDIR="$dest" PREFIX="$prefix" >"$tmp/log" 2>&1 ||
    { no "make uninstall failed"; cat "$tmp/log"; }
left=$(find "$dest" -type f)
[ -z "$left" ] && ok || no "uninstall left: $left"
echo "check_install: $pass passed, $fail failed"
[ $fail = 0 ]

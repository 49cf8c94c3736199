#!/bin/sh
# make valgrind: each unit-test binary given under valgrind memcheck, one at a time; exits 1
# at the end if any reported an error (invalid access, uninitialised value used, definite or
# indirect leak). Possibly-lost blocks are shown but are not errors: OpenMP's and OpenBLAS's
# thread pools keep pointers into the middle of blocks they never free (tools/valgrind.supp
# says which). Check forks a child per test; memcheck follows forks by itself. The tools the
# tests spawn ($GANC, $GANRT) run natively: tools/valgrind-tools.sh runs them under memcheck.
# Usage: tools/valgrind.sh TEST_BIN...  (environment: GANC GANRT GAN_BUILD, as make unit)
VG="valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect --track-origins=yes
    --suppressions=tools/valgrind.supp"
# Check's per-test timeouts were set for native speed; memcheck is 20-50x slower.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-40}
failed=""
total0=$(date +%s)
for t in "$@"; do
    t0=$(date +%s)
    if $VG "$t"; then r=ok; else r=FAILED; failed="$failed $t"; fi
    echo "== valgrind $t: $r ($(( $(date +%s) - t0 )) s)"
done
echo "== valgrind: $# binaries in $(( $(date +%s) - total0 )) s"
if [ -n "$failed" ]; then
    echo "valgrind: reports in:$failed" >&2
    exit 1
fi

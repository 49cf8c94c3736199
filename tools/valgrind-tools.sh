#!/bin/sh
# The part of make valgrind that the unit tests cannot reach: ganc and ganrt as a user runs
# them (the tests spawn them natively), each command under memcheck with the same options as
# tools/valgrind.sh. A small model keeps training to seconds even at memcheck's speed.
# Usage: tools/valgrind-tools.sh GANC GANRT
ganc=$1 ganrt=$2
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect --track-origins=yes
    --suppressions=tools/valgrind.supp"
# ganrt re-executes /proc/self/exe to choose libgomp's wait policy (cli/ganrt_main.c); under
# valgrind that path is valgrind itself. A policy already in the environment skips the re-exec.
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
bad=0
run() { # expected-status command...
    want=$1; shift
    $VG "$@" >"$tmp/out" 2>&1
    st=$?
    if [ $st != "$want" ]; then
        echo "== valgrind-tools: FAILED (status $st, wanted $want): $*"; cat "$tmp/out"; bad=1
    else
        echo "== valgrind-tools: ok: $*"
    fi
}
t0=$(date +%s)
run 0 "$ganc" models/demo.gan -o "$tmp/demo.bin" --report
run 1 "$ganc" tests/golden/errors/17_several_syntax_errors.gan --check
run 1 "$ganc" tests/golden/limits/04_demo_max_memory.gan --max-memory 8M -o "$tmp/x.bin"
run 0 "$ganc" tests/golden/limits/03_demo_max_params.gan --batch 2 -o "$tmp/d2.bin"
run 0 "$ganrt" info "$tmp/demo.bin"
run 0 "$ganrt" data synth -o "$tmp/data" --n 8 --size 32 --quiet
run 0 "$ganrt" train "$tmp/d2.bin" --data "$tmp/data" --out "$tmp/run" --steps 2 --threads 2
run 0 "$ganrt" train "$tmp/d2.bin" --data "$tmp/data" --out "$tmp/run" --steps 3 --resume --threads 2
run 0 "$ganrt" sample "$tmp/d2.bin" --ckpt "$tmp/run" -o "$tmp/s.png" -n 4
run 0 "$ganrt" info "$tmp/d2.bin" --ckpt "$tmp/run"
head -c 1000 "$tmp/d2.bin" >"$tmp/cut.bin"
run 1 "$ganrt" info "$tmp/cut.bin"
echo "== valgrind-tools: $(( $(date +%s) - t0 )) s"
exit $bad

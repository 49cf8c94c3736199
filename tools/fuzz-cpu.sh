#!/bin/bash
# tools/fuzz-cpu.sh NAME CPU_S [WALL_S]: runs one fuzz target (built by `make fuzz-build`
# V=fuzz, flags as `make fuzz`) until its own user + system CPU time reaches CPU_S seconds or
# WALL_S (default 4 * CPU_S) pass, then stops it with SIGINT so libFuzzer prints its final
# figures. It runs at the lowest priority a user can give: nice 19, and, where the kernel
# groups tasks by session (autogroup), in a session of its own whose group is niced to 19 too,
# since nice alone only ranks it within its own session. Log: build/fuzz/logs/NAME.HHMMSS.log;
# the CPU seconds so far are in build/fuzz/logs/NAME.progress ("wall_s cpu_s").
set -u
n=$1; budget=$2; cap=${3:-$((4 * $2))}
cd "$(dirname "$0")/.."
[ -n "${FUZZ_CPU_SESSION:-}" ] || FUZZ_CPU_SESSION=1 exec setsid "$0" "$@"
F=build/fuzz/fuzz
mkdir -p $F/work/$n $F/artifacts/$n build/fuzz/logs
dict=; [ -f fuzz/$n.dict ] && dict=-dict=fuzz/$n.dict
log=build/fuzz/logs/$n.$(date +%H%M%S).log
nice -n 19 $F/bin/fuzz_$n -rss_limit_mb=2560 -timeout=20 -print_final_stats=1 $dict \
    -artifact_prefix=$F/artifacts/$n/ $F/work/$n fuzz/corpus/$n >"$log" 2>&1 &
pid=$!
echo 19 >/proc/$pid/autogroup 2>/dev/null
tck=$(getconf CLK_TCK); t0=$(date +%s); cpu=0
while kill -0 $pid 2>/dev/null; do
    sleep 5
    st=$(cat /proc/$pid/stat 2>/dev/null) || break
    case "$st" in *") Z "*) break ;; esac
    set -- $(echo "$st" | sed 's/.*) //')
    cpu=$(((${12} + ${13}) / tck))
    now=$(date +%s)
    echo "$((now - t0)) $cpu" >build/fuzz/logs/$n.progress
    if [ $cpu -ge "$budget" ] || [ $((now - t0)) -ge "$cap" ]; then kill -INT $pid; break; fi
done
wait $pid; rc=$?
echo "$n: exit $rc, $(($(date +%s) - t0)) s wall, $cpu s CPU, $log" | tee -a build/fuzz/logs/summary

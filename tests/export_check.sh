#!/bin/sh
# The outside checks of `ganrt export` (tests/test_export.c calls this):
#   tests/export_check.sh ort TOL CASE...   ONNX Runtime (npm's onnxruntime-node, run by
#                                           Debian's nodejs) against ganrt's output
#   tests/export_check.sh checker FILE...   onnx.checker.check_model (Debian's python3-onnx)
# Exit 0 passed, 1 failed, 77 skipped (the tool is not there; the reason is printed).
# onnxruntime-node is a test-time tool only: it is installed once into a cache outside the
# source tree ($GAN_ORT_CACHE, default ~/.cache/ganc-ort), never into the build.
here=$(cd "$(dirname "$0")" && pwd)
mode=$1
shift
case "$mode" in
ort)
    node=$(command -v node || command -v nodejs) || { echo "skip: node (nodejs) not found"; exit 77; }
    cache=${GAN_ORT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/ganc-ort}
    loads() { NODE_PATH="$cache/node_modules" "$node" -e "require('onnxruntime-node')" 2>"$cache/load.log"; }
    mkdir -p "$cache" || exit 1
    if ! loads; then
        command -v npm >/dev/null || { echo "skip: npm not found (cannot install onnxruntime-node)"; exit 77; }
        echo "installing onnxruntime-node into $cache (once)"
        # --ignore-scripts: the CPU runtime ships in the package; its install script would only
        # fetch the optional CUDA provider from elsewhere
        if ! (cd "$cache" && timeout 600 npm install --no-save --no-audit --no-fund \
                --ignore-scripts onnxruntime-node >"$cache/npm.log" 2>&1); then
            echo "skip: npm install onnxruntime-node failed (no registry?):"
            tail -n 3 "$cache/npm.log"
            exit 77
        fi
        if ! loads; then
            echo "skip: onnxruntime-node installed but $node $("$node" --version) cannot load it:"
            head -n 3 "$cache/load.log"
            exit 77
        fi
    fi
    NODE_PATH="$cache/node_modules" exec "$node" "$here/export_ort.js" "$@"
    ;;
checker)
    for py in /usr/bin/python3 python3; do
        if "$py" -c "import onnx" 2>/dev/null; then
            exec "$py" -c '
import sys, onnx
bad = 0
for f in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(f), full_check=True)
        print("%s: onnx %s checker ok" % (f.rsplit("/", 1)[-1], onnx.__version__))
    except Exception as e:
        print("%s: onnx checker: %s" % (f, e))
        bad += 1
sys.exit(1 if bad else 0)' "$@"
        fi
    done
    echo "skip: python3-onnx not importable (apt-get install python3-onnx)"
    exit 77
    ;;
*)
    echo "usage: export_check.sh ort TOL CASE... | checker FILE..." >&2
    exit 2
    ;;
esac

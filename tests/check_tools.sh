#!/bin/sh
# Proves that the tree checks can fail: a forbidden include and an oversized function in a
# scratch tree must be reported, and a clean scratch tree must pass; and that the dependency
# check asks for OpenBLAS where only another BLAS's cblas.h would be found; and that the
# generated list of layer kinds follows the kinds' files.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
expect() { # name want-rc cmd...
    name=$1; want=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL $name: exit $rc, expected $want"; echo "$out"; fi
    LAST=$out
}
mkdir -p "$tmp/compiler" "$tmp/runtime" "$tmp/tools"
printf '#include "format/model.h"\nint f(void);\n' > "$tmp/compiler/ok.c"
printf '#include "runtime/exec.h"\n' > "$tmp/runtime/ok.c"
expect clean-layout 0 sh "$root/tools/check-layout.sh" "$tmp"
printf '#include "common/err.h"\n#include "runtime/exec.h"\n' > "$tmp/compiler/bad.c"
expect compiler-includes-runtime 1 sh "$root/tools/check-layout.sh" "$tmp"
echo "$LAST" | grep -q 'compiler/bad.c:2: includes "runtime/exec.h"' || {
    fail=$((fail + 1)); echo "FAIL: breach not located: $LAST"; }
rm "$tmp/compiler/bad.c"
printf '#include <cblas.h>\n' > "$tmp/compiler/blas.c"
expect compiler-includes-cblas 1 sh "$root/tools/check-layout.sh" "$tmp"
rm "$tmp/compiler/blas.c"
: > "$tmp/tools/size-allow.txt"
expect clean-size 0 sh "$root/tools/check-size.sh" "$tmp"
{ echo "int long_fn(void)"; echo "{"; i=0; while [ $i -lt 160 ]; do echo "    ;"; i=$((i + 1)); done
  echo "    return 0;"; echo "}"; } > "$tmp/compiler/long.c"
expect long-function 1 sh "$root/tools/check-size.sh" "$tmp"
echo "$LAST" | grep -q 'compiler/long.c:long_fn: 163 lines' || {
    fail=$((fail + 1)); echo "FAIL: long function not named: $LAST"; }
echo "compiler/long.c:long_fn 170" > "$tmp/tools/size-allow.txt"
expect allowed-function 0 sh "$root/tools/check-size.sh" "$tmp"
echo "compiler/long.c:long_fn 100" > "$tmp/tools/size-allow.txt"
expect grown-function 1 sh "$root/tools/check-size.sh" "$tmp"
# The dependency check finds OpenBLAS itself (pkg-config), not any cblas.h: with OpenBLAS's
# pkg-config file out of sight it must ask for libopenblas-dev even where reference
# libblas-dev's cblas.h is installed. GAN_NO_AUTO_DEPS keeps it from installing anything.
mkdir -p "$tmp/no-pc"
expect deps-need-openblas 1 env PKG_CONFIG_LIBDIR="$tmp/no-pc" PKG_CONFIG_PATH= GAN_NO_AUTO_DEPS=1 \
    sh "$root/tools/check-deps.sh"
echo "$LAST" | grep -q 'libopenblas-dev' || {
    fail=$((fail + 1)); echo "FAIL: check-deps did not ask for libopenblas-dev: $LAST"; }
# A pkg-config that knows openblas but whose flags put another BLAS's cblas.h first (no
# openblas_set_num_threads): asked for libopenblas-dev too, never left to fail the build.
mkdir -p "$tmp/fake/bin" "$tmp/fake/refblas"
printf 'void cblas_sgemm(void);\n' > "$tmp/fake/refblas/cblas.h"
printf '#!/bin/sh\ncase "$*" in *--exists*) exit 0 ;; *--cflags*) echo "-I%s" ;; esac\n' \
    "$tmp/fake/refblas" > "$tmp/fake/bin/pkg-config"
chmod +x "$tmp/fake/bin/pkg-config"
expect deps-wrong-cblas 1 env PATH="$tmp/fake/bin:$PATH" GAN_NO_AUTO_DEPS=1 sh "$root/tools/check-deps.sh"
echo "$LAST" | grep -q 'libopenblas-dev' || {
    fail=$((fail + 1)); echo "FAIL: check-deps took another cblas.h: $LAST"; }
# A fresh Debian machine as root (libblas-dev's cblas.h there, OpenBLAS not): it installs
# libopenblas-dev through apt-get (a fake one here, recording its arguments) and succeeds.
mkdir -p "$tmp/root/bin"
printf '#!/bin/sh\necho 0\n' > "$tmp/root/bin/id"
printf '#!/bin/sh\necho "$*" >> "%s/apt.log"\n' "$tmp/root" > "$tmp/root/bin/apt-get"
chmod +x "$tmp/root/bin/id" "$tmp/root/bin/apt-get"
expect deps-root-installs 0 env -u GAN_NO_AUTO_DEPS PATH="$tmp/root/bin:$PATH" \
    PKG_CONFIG_LIBDIR="$tmp/no-pc" PKG_CONFIG_PATH= sh "$root/tools/check-deps.sh"
grep -q 'install .*libopenblas-dev' "$tmp/root/apt.log" 2>/dev/null || {
    fail=$((fail + 1)); echo "FAIL: check-deps as root did not install libopenblas-dev"; }
# and where everything is there, it passes and installs nothing
expect deps-present 0 env GAN_NO_AUTO_DEPS=1 sh "$root/tools/check-deps.sh"
# The list of layer kinds comes from the kinds' own files: a new file's kind joins it in
# number order, and a number given twice stops the build naming both lines.
mkdir -p "$tmp/gl/compiler"
printf 'LAYER_KIND_DEFINE(DENSE, dense, 1) = {\n' > "$tmp/gl/compiler/layer_dense.c"
printf 'LAYER_KIND_DEFINE(POOL, pool, 3) = {\nLAYER_KIND_DEFINE(CONV, conv, 2) = {\n' \
    > "$tmp/gl/compiler/layer_conv.c"
expect layer-list 0 sh "$root/tools/gen-layer-list.sh" "$tmp/gl/out/layer_list.h" "$tmp/gl"
got=$(grep '^LAYER_KIND(' "$tmp/gl/out/layer_list.h" | tr '\n' ' ')
[ "$got" = "LAYER_KIND(DENSE, dense, 1) LAYER_KIND(CONV, conv, 2) LAYER_KIND(POOL, pool, 3) " ] || {
    fail=$((fail + 1)); echo "FAIL: generated layer list: $got"; }
printf 'LAYER_KIND_DEFINE(TILE, tile, 2) = {\n' > "$tmp/gl/compiler/layer_tile.c"
expect layer-number-twice 1 sh "$root/tools/gen-layer-list.sh" "$tmp/gl/out/layer_list.h" "$tmp/gl"
echo "$LAST" | grep -q 'layer_tile.c:1:LAYER_KIND_DEFINE(TILE' || {
    fail=$((fail + 1)); echo "FAIL: repeated md_kind number not located: $LAST"; }
grep -q 'POOL' "$tmp/gl/out/layer_list.h" || {
    fail=$((fail + 1)); echo "FAIL: a refused list replaced the last good one"; }
echo "check_tools: $pass passed, $fail failed"
[ $fail = 0 ]

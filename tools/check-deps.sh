#!/bin/sh
# Stops the build with the Debian package to install when a dependency is missing.
missing=""
need() { # tool-or-header package
    case "$1" in
        /*) [ -e "$1" ] || missing="$missing $2" ;;
        *) command -v "$1" >/dev/null 2>&1 || missing="$missing $2" ;;
    esac
}
need flex flex
need bison bison
need pkg-config pkg-config
# Headers are looked up the way the compiler will look them up.
cflags=$(pkg-config --cflags openblas libpng check 2>/dev/null)
need_h() { # header package
    printf '#include <stdio.h>\n#include <%s>\n' "$1" | ${CC:-cc} $cflags -E -x c - >/dev/null 2>&1 ||
        missing="$missing $2"
}
# OpenBLAS itself, not any cblas.h: reference libblas-dev ships a cblas.h without
# openblas_set_num_threads, and the build then fails far from the cause.
if pkg-config --exists openblas 2>/dev/null; then
    # and the cblas.h the build will see is OpenBLAS's (its -I comes first), not another's
    printf '#include <cblas.h>\nvoid f(void);\nvoid f(void) { openblas_set_num_threads(1); }\n' |
        ${CC:-cc} $cflags -fsyntax-only -Werror=implicit-function-declaration -x c - \
            >/dev/null 2>&1 || missing="$missing libopenblas-dev"
else
    missing="$missing libopenblas-dev"
fi
need_h check.h check
need_h png.h libpng-dev
need_h jpeglib.h libjpeg-dev
need_h zlib.h zlib1g-dev
[ -z "$missing" ] && exit 0
# As root on a Debian machine (CI, a fresh container) install them; anyone else is told how.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${GAN_NO_AUTO_DEPS:-}" ]; then
    echo "installing missing build dependencies:$missing" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends$missing >/dev/null && exit 0
    echo "error: apt-get could not install:$missing" >&2
    exit 1
fi
echo "error: missing build dependencies; install them with:" >&2
echo "    sudo apt-get install$missing      (or: sudo make deps)" >&2
exit 1

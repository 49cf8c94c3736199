#!/bin/sh
# make demo: synthetic labelled faces -> models/demo.gan -> a few minutes of training -> a grid
# in which each row asks for one attribute combination. Nothing is downloaded.
set -eu
BUILD=${BUILD:-build/release}
OUT=${DEMO_OUT:-demo}
STEPS=${DEMO_STEPS:-}
THREADS=${DEMO_THREADS:-$(nproc 2>/dev/null || echo 2)}
ganc=$BUILD/ganc
ganrt=$BUILD/ganrt
mkdir -p "$OUT"

if [ ! -f "$OUT/data/list_attr_celeba.txt" ]; then
    echo "== 1/4 rendering 12000 synthetic labelled faces into $OUT/data"
    "$ganrt" data synth --n 12000 --size 32 --seed 1 -o "$OUT/data"
else
    echo "== 1/4 synthetic faces already in $OUT/data"
fi

echo "== 2/4 compiling models/demo.gan"
"$ganc" models/demo.gan -o "$OUT/demo.bin" --report > "$OUT/report.txt"
sed -n '1,200p' "$OUT/report.txt" | grep -i -E 'total|arena' || true

# A second `make demo` continues (or just reuses) the run; rm -rf $OUT/run to start over.
resume=
if [ -f "$OUT/run/ckpt/latest" ]; then
    resume=--resume
    echo "== 3/4 continuing the run in $OUT/run (rm -rf $OUT/run to train from scratch)"
else
    echo "== 3/4 training on $THREADS threads (a few minutes; samples in $OUT/run/samples)"
fi
"$ganrt" train "$OUT/demo.bin" --data "$OUT/data" --out "$OUT/run" $resume \
    ${STEPS:+--steps "$STEPS"} --threads "$THREADS" --seed 1

echo "== 4/4 sampling"
"$ganrt" sample "$OUT/demo.bin" --ckpt "$OUT/run" --seed 7 --cols 8 \
    --vary Blond_Hair,Eyeglasses,Wearing_Hat -o "$OUT/vary.png"
"$ganrt" sample "$OUT/demo.bin" --ckpt "$OUT/run" --seed 8 --cols 8 \
    --vary Black_Hair,Smiling,Male -o "$OUT/vary2.png"
"$ganrt" sample "$OUT/demo.bin" --ckpt "$OUT/run" --seed 3 -n 16 \
    --attr Eyeglasses=1,Black_Hair=1,Wearing_Hat=1 -o "$OUT/glasses_black_hat.png"

echo
echo "Pictures:"
echo "  $OUT/vary.png                one row per combination of Blond_Hair, Eyeglasses, Wearing_Hat;"
echo "                                each column keeps one z (the same face otherwise)"
echo "  $OUT/vary2.png               the same for Black_Hair, Smiling, Male"
echo "  $OUT/glasses_black_hat.png   16 faces asked for eyeglasses, black hair and a hat"
echo "  $OUT/run/samples/           the fixed-z grid over training"
echo "  $OUT/run/metrics.csv        losses per step"

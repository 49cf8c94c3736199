#!/bin/sh
# make demo: synthetic labelled faces -> models/demo.gan -> a few minutes of training -> a grid
# in which each row asks for one attribute combination. Nothing is downloaded.
set -eu
BUILD=${BUILD:-build/release}
OUT=${DEMO_OUT:-demo}
STEPS=${DEMO_STEPS:-1500}
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

echo "== 3/4 training for $STEPS steps on $THREADS threads (samples in $OUT/run/samples)"
"$ganrt" train "$OUT/demo.bin" --data "$OUT/data" --out "$OUT/run" --steps "$STEPS" \
    --threads "$THREADS" --seed 1

echo "== 4/4 sampling"
"$ganrt" sample "$OUT/demo.bin" --ckpt "$OUT/run" --seed 7 \
    --vary Smiling,Eyeglasses,Blond_Hair,Wearing_Hat -n 8 -o "$OUT/vary.png"
"$ganrt" sample "$OUT/demo.bin" --ckpt "$OUT/run" --seed 3 -n 8 \
    --attr Smiling=1,Eyeglasses=1,Black_Hair=1 -o "$OUT/smiling_glasses.png"

echo
echo "Pictures:"
echo "  $OUT/vary.png               each row one face; columns toggle Smiling, Eyeglasses, Blond_Hair, Wearing_Hat"
echo "  $OUT/smiling_glasses.png    faces asked to smile, wear glasses and have black hair"
echo "  $OUT/run/samples/           the fixed-z grid over training"
echo "  $OUT/run/metrics.csv        losses per step"

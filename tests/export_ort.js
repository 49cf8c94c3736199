// Runs exported ONNX generators in ONNX Runtime (onnxruntime-node) and compares them with
// ganrt's own output. Called by tests/export_check.sh; see tests/test_export.c for the files.
//   node export_ort.js TOL CASE...
// CASE is a path prefix: CASE.onnx, CASE.json ({"z": [n, Z], "labels": [n, L] | null,
// "image": [n, C, H, W]}), CASE.z.f32, CASE.labels.f32, CASE.ref.f32 (raw little-endian).
// Prints one line per case; exit 0 when every case is within TOL, 1 otherwise.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function f32(file) {
    const b = fs.readFileSync(file);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

async function check(prefix, tol) {
    const name = path.basename(prefix);
    const meta = JSON.parse(fs.readFileSync(prefix + '.json', 'utf8'));
    const s = await ort.InferenceSession.create(prefix + '.onnx', { intraOpNumThreads: 2 });
    const want = meta.labels ? ['z', 'labels'] : ['z'];
    if (s.inputNames.join(',') !== want.join(',') || s.outputNames.join(',') !== 'image')
        throw new Error(`inputs ${s.inputNames} / outputs ${s.outputNames}, want ${want} / image`);
    const feeds = { z: new ort.Tensor('float32', f32(prefix + '.z.f32'), meta.z) };
    if (meta.labels)
        feeds.labels = new ort.Tensor('float32', f32(prefix + '.labels.f32'), meta.labels);
    const img = (await s.run(feeds)).image;
    if (img.dims.join(',') !== meta.image.join(','))
        throw new Error(`image is [${img.dims}], want [${meta.image}]`);
    const ref = f32(prefix + '.ref.f32');
    if (ref.length !== img.data.length)
        throw new Error(`${img.data.length} values, ganrt gave ${ref.length}`);
    let d = 0, lo = Infinity, hi = -Infinity;
    for (let i = 0; i < ref.length; i++) {
        const e = Math.abs(img.data[i] - ref[i]);
        if (!(e <= d)) d = e; // NaN sticks
        lo = Math.min(lo, img.data[i]);
        hi = Math.max(hi, img.data[i]);
    }
    const ok = d <= tol;
    console.log(`${name}: max_abs_diff ${d.toExponential(3)} over ${ref.length} values, ` +
                `image [${img.dims}] in [${lo.toFixed(3)}, ${hi.toFixed(3)}] ${ok ? 'ok' : 'MISMATCH'}`);
    return ok;
}

async function main() {
    const tol = parseFloat(process.argv[2]);
    let bad = 0;
    for (const prefix of process.argv.slice(3)) {
        try {
            if (!(await check(prefix, tol)))
                bad++;
        } catch (e) {
            console.log(`${path.basename(prefix)}: ERROR ${e.message}`);
            bad++;
        }
    }
    console.log(`onnxruntime-node ${require('onnxruntime-node/package.json').version}: ` +
                `${process.argv.length - 3 - bad} of ${process.argv.length - 3} match within ${tol}`);
    process.exit(bad ? 1 : 0);
}
main();

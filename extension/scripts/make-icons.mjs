// Draws the extension's icons (a white check mark on a label-shaped blue badge) as PNG files,
// without dependencies: `node scripts/make-icons.mjs`. The PNGs are committed; run this only
// to change them.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from './zip.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BLUE = [0x33, 0x46, 0xc8];
const WHITE = [0xff, 0xff, 0xff];

function roundedRectDistance(x, y, cx, cy, hw, hh, r) {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function segmentDistance(x, y, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - ax - t * dx, y - ay - t * dy);
}

/** Colour at a point of the unit square [0,1]^2: [r, g, b, a] with a in 0..1. */
function shade(x, y) {
  const badge = roundedRectDistance(x, y, 0.5, 0.5, 0.46, 0.46, 0.2) <= 0;
  if (!badge) return [0, 0, 0, 0];
  const w = 0.075;
  const check = Math.min(
    segmentDistance(x, y, 0.27, 0.52, 0.43, 0.68),
    segmentDistance(x, y, 0.43, 0.68, 0.74, 0.34),
  ) <= w;
  return check ? [...WHITE, 1] : [...BLUE, 1];
}

function render(size, samples = 4) {
  const px = Buffer.alloc(size * size * 4);
  for (let j = 0; j < size; j += 1) {
    for (let i = 0; i < size; i += 1) {
      let r = 0; let g = 0; let b = 0; let a = 0;
      for (let sj = 0; sj < samples; sj += 1) {
        for (let si = 0; si < samples; si += 1) {
          const [cr, cg, cb, ca] = shade((i + (si + 0.5) / samples) / size, (j + (sj + 0.5) / samples) / size);
          r += cr * ca; g += cg * ca; b += cb * ca; a += ca;
        }
      }
      const o = (j * size + i) * 4;
      const n = samples * samples;
      px[o] = a ? Math.round(r / a) : 0;
      px[o + 1] = a ? Math.round(g / a) : 0;
      px[o + 2] = a ? Math.round(b / a) : 0;
      px[o + 3] = Math.round((a / n) * 255);
    }
  }
  return px;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8;  // bit depth
  header[9] = 6;  // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y += 1) {
    raw[y * (size * 4 + 1)] = 0;  // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = join(here, '..', 'icons');
  mkdirSync(out, { recursive: true });
  for (const size of [16, 32, 48, 128]) {
    writeFileSync(join(out, `icon-${size}.png`), png(size, render(size)));
    console.log(`icons/icon-${size}.png`);
  }
}

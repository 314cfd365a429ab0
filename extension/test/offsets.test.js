import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codePointIndex, toUtf16, toCodePoint, locateSpan, segments } from '../lib/offsets.js';

// Python: len("🎉🎉 #ad") == 6; JS: "🎉🎉 #ad".length == 8
const EMOJI = '🎉🎉 #ad Nye sko';

test('code-point offsets become UTF-16 offsets across astral characters', () => {
  assert.equal(toUtf16(EMOJI, 3), 5);
  assert.equal(toUtf16(EMOJI, 6), 8);
  assert.equal(EMOJI.slice(toUtf16(EMOJI, 3), toUtf16(EMOJI, 6)), '#ad');
  assert.equal(toUtf16('abc', 2), 2);  // BMP text: identical
});

test('UTF-16 offsets become code points, and the two conversions round-trip', () => {
  assert.equal(toCodePoint(EMOJI, 5), 3);
  for (let cp = 0; cp <= [...EMOJI].length; cp += 1) {
    assert.equal(toCodePoint(EMOJI, toUtf16(EMOJI, cp)), cp);
  }
  assert.equal(toCodePoint('𝐛x', 1), 0, 'inside a surrogate pair rounds down');
});

test('offsets past the end are clamped', () => {
  assert.equal(toUtf16(EMOJI, 999), EMOJI.length);
  assert.equal(toUtf16(EMOJI, -1), 0);
});

test('a lone surrogate counts as one code point, as in Python', () => {
  const text = 'a\ud83cb #ad';  // broken emoji: Python's json.loads gives 'a\ud83cb #ad' (len 7)
  assert.deepEqual(locateSpan(text, { start: 4, end: 7, text: '#ad' }), { start: 4, end: 7 });
  assert.equal(codePointIndex(text).length - 1, 7);
});

test('locateSpan uses the offsets when they land on the quoted text', () => {
  assert.deepEqual(locateSpan(EMOJI, { start: 3, end: 6, text: '#ad' }), { start: 5, end: 8 });
});

test('locateSpan does not trust UTF-16 style offsets blindly: it finds the quoted text nearest to them', () => {
  // A server that counted UTF-16 units would say 5..8; that lands on "d N"
  assert.deepEqual(locateSpan(EMOJI, { start: 5, end: 8, text: '#ad' }), { start: 5, end: 8 });
  const twice = '#ad one 🎉 #ad two';
  // the second '#ad' is at code points 10..13, UTF-16 11..14
  assert.deepEqual(locateSpan(twice, { start: 10, end: 13, text: '#ad' }), { start: 11, end: 14 });
  assert.equal(locateSpan(twice, { start: 0, end: 3, text: 'nowhere' }), null);
});

test('locateSpan rejects nonsense spans', () => {
  assert.equal(locateSpan('abc', { start: 2, end: 1 }), null);
  assert.equal(locateSpan('abc', { start: 0, end: 10 }), null);
  assert.equal(locateSpan('abc', null), null);
  assert.deepEqual(locateSpan('abc', { start: 1, end: 2 }), { start: 1, end: 2 });
});

test('segments cover the text exactly, with overlapping ranges split', () => {
  const text = 'Reklame for @nike #ad';
  const segs = segments(text, [{ start: 0, end: 11, id: 1 }, { start: 8, end: 17, id: 2 }]);
  assert.equal(segs.map((s) => s.text).join(''), text);
  assert.deepEqual(segs, [
    { text: 'Reklame ', ids: [1] },
    { text: 'for', ids: [1, 2] },
    { text: ' @nike', ids: [2] },
    { text: ' #ad', ids: [] },
  ]);
});

test('segments merge neighbours with the same findings and ignore invalid ranges', () => {
  const segs = segments('abcdef', [{ start: 1, end: 3, id: 1 }, { start: 3, end: 5, id: 1 },
    { start: 4, end: 4, id: 2 }, { start: 5, end: 99, id: 3 }]);
  assert.deepEqual(segs, [{ text: 'a', ids: [] }, { text: 'bcde', ids: [1] }, { text: 'f', ids: [] }]);
  assert.deepEqual(segments('', []), []);
});

test('several overlapping spans of one finding mark the text once', () => {
  // the service quotes 'code RUN20 for', 'code RUN20', 'code RUN20' for one finding
  const text = 'Use code RUN20 for 20% off';
  const segs = segments(text, [{ start: 4, end: 18, id: 1 }, { start: 4, end: 14, id: 1 }, { start: 4, end: 14, id: 1 }]);
  assert.deepEqual(segs, [{ text: 'Use ', ids: [] }, { text: 'code RUN20 for', ids: [1] }, { text: ' 20% off', ids: [] }]);
});

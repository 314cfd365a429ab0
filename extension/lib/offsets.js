// The service reports spans as Python string indices: code points. JavaScript strings are
// UTF-16, where an astral character (most emoji, 𝐛𝐨𝐥𝐝 letters) takes two code units. These
// helpers convert, check the span against the text the service quoted, and cut the text into
// segments for highlighting.

/** For each code-point index 0..n, the UTF-16 index where that code point starts. */
export function codePointIndex(text) {
  const starts = [0];
  let u = 0;
  for (const ch of text) {  // iterates by code point (a lone surrogate counts as one, like Python)
    u += ch.length;
    starts.push(u);
  }
  return starts;
}

/** Code-point offset -> UTF-16 offset (clamped to the text). */
export function toUtf16(text, cp, index = codePointIndex(text)) {
  if (!Number.isInteger(cp) || cp <= 0) return 0;
  return index[Math.min(cp, index.length - 1)];
}

/** UTF-16 offset -> code-point offset (an offset inside a surrogate pair rounds down). */
export function toCodePoint(text, u16) {
  let cp = 0;
  let u = 0;
  for (const ch of text) {
    if (u + ch.length > u16) break;
    u += ch.length;
    cp += 1;
  }
  return cp;
}

/**
 * Locate a service span in `text` (the exact string sent to the service).
 * Returns {start, end} in UTF-16 units, or null when the span cannot be placed. When the
 * offsets do not land on the quoted text (a server that counted differently), the quoted text
 * is searched for, nearest to where the offsets pointed.
 */
export function locateSpan(text, span, index = codePointIndex(text)) {
  if (!span || typeof text !== 'string') return null;
  const quoted = typeof span.text === 'string' ? span.text : null;
  const validOffsets = Number.isInteger(span.start) && Number.isInteger(span.end)
    && span.start >= 0 && span.end >= span.start && span.end <= index.length - 1;
  if (validOffsets) {
    const start = index[span.start];
    const end = index[span.end];
    if (quoted === null || text.slice(start, end) === quoted) {
      return end > start ? { start, end } : null;
    }
  }
  if (!quoted) return null;
  const hint = validOffsets ? index[span.start] : 0;
  let best = -1;
  for (let at = text.indexOf(quoted); at !== -1; at = text.indexOf(quoted, at + 1)) {
    if (best === -1 || Math.abs(at - hint) < Math.abs(best - hint)) best = at;
  }
  return best === -1 ? null : { start: best, end: best + quoted.length };
}

/**
 * Cut `text` into consecutive segments; `ranges` are {start, end, id} in UTF-16 units and may
 * overlap. Each segment lists the ids of the ranges covering it, once each (empty for plain text).
 * Joining the segments' text gives back `text` exactly.
 */
export function segments(text, ranges) {
  const valid = ranges.filter((r) => r && r.end > r.start && r.start >= 0 && r.end <= text.length);
  const cuts = new Set([0, text.length]);
  for (const r of valid) {
    cuts.add(r.start);
    cuts.add(r.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < points.length - 1; i += 1) {
    const [a, b] = [points[i], points[i + 1]];
    if (a === b) continue;
    const ids = [...new Set(valid.filter((r) => r.start <= a && r.end >= b).map((r) => r.id))];
    const last = out[out.length - 1];
    if (last && sameIds(last.ids, ids)) {
      last.text += text.slice(a, b);
    } else {
      out.push({ text: text.slice(a, b), ids });
    }
  }
  return out;
}

function sameIds(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

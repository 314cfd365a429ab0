import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../content/platforms.js';

const P = globalThis.AuditorPlatforms;

test('post pages are recognised, with their format', () => {
  const cases = [
    ['https://www.instagram.com/p/C1a2b3/', { platform: 'instagram', format: 'post', id: 'C1a2b3' }],
    ['https://www.instagram.com/nike/p/C1a2b3/?img_index=1', { platform: 'instagram', format: 'post', id: 'C1a2b3' }],
    ['https://www.instagram.com/reel/Cx_9-z/', { platform: 'instagram', format: 'reel', id: 'Cx_9-z' }],
    ['https://instagram.com/reels/Cx9z/', { platform: 'instagram', format: 'reel', id: 'Cx9z' }],
    ['https://www.tiktok.com/@creator.name/video/7312345678901234567', { platform: 'tiktok', format: 'video', id: '7312345678901234567' }],
    ['https://www.tiktok.com/@c/photo/7312345678901234567', { platform: 'tiktok', format: 'carousel', id: '7312345678901234567' }],
    ['https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10', { platform: 'youtube', format: 'video', id: 'dQw4w9WgXcQ' }],
    ['https://www.youtube.com/shorts/abcDEF12345', { platform: 'youtube', format: 'short', id: 'abcDEF12345' }],
  ];
  for (const [url, expected] of cases) assert.deepEqual(P.detect(url), expected, url);
});

test('other pages are not post pages', () => {
  for (const url of [
    'https://www.instagram.com/', 'https://www.instagram.com/nike/', 'https://www.instagram.com/explore/',
    'https://www.tiktok.com/@creator', 'https://www.tiktok.com/foryou', 'https://www.youtube.com/',
    'https://www.youtube.com/watch', 'https://www.youtube.com/@channel', 'http://www.instagram.com/p/abc/',
    'https://evil.example/www.instagram.com/p/abc/', 'https://instagram.com.evil.example/p/abc/', 'not a url',
  ]) assert.equal(P.detect(url), null, url);
});

test('the platform of a host, for selections on other pages of a platform', () => {
  assert.equal(P.platformOfHost('https://www.instagram.com/'), 'instagram');
  assert.equal(P.platformOfHost('https://x.com/a/status/1'), 'x');
  assert.equal(P.platformOfHost('https://mail.example.com/'), null);
  assert.equal(P.platformOfHost('https://notinstagram.com/'), null);
});

test('paid-partnership labels, with the brand when shown', () => {
  assert.deepEqual(P.matchPaidLabel('Paid partnership with nike'), { label: 'Paid partnership with nike', brand: 'nike' });
  assert.deepEqual(P.matchPaidLabel('  Paid\n partnership  '), { label: 'Paid partnership', brand: null });
  assert.deepEqual(P.matchPaidLabel('Includes paid promotion'), { label: 'Includes paid promotion', brand: null });
  assert.deepEqual(P.matchPaidLabel('Betalt partnerskap med @stormberg'), { label: 'Betalt partnerskap med @stormberg', brand: 'stormberg' });
  assert.deepEqual(P.matchPaidLabel('Bezahlte Partnerschaft mit adidas').brand, 'adidas');
  assert.equal(P.matchPaidLabel('Not a paid partnership, just love this'), null);
  assert.equal(P.matchPaidLabel('I love my paid partnership with nike so much, thanks'), null);
  assert.equal(P.matchPaidLabel(''), null);
});

test('captions are tidied: no "more" control, no trailing blanks, paragraphs kept', () => {
  assert.equal(P.cleanCaption('Nye sko!\r\n\r\n\r\n#reklame   \n… more'), 'Nye sko!\n\n#reklame');
  assert.equal(P.cleanCaption('Line one\u00a0and\nShow less'), 'Line one and');
  assert.equal(P.cleanCaption('Keep "more" inside'), 'Keep "more" inside');
});

test('the caption in Instagram\'s og:description', () => {
  assert.equal(P.captionFromInstagramMeta('1,234 likes, 56 comments - runner on May 1, 2024: "Reklame for @nike: nye sko 👟". '),
    'Reklame for @nike: nye sko 👟');
  assert.equal(P.captionFromInstagramMeta('See Instagram photos and videos from Nike'), null);
});

// A tiny stand-in for a document: selector -> elements. Real pages are covered by the
// end-to-end tests against fixtures in tests/extension/.
function fakeDoc(map) {
  const element = (spec) => ({
    textContent: spec.text ?? '', innerText: spec.text ?? '',
    getAttribute: (name) => (spec.attrs ?? {})[name] ?? null,
    querySelectorAll: () => (spec.children ?? []).map(element),
  });
  return {
    querySelector: (sel) => (map[sel] ? element(map[sel][0]) : null),
    querySelectorAll: (sel) => (map[sel] ?? []).map(element),
  };
}

test('extract: an Instagram post with the label in its header', () => {
  const doc = fakeDoc({
    'main article h1': [{ text: 'Nye sko fra @nike!\n#ad' }],
    'main header': [{ text: 'runner Paid partnership with nike', children: [{ text: 'runner' }, { text: 'Paid partnership with nike' }] }],
    'main header, article header': [{ text: 'x' }],
  });
  assert.deepEqual(P.extract(doc, 'https://www.instagram.com/p/ABC/'), {
    platform: 'instagram', format: 'post', text: 'Nye sko fra @nike!\n#ad', platform_label: true,
    label_text: 'Paid partnership with nike', brand: '@nike', url: 'https://www.instagram.com/p/ABC/',
  });
});

test('extract: no label where the header is read means "not shown"; unreadable page means "unknown"', () => {
  const shown = fakeDoc({
    'main article h1': [{ text: 'caption' }],
    'main header': [{ text: 'runner', children: [{ text: 'runner' }] }],
    'main header, article header': [{ text: 'runner' }],
  });
  assert.equal(P.extract(shown, 'https://www.instagram.com/p/ABC/').platform_label, false);
  const metaOnly = fakeDoc({
    'meta[property="og:description"]': [{ attrs: { content: '3 likes, 0 comments - runner on May 1, 2024: "Nye sko #reklame".' } }],
  });
  const post = P.extract(metaOnly, 'https://www.instagram.com/reel/XYZ/');
  assert.equal(post.text, 'Nye sko #reklame');
  assert.equal(post.format, 'reel');
  assert.equal(post.platform_label, null);
  assert.equal(P.extract(metaOnly, 'https://www.instagram.com/'), null);
});

test('extract: a YouTube video joins title and description and trusts the player data only for the same video', () => {
  const doc = fakeDoc({
    'h1.ytd-watch-metadata': [{ text: 'My new shoes' }],
    '#description-inline-expander yt-attributed-string': [{ text: 'Thanks to Nike for sponsoring\n…more' }],
    script: [{ text: 'var ytInitialPlayerResponse = {"videoDetails":{"videoId":"vid1"},"paidContentOverlay":{}}' }],
    '#movie_player, ytd-player, #shorts-player': [{ text: '' }],
  });
  const same = P.extract(doc, 'https://www.youtube.com/watch?v=vid1');
  assert.equal(same.text, 'My new shoes\n\nThanks to Nike for sponsoring');
  assert.equal(same.platform_label, true);
  const other = P.extract(doc, 'https://www.youtube.com/watch?v=vid2');
  assert.equal(other.platform_label, false);
});

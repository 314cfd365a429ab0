// Least privilege and safe rendering, as properties of the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectFiles, EXTENSION_DIR } from '../scripts/build.mjs';
import '../content/platforms.js';

const manifest = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8'));
const read = (file) => readFileSync(join(EXTENSION_DIR, file), 'utf8');

test('permissions: no host permissions up front; the server is asked for at run time', () => {
  assert.deepEqual([...manifest.permissions].sort(), ['activeTab', 'contextMenus', 'scripting', 'storage']);
  assert.equal(manifest.host_permissions, undefined);
  assert.deepEqual(manifest.optional_host_permissions, ['https://*/*', 'http://*/*']);
  assert.doesNotMatch(JSON.stringify(manifest), /<all_urls>|"\*:\/\/\*\/\*"|"tabs"|"cookies"|"webRequest"|"history"/);
});

test('content scripts run only on Instagram, TikTok and YouTube post pages', () => {
  assert.equal(manifest.content_scripts.length, 1);
  const [cs] = manifest.content_scripts;
  assert.deepEqual(cs.js, ['content/platforms.js', 'content/post.js']);
  for (const pattern of cs.matches) {
    assert.match(pattern, /^https:\/\/www\.(instagram|tiktok|youtube)\.com\/.+/, pattern);
    // a concrete URL for the pattern must be a post page the reader understands
    const sample = pattern.replace('/@*/', '/@someone/').replace('/*/p/', '/someone/p/').replace('/*/reel/', '/someone/reel/')
      .replace('watch*', 'watch?v=abc123').replace(/\*$/, pattern.includes('tiktok') ? '123456' : 'ABC123');
    assert.ok(globalThis.AuditorPlatforms.detect(sample), `${pattern} (${sample}) is a post page`);
  }
  assert.equal(manifest.web_accessible_resources, undefined, 'no extension files exposed to pages');
});

test('one manifest for both browsers: service worker for Chromium, scripts + gecko id for Firefox', () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.background.service_worker, 'background.js');
  assert.deepEqual(manifest.background.scripts, ['background.js']);
  assert.equal(manifest.background.type, 'module');
  assert.match(manifest.browser_specific_settings.gecko.id, /@/);
  assert.match(manifest.content_security_policy.extension_pages, /^script-src 'self'; object-src 'self'$/);
});

test('only the service worker makes network requests', () => {
  const offenders = collectFiles().filter((f) => f.endsWith('.js') && f !== 'lib/client.js')
    .filter((f) => /\bfetch\s*\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon/.test(read(f)));
  // background.js hands the global fetch to the service; lib/client.js is the one caller.
  assert.deepEqual(offenders, ['background.js']);
  for (const page of ['popup/popup.js', 'options/options.js', 'content/post.js', 'content/platforms.js']) {
    assert.doesNotMatch(read(page), /lib\/client\.js|lib\/service\.js/, `${page} does not import the client`);
  }
});

test('post text and server answers are never parsed as HTML', () => {
  for (const f of collectFiles().filter((x) => x.endsWith('.js'))) {
    assert.doesNotMatch(read(f), /\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|createContextualFragment/, f);
  }
});

test('the API key is kept in local (not synced) storage, and read only by the service worker and options', () => {
  for (const f of collectFiles().filter((x) => x.endsWith('.js'))) {
    assert.doesNotMatch(read(f), /storage\.sync/, `${f} does not use synced storage`);
  }
  assert.doesNotMatch(read('content/post.js'), /storage\./, 'content scripts do not read storage');
});

test('the popup and the content scripts never touch the API key', () => {
  for (const f of ['popup/popup.js', 'content/post.js', 'content/platforms.js', 'lib/render.js', 'lib/verdict.js']) {
    assert.doesNotMatch(read(f), /apiKey|STORAGE_KEYS/, f);
  }
});

// The service worker's wiring, with a fake browser API: who may ask for what, the result
// window, the context menu.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { jsonResponse, VERDICT } from '../testlib/fakes.js';

const EXT = 'chrome-extension://abcdefgh/';
const state = { local: {}, session: {}, menus: [], windows: [], fetches: [], scripts: null };
const listeners = {};
const event = (name) => ({ addListener: (fn) => { listeners[name] = fn; } });
const pick = (obj, keys) => {
  if (keys === null || keys === undefined) return { ...obj };
  const list = Array.isArray(keys) ? keys : [keys];
  return Object.fromEntries(list.filter((k) => k in obj).map((k) => [k, obj[k]]));
};

before(async () => {
  globalThis.chrome = {
    runtime: {
      id: 'abcdefgh', getURL: (p) => `${EXT}${p}`,
      onInstalled: event('installed'), onStartup: event('startup'), onMessage: event('message'),
    },
    storage: {
      local: { get: async (keys) => pick(state.local, keys) },
      session: {
        get: async (keys) => pick(state.session, keys),
        set: async (items) => { Object.assign(state.session, items); },
        remove: async (keys) => { for (const k of [].concat(keys)) delete state.session[k]; },
      },
    },
    contextMenus: {
      removeAll: async () => { state.menus = []; },
      create: (item) => { state.menus.push(item); },
      onClicked: event('menu'),
    },
    scripting: { executeScript: async (args) => state.scripts(args) },
    windows: { create: async (opts) => { state.windows.push(opts); return { id: state.windows.length }; } },
    tabs: { create: async () => { throw new Error('not expected'); } },
  };
  globalThis.fetch = async (url, init) => {
    state.fetches.push({ url: String(url), init });
    return jsonResponse(200, VERDICT);
  };
  await import('../background.js');
});

function send(message, sender) {
  return new Promise((resolve) => {
    const asynchronous = listeners.message(message, sender, resolve);
    assert.equal(asynchronous, true);
  });
}

const PAGE = { id: 'abcdefgh', url: `${EXT}popup/popup.html` };
const POST_TAB = { id: 'abcdefgh', url: 'https://www.instagram.com/p/ABC/', tab: { id: 7, url: 'https://www.instagram.com/p/ABC/' } };
const OTHER_TAB = { id: 'abcdefgh', url: 'https://mail.example.com/', tab: { id: 8, url: 'https://mail.example.com/' } };
const configure = () => {
  state.local = { serverUrl: 'https://auditor.example.com', apiKey: 'secret-key', countries: ['NO'], platform: 'instagram', relationship: 'paid' };
};

test('the extension pages may check; the answer carries the verdict but never the key', async () => {
  configure();
  state.fetches = [];
  const res = await send({ type: 'check', post: { text: '🎉🎉 #ad Nye sko' } }, PAGE);
  assert.equal(res.ok, true);
  assert.equal(res.verdict.status, 'violation');
  assert.equal(state.fetches.length, 1);
  assert.equal(state.fetches[0].url, 'https://auditor.example.com/api/v1/check');
  assert.equal(JSON.stringify(res).includes('secret-key'), false);
  const status = await send({ type: 'status' }, PAGE);
  assert.deepEqual(status, { ok: true, configured: true });
});

test('content scripts may not check, test connections or take pending checks', async () => {
  configure();
  state.fetches = [];
  for (const type of ['check', 'testConnection', 'meta', 'takePending', 'status']) {
    const res = await send({ type, post: { text: 'x' }, settings: { serverUrl: 'https://evil.example', apiKey: 'k' } }, POST_TAB);
    assert.equal(res.ok, false, type);
    assert.equal(res.error.code, 'refused', type);
  }
  const foreign = await send({ type: 'check', post: { text: 'x' } }, { ...PAGE, id: 'another-extension' });
  assert.equal(foreign.error.code, 'refused');
  assert.equal(state.fetches.length, 0);
});

test('a post page hands its post over; the result window takes it once', async () => {
  state.windows = [];
  const res = await send({
    type: 'checkPost',
    post: { text: 'Nye sko #ad', platform: 'instagram', format: 'post', platform_label: true, label_text: 'Paid partnership with nike', brand: '@nike', apiKey: 'x' },
  }, POST_TAB);
  assert.deepEqual(res, { ok: true });
  assert.equal(state.windows.length, 1);
  const url = new URL(state.windows[0].url);
  assert.equal(state.windows[0].url.split('?')[0], 'chrome-extension://abcdefgh/popup/popup.html');
  assert.equal(state.windows[0].type, 'popup');
  const id = url.searchParams.get('pending');
  const first = await send({ type: 'takePending', id }, PAGE);
  assert.deepEqual(first.pending.post, {
    text: 'Nye sko #ad', platform: 'instagram', format: 'post', platform_label: true,
    label_text: 'Paid partnership with nike', brand: '@nike',
  });
  assert.deepEqual(first.pending.source, { kind: 'post', host: 'www.instagram.com' });
  assert.equal((await send({ type: 'takePending', id }, PAGE)).pending, null);
  assert.equal((await send({ type: 'takePending', id: '../../x' }, PAGE)).pending, null);
});

test('only post pages may hand over a post', async () => {
  state.windows = [];
  const res = await send({ type: 'checkPost', post: { text: 'x' } }, OTHER_TAB);
  assert.equal(res.error.code, 'refused');
  assert.equal(state.windows.length, 0);
});

test('old pending checks are dropped', async () => {
  state.session = { 'pending:stale': { post: {}, createdAt: Date.now() - 11 * 60 * 1000 }, other: 1 };
  await send({ type: 'checkPost', post: { text: 'x', platform: 'instagram' } }, POST_TAB);
  assert.equal('pending:stale' in state.session, false);
  assert.equal(state.session.other, 1);
});

test('the context menu: "Check ad disclosure" on selections', async () => {
  await listeners.installed();
  assert.deepEqual(state.menus, [{ id: 'auditor-check-selection', title: 'Check ad disclosure', contexts: ['selection'] }]);
});

test('a menu click reads the selection with its line breaks where it may, else uses selectionText', async () => {
  const { handleMenuClick, MENU_ID } = globalThis.auditor;
  state.windows = [];
  state.scripts = async () => [{ result: { text: 'Nye sko\n#ad', kind: 'selection' } }];
  let id = await handleMenuClick({ menuItemId: MENU_ID, selectionText: 'Nye sko #ad', pageUrl: 'https://mail.example.com/m/1', frameId: 0 }, { id: 3 });
  let pending = (await send({ type: 'takePending', id }, PAGE)).pending;
  assert.equal(pending.post.text, 'Nye sko\n#ad');
  assert.deepEqual(pending.source, { kind: 'menu', host: 'mail.example.com' });
  assert.equal(pending.post.platform, null);

  state.scripts = async () => { throw new Error('Cannot access contents of the page'); };
  id = await handleMenuClick({ menuItemId: MENU_ID, selectionText: 'Nye sko #ad', pageUrl: 'https://www.tiktok.com/@a/video/123', frameId: 0 }, { id: 4 });
  pending = (await send({ type: 'takePending', id }, PAGE)).pending;
  assert.equal(pending.post.text, 'Nye sko #ad');
  assert.equal(pending.post.platform, 'tiktok');
  assert.equal(pending.post.format, 'video');
  assert.equal(state.windows.length, 2);
  assert.equal(await handleMenuClick({ menuItemId: 'something-else' }, { id: 4 }), null);
});

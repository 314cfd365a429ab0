// The service worker (Chromium) / background script (Firefox): the only part of the extension
// that talks to the auditor server. Pages and content scripts ask it by message.
import { ext } from './lib/browser.js';
import { createService } from './lib/service.js';
import { STORAGE_KEYS, isConfigured, withDefaults } from './lib/settings.js';
import { readSelection } from './lib/selection.js';
import './content/platforms.js';

const MENU_ID = 'auditor-check-selection';
const PENDING_PREFIX = 'pending:';
const PENDING_TTL_MS = 10 * 60 * 1000;
const Platforms = globalThis.AuditorPlatforms;

const service = createService({
  fetchImpl: (...args) => fetch(...args),
  loadSettings: () => ext.storage.local.get(STORAGE_KEYS),
});

// --- who may ask what -------------------------------------------------------------------------

function fromExtensionPage(sender) {
  return sender?.id === ext.runtime.id && typeof sender.url === 'string'
    && sender.url.startsWith(ext.runtime.getURL(''));
}

function fromPostPage(sender) {
  return sender?.id === ext.runtime.id && sender.tab && Platforms.detect(sender.url ?? sender.tab.url) !== null;
}

// --- pending checks: a check started from a page, shown in a result window -----------------------

async function dropExpiredPending() {
  const all = await ext.storage.session.get(null);
  const old = Object.keys(all).filter((k) => k.startsWith(PENDING_PREFIX)
    && !(Date.now() - (all[k]?.createdAt ?? 0) <= PENDING_TTL_MS));
  if (old.length) await ext.storage.session.remove(old);
}

async function storePending(pending) {
  await dropExpiredPending();  // windows closed before they loaded leave theirs behind
  const id = crypto.randomUUID();
  await ext.storage.session.set({ [PENDING_PREFIX + id]: { ...pending, createdAt: Date.now() } });
  return id;
}

async function takePending(id) {
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return null;
  const key = PENDING_PREFIX + id;
  const got = await ext.storage.session.get(key);
  await ext.storage.session.remove(key);
  const pending = got[key];
  if (!pending || Date.now() - pending.createdAt > PENDING_TTL_MS) return null;
  return pending;
}

async function openResultWindow(pendingId) {
  const url = ext.runtime.getURL(`popup/popup.html?pending=${encodeURIComponent(pendingId)}`);
  try {
    return await ext.windows.create({ url, type: 'popup', width: 480, height: 680 });
  } catch {
    return ext.tabs.create({ url });  // browsers without popup windows (Android)
  }
}

// --- context menu ---------------------------------------------------------------------------

async function createMenu() {
  if (!ext.contextMenus) return;  // Firefox for Android has no context menus
  await ext.contextMenus.removeAll();
  ext.contextMenus.create({ id: MENU_ID, title: 'Check ad disclosure', contexts: ['selection'] });
}

async function handleMenuClick(info, tab) {
  if (info.menuItemId !== MENU_ID) return null;
  let text = typeof info.selectionText === 'string' ? info.selectionText : '';
  // selectionText loses the line breaks; read the selection itself where we may (activeTab).
  if (tab?.id !== undefined && tab.id >= 0) {
    try {
      const [res] = await ext.scripting.executeScript({
        target: { tabId: tab.id, frameIds: [info.frameId ?? 0] },
        func: readSelection,
      });
      if (res?.result?.text?.trim()) text = res.result.text;
    } catch {
      // a page we may not script (browser pages, the web store): keep selectionText
    }
  }
  const pageUrl = info.frameUrl || info.pageUrl || tab?.url || '';
  const post = Platforms.detect(pageUrl);
  let host = '';
  try {
    host = new URL(pageUrl).hostname;
  } catch {
    host = '';
  }
  const id = await storePending({
    post: { text, platform: post?.platform ?? Platforms.platformOfHost(pageUrl), format: post?.format },
    source: { kind: 'menu', host },
  });
  await openResultWindow(id);
  return id;
}

ext.runtime.onInstalled.addListener(() => { createMenu(); });
ext.runtime.onStartup?.addListener(() => { createMenu(); });
ext.contextMenus?.onClicked.addListener((info, tab) => { handleMenuClick(info, tab); });

// --- messages ---------------------------------------------------------------------------------

async function handleMessage(message, sender) {
  const type = message?.type;
  if (fromExtensionPage(sender)) {
    switch (type) {
      case 'check': return service.check(message.post ?? {});
      case 'testConnection': return service.testConnection(message.settings ?? {});
      case 'meta': return service.meta();
      case 'status': return { ok: true, configured: isConfigured(withDefaults(await ext.storage.local.get(STORAGE_KEYS))) };
      case 'takePending': return { ok: true, pending: await takePending(message.id) };
      default: break;
    }
  }
  if (type === 'checkPost' && fromPostPage(sender)) {
    const p = message.post ?? {};
    const id = await storePending({
      post: {
        text: String(p.text ?? ''), platform: p.platform, format: p.format,
        platform_label: typeof p.platform_label === 'boolean' ? p.platform_label : null,
        label_text: typeof p.label_text === 'string' ? p.label_text : null,
        brand: typeof p.brand === 'string' ? p.brand : null,
      },
      source: { kind: 'post', host: new URL(sender.url ?? sender.tab.url).hostname },
      autoRun: true,
    });
    await openResultWindow(id);
    return { ok: true };
  }
  return { ok: false, error: { code: 'refused', title: 'Not allowed', message: `Unknown request "${type}".` } };
}

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  handleMessage(message, sender).then(sendResponse, (err) => sendResponse({
    ok: false,
    error: { code: 'internal', title: 'The extension failed', message: String(err?.message ?? err), hint: null, action: 'retry' },
  }));
  return true;  // answer asynchronously
});

// For debugging from the service worker console, and for the end-to-end tests, which cannot
// click a native context menu.
globalThis.auditor = Object.freeze({ handleMenuClick, handleMessage, MENU_ID, service });

// Content script on Instagram, TikTok and YouTube post pages: offers "Check ad disclosure" for
// the post on the page. It reads the caption and the platform's paid-partnership label and
// hands them to the service worker, which opens the result in the extension's own window (the
// verdict is never put into the page). Needs content/platforms.js loaded first.
(function auditorPostPage() {
  'use strict';

  if (globalThis.__auditorPostPage) return;
  globalThis.__auditorPostPage = true;

  const api = globalThis.browser ?? globalThis.chrome;
  const Platforms = globalThis.AuditorPlatforms;
  let host = null;
  let note = null;
  let dismissedFor = null;

  const STYLE = `
    :host { all: initial; }
    .wrap { position: fixed; right: 18px; bottom: 18px; z-index: 2147483647;
      display: flex; flex-direction: column; align-items: flex-end; gap: 6px;
      font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
    .bar { display: flex; align-items: stretch; border-radius: 999px; overflow: hidden;
      box-shadow: 0 2px 10px rgba(0,0,0,.25); }
    button { font: inherit; border: 0; cursor: pointer; background: #3346c8; color: #fff; }
    .check { padding: 8px 14px; font-weight: 600; }
    .check:hover, .close:hover { background: #2636a6; }
    .close { padding: 8px 10px; border-left: 1px solid rgba(255,255,255,.3); }
    .note { max-width: 280px; background: #fff; color: #1d2230; border: 1px solid #d9dde6;
      border-radius: 8px; padding: 8px 10px; box-shadow: 0 2px 10px rgba(0,0,0,.15); }
    .note[hidden] { display: none; }
  `;

  function showNote(text) {
    if (!note) return;
    note.textContent = text;
    note.hidden = !text;
  }

  async function onCheck(event) {
    // Only a person's click: the page's own scripts can reach this button (it is in the page)
    // and must not be able to start checks or open windows.
    if (!event || !event.isTrusted) return;
    showNote('');
    const post = Platforms.extract(document, location.href);
    if (!post || !post.text) {
      showNote('Could not find the caption on this page. Select it, then right-click and choose "Check ad disclosure".');
      return;
    }
    try {
      const answer = await api.runtime.sendMessage({ type: 'checkPost', post });
      if (!answer || !answer.ok) showNote((answer && answer.error && answer.error.message) || 'The extension did not answer.');
    } catch (err) {
      showNote(`The extension did not answer (${err && err.message ? err.message : err}). Reload the page and try again.`);
    }
  }

  function mount() {
    host = document.createElement('auditor-check');
    const shadow = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    const wrap = document.createElement('div');
    wrap.className = 'wrap';
    note = document.createElement('div');
    note.className = 'note';
    note.hidden = true;
    note.setAttribute('role', 'status');
    const bar = document.createElement('div');
    bar.className = 'bar';
    const check = document.createElement('button');
    check.type = 'button';
    check.className = 'check';
    check.textContent = 'Check ad disclosure';
    check.title = 'Check whether this post is labelled as advertising the way its audience countries require';
    check.addEventListener('click', onCheck);
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'close';
    close.textContent = '×';
    close.title = 'Hide on this post';
    close.setAttribute('aria-label', 'Hide the check button on this post');
    close.addEventListener('click', () => {
      dismissedFor = location.href;
      unmount();
    });
    bar.append(check, close);
    wrap.append(note, bar);
    shadow.append(style, wrap);
    document.documentElement.append(host);
  }

  function unmount() {
    if (host) host.remove();
    host = null;
    note = null;
  }

  function sync() {
    const onPost = Platforms.detect(location.href) !== null && dismissedFor !== location.href;
    if (onPost && !host) mount();
    else if (!onPost && host) unmount();
    else if (onPost && host && !host.isConnected) document.documentElement.append(host);
  }

  api.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (sender.id !== api.runtime.id || !message || message.type !== 'getPost') return false;
    sendResponse({ post: Platforms.extract(document, location.href) });
    return false;
  });

  // The platforms are single-page apps: follow in-page navigation.
  document.addEventListener('yt-navigate-finish', sync);
  globalThis.addEventListener('popstate', sync);
  setInterval(sync, 1000);
  sync();
}());

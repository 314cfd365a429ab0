// The popup (and the result window opened from the context menu or a post page). It never
// talks to the server itself: it asks the service worker.
import { ext } from '../lib/browser.js';
import { PLATFORMS, RELATIONSHIPS, parseCountries, withDefaults } from '../lib/settings.js';
import { readSelection, SOURCE_LABELS } from '../lib/selection.js';
import { viewModel } from '../lib/verdict.js';
import { el, renderError, renderResult } from '../lib/render.js';
import '../content/platforms.js';

const Platforms = globalThis.AuditorPlatforms;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { brand: null, format: null };

if (params.has('pending') || params.has('tab')) document.documentElement.classList.add('in-window');

function send(message) {
  return ext.runtime.sendMessage(message);
}

function openOptions() {
  ext.runtime.openOptionsPage();
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([id, name]) => el('option', { value: id }, name)));
  if (value !== undefined && value !== null) select.value = value;
}

function showSource(text) {
  const p = $('source');
  p.textContent = text;
  p.hidden = !text;
}

function labelSelectValue(value) {
  return value === true ? 'true' : value === false ? 'false' : '';
}

function applyPost(post, sourceText) {
  $('text').value = post.text ?? '';
  if (post.platform && PLATFORMS.some(([id]) => id === post.platform)) $('platform').value = post.platform;
  if (post.platform_label !== undefined) $('platform-label').value = labelSelectValue(post.platform_label);
  state.brand = post.brand ?? null;
  state.format = post.format ?? null;
  showSource(sourceText);
}

function describePost(post, host) {
  const name = PLATFORMS.find(([id]) => id === post.platform)?.[1] ?? post.platform;
  const what = post.format === 'video' || post.format === 'short' ? `${name} ${post.format}` : `${name} ${post.format ?? 'post'}`;
  const label = post.platform_label === true ? `label shown: "${post.label_text ?? 'Paid partnership'}"`
    : post.platform_label === false ? 'no paid-partnership label on the page'
      : 'paid-partnership label: could not tell';
  return `${what}${host ? ` on ${host}` : ''} · ${label}`;
}

// --- prefill from the page --------------------------------------------------------------------

async function activeTab() {
  if (params.has('tab')) {
    const id = Number(params.get('tab'));
    return Number.isInteger(id) ? ext.tabs.get(id).catch(() => null) : null;
  }
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab ?? null;
}

async function selectionIn(tabId) {
  let results = [];
  try {
    results = await ext.scripting.executeScript({ target: { tabId, allFrames: true }, func: readSelection });
  } catch {
    try {
      results = await ext.scripting.executeScript({ target: { tabId }, func: readSelection });
    } catch {
      return null;  // a page we may not read: the user pastes instead
    }
  }
  const found = results.map((r) => r?.result).filter((r) => r && r.text && r.text.trim());
  return found.find((r) => r.kind !== 'field') ?? found[0] ?? null;
}

async function postIn(tab) {
  try {  // the content script answers on post pages (even where the tab's URL is not visible to us)
    const answer = await ext.tabs.sendMessage(tab.id, { type: 'getPost' });
    if (answer?.post?.text) return answer.post;
  } catch {
    // no content script: not a post page, or one reached by in-app navigation
  }
  if (!tab.url || !Platforms.detect(tab.url)) return null;
  try {  // a post page without the content script: inject the reader (activeTab allows it)
    await ext.scripting.executeScript({ target: { tabId: tab.id }, files: ['content/platforms.js'] });
    const [res] = await ext.scripting.executeScript({
      target: { tabId: tab.id },
      func: () => globalThis.AuditorPlatforms?.extract(document, location.href) ?? null,
    });
    return res?.result?.text ? res.result : null;
  } catch {
    return null;
  }
}

async function prefillFromPage() {
  const tab = await activeTab();
  if (!tab || tab.id === undefined || tab.id < 0) return;
  const host = (() => {
    try {
      return new URL(tab.url).hostname;
    } catch {
      return '';
    }
  })();
  const selected = await selectionIn(tab.id);
  if (selected && selected.kind !== 'field') {
    applyPost({ text: selected.text, platform: Platforms.platformOfHost(tab.url ?? '') ?? undefined },
      `${SOURCE_LABELS[selected.kind]}${host ? ` on ${host}` : ''}`);
    return;
  }
  const post = await postIn(tab);
  if (post) {
    applyPost(post, describePost(post, ''));
    return;
  }
  if (selected) applyPost({ text: selected.text }, `${SOURCE_LABELS[selected.kind]}${host ? ` on ${host}` : ''}`);
}

// --- checking -------------------------------------------------------------------------------

function currentPost() {
  const label = $('platform-label').value;
  return {
    text: $('text').value,
    countries: $('countries').value,
    platform: $('platform').value,
    relationship: $('relationship').value || null,
    platform_label: label === 'true' ? true : label === 'false' ? false : undefined,
    format: state.format ?? undefined,
    brand: state.brand ?? undefined,
  };
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el('textarea', { class: 'offscreen', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    if (!ok) throw new Error('the browser refused the clipboard');
  }
}

let running = false;
async function runCheck() {
  if (running) return;
  running = true;
  const result = $('result');
  $('check').disabled = true;
  $('busy').hidden = false;
  result.setAttribute('aria-busy', 'true');
  try {
    const res = await send({ type: 'check', post: currentPost() });
    if (!res) throw new Error('no answer from the extension\'s background script');
    if (res.ok) {
      renderResult(result, viewModel(res.verdict, res.text), { onCopy: copyText });
    } else {
      renderError(result, res.error, { onOptions: openOptions, onRetry: runCheck });
    }
  } catch (err) {
    renderError(result, {
      code: 'internal', title: 'The check did not run',
      message: String(err?.message ?? err), hint: 'Reload the extension or try again.', action: 'retry',
    }, { onRetry: runCheck });
  } finally {
    running = false;
    $('check').disabled = false;
    $('busy').hidden = true;
    result.removeAttribute('aria-busy');
    // In the toolbar popup (600 px high at most) the answer starts below the fold: bring it up.
    if (result.getBoundingClientRect().top > window.innerHeight - 160) result.scrollIntoView({ block: 'start' });
    document.body.dataset.state = 'done';
  }
}

// --- start ----------------------------------------------------------------------------------

async function init() {
  // The defaults only: the popup never reads the API key (the service worker says if one is set).
  const settings = withDefaults(await ext.storage.local.get(['countries', 'platform', 'relationship']));
  const configured = Boolean((await send({ type: 'status' }))?.configured);
  fillSelect($('platform'), PLATFORMS, settings.platform);
  fillSelect($('relationship'), [['', 'Unknown'], ...RELATIONSHIPS], settings.relationship ?? '');
  $('countries').value = parseCountries(settings.countries).codes.join(', ');
  $('setup').hidden = configured;
  $('open-options').addEventListener('click', openOptions);
  $('setup-options').addEventListener('click', openOptions);
  $('check-form').addEventListener('submit', (event) => {
    event.preventDefault();
    runCheck();
  });
  $('text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runCheck();
    }
  });

  if (configured) {
    send({ type: 'meta' }).then((res) => {
      if (res?.ok && Array.isArray(res.data?.countries)) {
        $('known-countries').replaceChildren(...res.data.countries.map((c) => el('option', { value: c.code }, c.name ?? c.code)));
      }
    }).catch(() => {});
  }

  if (params.has('pending')) {
    const res = await send({ type: 'takePending', id: params.get('pending') });
    const pending = res?.pending;
    if (!pending) {
      renderError($('result'), {
        code: 'expired', title: 'Nothing to check',
        message: 'This check has expired or was already shown. Select the text again, or paste it above.',
      });
    } else {
      const { post, source } = pending;
      const text = source.kind === 'post' ? describePost(post, source.host)
        : `${SOURCE_LABELS[source.kind] ?? 'Text'}${source.host ? ` on ${source.host}` : ''}`;
      applyPost(post, text);
      await runCheck();  // the user asked for the check on the page; unset options show as an error
    }
  } else {
    await prefillFromPage().catch(() => {});
  }
  if (!$('text').value) $('text').focus();
  document.body.dataset.ready = 'true';
}

init().catch((err) => {
  renderError($('result'), {
    code: 'internal', title: 'The popup failed to start', message: String(err?.message ?? err),
    hint: 'Reload the extension.', action: null,
  });
  document.body.dataset.ready = 'true';
});

// The options page: server address, API key, defaults, and "Test connection" (which the
// service worker runs: pages never call the server themselves).
import { ext } from '../lib/browser.js';
import {
  PLATFORMS, RELATIONSHIPS, STORAGE_KEYS, normalizeServerUrl, parseCountries, withDefaults,
} from '../lib/settings.js';
import { el } from '../lib/render.js';

const $ = (id) => document.getElementById(id);
let savedPattern = null;

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([id, name]) => el('option', { value: id }, name)));
  select.value = value ?? '';
}

function fieldMessage(id, text) {
  const p = $(id);
  p.textContent = text ?? '';
  p.hidden = !text;
}

function status(text, tone = '') {
  const s = $('save-status');
  s.textContent = text;
  s.className = `status-line ${tone}`;
}

function formValues() {
  return {
    serverUrl: $('serverUrl').value,
    apiKey: $('apiKey').value.trim(),
    countries: $('countries').value,
    platform: $('platform').value,
    relationship: $('relationship').value,
  };
}

function validate() {
  const values = formValues();
  const server = normalizeServerUrl(values.serverUrl);
  fieldMessage('serverUrl-error', server.ok ? null : server.message);
  fieldMessage('serverUrl-warning', server.ok ? server.warning : null);
  const countries = parseCountries(values.countries);
  fieldMessage('countries-error', countries.invalid.length
    ? `Not a two-letter country code: ${countries.invalid.join(', ')}` : null);
  return { values, server, countries, ok: server.ok && !countries.invalid.length };
}

/** Ask for access to the server's origin. Must start inside the click (a user gesture). */
function requestAccess(pattern) {
  try {
    return Promise.resolve(ext.permissions.request({ origins: [pattern] })).then(
      (granted) => (granted ? 'granted' : 'denied'),
      (err) => `failed: ${err?.message ?? err}`,
    );
  } catch (err) {
    return Promise.resolve(`failed: ${err?.message ?? err}`);
  }
}

async function dropOldAccess(oldPattern, newPattern) {
  if (!oldPattern || oldPattern === newPattern) return;
  try {
    await ext.permissions.remove({ origins: [oldPattern] });
  } catch {
    // it was never granted
  }
}

function onSave(event) {
  event.preventDefault();
  const { values, server, countries, ok } = validate();
  if (!ok) {
    status('Not saved: fix the fields marked in red.', 'bad');
    return;
  }
  const access = requestAccess(server.pattern);  // first, while the click still counts as a gesture
  const settings = {
    serverUrl: server.url,
    apiKey: values.apiKey,
    countries: countries.codes,
    platform: values.platform,
    relationship: values.relationship,
  };
  status('Saving…');
  ext.storage.local.set(settings).then(async () => {
    $('serverUrl').value = server.url;
    $('countries').value = countries.codes.join(', ');
    const previous = savedPattern;
    savedPattern = server.pattern;
    status(`Saved. Asking for permission to reach ${server.origin}…`, 'ok');
    document.body.dataset.saved = 'true';
    const answer = await access;
    if (answer === 'granted') {
      await dropOldAccess(previous, server.pattern);
      status(`Saved. The extension may reach ${server.origin}.`, 'ok');
    } else {
      status(`Saved, but access to ${server.origin} was not granted (${answer}). Checks still work if the `
        + 'server answers browser-extension origins (auditor servers do); otherwise save again and allow access.', 'bad');
    }
  }, (err) => status(`Not saved: ${err?.message ?? err}`, 'bad'));
}

async function onTest() {
  const { values, server } = validate();
  const list = $('test-steps');
  $('test-result').hidden = false;
  list.replaceChildren(el('li', { class: 'pending' }, el('span', { class: 'mark' }, '…'),
    el('span', { class: 'title' }, `Testing ${server.ok ? server.url : 'the address'}…`)));
  $('test').disabled = true;
  let report;
  try {
    report = await ext.runtime.sendMessage({ type: 'testConnection', settings: values });
  } catch (err) {
    report = { ok: false, steps: [{ id: 'internal', ok: false, title: 'The extension failed', detail: String(err?.message ?? err) }] };
  } finally {
    $('test').disabled = false;
  }
  list.replaceChildren(...report.steps.map((step) => el('li',
    { class: step.ok ? 'ok' : 'bad', dataset: { step: step.id } },
    el('span', { class: 'mark', 'aria-hidden': 'true' }, step.ok ? '✓' : '✗'),
    el('span', { class: 'title' }, step.title),
    el('span', { class: 'detail' }, step.detail))));
  list.dataset.ok = String(report.ok);
}

async function init() {
  const settings = withDefaults(await ext.storage.local.get(STORAGE_KEYS));
  $('serverUrl').value = settings.serverUrl;
  $('apiKey').value = settings.apiKey;
  $('countries').value = settings.countries.join(', ');
  fillSelect($('platform'), PLATFORMS, settings.platform);
  fillSelect($('relationship'), [['', 'Unknown (detect from the wording)'], ...RELATIONSHIPS], settings.relationship);
  const server = normalizeServerUrl(settings.serverUrl);
  savedPattern = server.ok ? server.pattern : null;
  $('options-form').addEventListener('submit', onSave);
  $('test').addEventListener('click', onTest);
  // Re-check as the user types only once a message is shown (validating on blur would move the
  // buttons under the pointer between mouse down and up, and swallow the click).
  for (const id of ['serverUrl', 'countries']) {
    $(id).addEventListener('input', () => {
      if (!$('serverUrl-error').hidden || !$('countries-error').hidden || !$('serverUrl-warning').hidden) validate();
    });
  }
  $('toggle-key').addEventListener('click', () => {
    const shown = $('apiKey').type === 'text';
    $('apiKey').type = shown ? 'password' : 'text';
    $('toggle-key').textContent = shown ? 'Show' : 'Hide';
  });
  document.body.dataset.ready = 'true';
}

init();

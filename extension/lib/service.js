// What the service worker does, without the browser wiring (background.js adds that), so the
// unit tests can drive it with a fake fetch and fake storage. The only module that calls the
// server; the API key never leaves it except in the Authorization header to the configured
// server.
import { apiRequest, notConfiguredError } from './client.js';
import { RELATIONSHIPS, isConfigured, normalizeServerUrl, parseCountries, withDefaults, STORAGE_KEYS } from './settings.js';

const PLATFORM_IDS = new Set(['instagram', 'facebook', 'threads', 'tiktok', 'youtube', 'x', 'pinterest',
  'snapchat', 'twitch', 'linkedin', 'blog']);
const FORMAT_IDS = new Set(['post', 'story', 'reel', 'video', 'short', 'live', 'carousel', 'pin', 'article', 'tweet']);
const RELATIONSHIP_IDS = new Set(RELATIONSHIPS.map(([id]) => id));
export const MAX_TEXT_LENGTH = 100000;

/**
 * Build the /api/v1/check body from what a page sent. Only known fields with the right types
 * go out; page URLs are not sent. Returns {ok, body} or {ok: false, error}.
 */
export function buildCheckBody(post, settings) {
  const text = typeof post?.text === 'string' ? post.text : '';
  if (!text.trim()) {
    return {
      ok: false,
      error: {
        code: 'missing_text', title: 'Nothing to check',
        message: 'Type or paste the caption to check, or select it on the page first.', hint: null, action: null,
      },
    };
  }
  if (text.length > MAX_TEXT_LENGTH) {
    return {
      ok: false,
      error: {
        code: 'too_large', title: 'The text is too long',
        message: `The text has ${text.length.toLocaleString('en')} characters; check the caption on its own.`,
        hint: null, action: null,
      },
    };
  }
  const { codes, invalid } = parseCountries(post.countries ?? settings.countries);
  if (invalid.length) {
    return {
      ok: false,
      error: {
        code: 'unknown_country', title: 'Unknown audience country',
        message: `"${invalid.join('", "')}" is not a two-letter country code.`,
        hint: 'Use codes such as NO, DE, GB, separated by commas.', action: null,
      },
    };
  }
  if (!codes.length) {
    return {
      ok: false,
      error: {
        code: 'missing_country', title: 'No audience country',
        message: 'Choose the countries whose audience the post targets (for example NO, DE).',
        hint: 'Set default countries in Options to have them filled in.', action: null,
      },
    };
  }
  const body = { id: 'extension-check', text, countries: codes };
  const platform = post.platform ?? settings.platform;
  if (typeof platform === 'string' && PLATFORM_IDS.has(platform)) body.platform = platform;
  if (typeof post.format === 'string' && FORMAT_IDS.has(post.format)) body.format = post.format;
  if (typeof post.platform_label === 'boolean') body.platform_label = post.platform_label;
  const relationship = post.relationship === undefined ? settings.relationship : post.relationship;
  if (typeof relationship === 'string' && RELATIONSHIP_IDS.has(relationship)) body.relationship = [relationship];
  if (typeof post.brand === 'string' && post.brand.trim()) body.brand = post.brand.trim().slice(0, 200);
  return { ok: true, body };
}

export function createService({ fetchImpl, loadSettings }) {
  async function settingsOrError() {
    const settings = withDefaults(await loadSettings());
    if (!isConfigured(settings)) return { error: notConfiguredError() };
    const server = normalizeServerUrl(settings.serverUrl);
    return { settings, serverUrl: server.url };
  }

  /** Check one post. Returns {ok: true, verdict, text, request} or {ok: false, error}. */
  async function check(post) {
    const { settings, serverUrl, error } = await settingsOrError();
    if (error) return { ok: false, error };
    const built = buildCheckBody(post, settings);
    if (!built.ok) return built;
    const res = await apiRequest({
      fetchImpl, serverUrl, apiKey: settings.apiKey, method: 'POST', path: '/check', body: built.body,
    });
    if (!res.ok) return res;
    if (!res.data || typeof res.data.status !== 'string') {
      return {
        ok: false,
        error: {
          code: 'not_auditor', title: 'Unexpected answer from the server',
          message: 'The server answered, but not with a verdict.',
          hint: 'Check the server address in Options.', action: 'options',
        },
      };
    }
    const { id, ...request } = built.body;
    return { ok: true, verdict: res.data, text: built.body.text, request };
  }

  /**
   * "Test connection" with the values typed in the options page (saved or not). Returns
   * {ok, steps: [{id, ok, title, detail}]}: reachable, key valid, scopes, countries.
   */
  async function testConnection({ serverUrl: rawUrl, apiKey, countries }) {
    const steps = [];
    const server = normalizeServerUrl(rawUrl);
    if (!server.ok) {
      steps.push({ id: 'address', ok: false, title: 'Server address', detail: server.message });
      return { ok: false, steps };
    }
    const key = String(apiKey ?? '').trim();
    const me = await apiRequest({ fetchImpl, serverUrl: server.url, apiKey: key || '-', path: '/me', timeoutMs: 10000 });
    const unreachable = !me.ok && ['unreachable', 'timeout', 'redirect', 'not_auditor', 'not_found'].includes(me.error.code);
    if (unreachable) {
      steps.push({ id: 'reachable', ok: false, title: me.error.title, detail: `${me.error.message} ${me.error.hint ?? ''}`.trim() });
      return { ok: false, steps };
    }
    steps.push({ id: 'reachable', ok: true, title: 'Server reachable', detail: `${server.url} answers as an auditor server.` });
    if (!key) {
      steps.push({ id: 'key', ok: false, title: 'No API key', detail: 'Paste the API key your administrator created for you.' });
      return { ok: false, steps };
    }
    if (!me.ok) {
      steps.push({ id: 'key', ok: false, title: me.error.title, detail: `${me.error.message} ${me.error.hint ?? ''}`.trim() });
      return { ok: false, steps };
    }
    const org = me.data.organization?.name;
    const keyName = me.data.key?.name;
    steps.push({
      id: 'key', ok: true, title: 'API key valid',
      detail: [org ? `Organization: ${org}` : null, keyName ? `key "${keyName}"` : null].filter(Boolean).join(', ') || 'Accepted.',
    });
    const scopes = Array.isArray(me.data.key?.scopes) ? me.data.key.scopes.map(String) : [];
    const canCheck = scopes.includes('check');
    steps.push({
      id: 'scopes', ok: canCheck, title: canCheck ? 'Scopes' : 'The key lacks the "check" scope',
      detail: `${scopes.length ? `This key has: ${scopes.join(', ')}.` : 'This key has no scopes.'}${canCheck ? '' : ' The extension needs "check"; ask for a key with it.'}`,
      scopes,
    });
    const { codes, invalid } = parseCountries(countries);
    const meta = await apiRequest({ fetchImpl, serverUrl: server.url, apiKey: key, path: '/meta', timeoutMs: 10000 });
    if (meta.ok && Array.isArray(meta.data.countries)) {
      const known = meta.data.countries.map((c) => String(c.code ?? c).toUpperCase());
      const unknown = [...invalid, ...codes.filter((c) => !known.includes(c))];
      steps.push({
        id: 'countries', ok: unknown.length === 0 && codes.length > 0,
        title: unknown.length ? 'Unknown default countries' : codes.length ? 'Default countries known' : 'No default countries',
        detail: unknown.length
          ? `The server has no rules for ${unknown.join(', ')}. It knows: ${known.join(', ')}.`
          : codes.length ? `${codes.join(', ')} (rules ${meta.data.ruleset_version ?? 'unversioned'}).`
            : `Set the countries you usually target. The server knows: ${known.join(', ')}.`,
        known,
      });
    } else if (!meta.ok) {
      steps.push({ id: 'countries', ok: false, title: 'Could not list the countries', detail: meta.error.message });
    }
    return { ok: steps.every((s) => s.ok), steps };
  }

  /** The server's countries and platforms (for the popup's choices); null when unavailable. */
  async function meta() {
    const { settings, serverUrl, error } = await settingsOrError();
    if (error) return { ok: false, error };
    return apiRequest({ fetchImpl, serverUrl, apiKey: settings.apiKey, path: '/meta', timeoutMs: 5000 });
  }

  return { check, testConnection, meta };
}

export { STORAGE_KEYS };

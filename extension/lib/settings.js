// Settings: what the options page stores and how it is validated. No browser APIs here.

export const PLATFORMS = [
  ['instagram', 'Instagram'], ['tiktok', 'TikTok'], ['youtube', 'YouTube'], ['facebook', 'Facebook'],
  ['threads', 'Threads'], ['x', 'X (Twitter)'], ['pinterest', 'Pinterest'], ['snapchat', 'Snapchat'],
  ['twitch', 'Twitch'], ['linkedin', 'LinkedIn'], ['blog', 'Blog / website'],
];

export const RELATIONSHIPS = [
  ['paid', 'Paid'], ['gifted', 'Gifted product'], ['affiliate', 'Affiliate commission'],
  ['discount_code', 'Discount code'], ['loan', 'Loaned product'], ['trip', 'Trip / event'],
  ['ambassador', 'Brand ambassador'], ['employee', 'Employee'], ['family', 'Family / friend'],
  ['own_brand', 'Own brand'], ['none', 'No connection'],
];

export const DEFAULT_SETTINGS = Object.freeze({
  serverUrl: '',
  apiKey: '',
  countries: [],
  platform: 'instagram',
  relationship: 'paid',
});

export const STORAGE_KEYS = Object.keys(DEFAULT_SETTINGS);

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Validate the server address the user typed. Returns
 * {ok: true, url, origin, pattern, warning} or {ok: false, message}.
 * `url` has no trailing slash (a path prefix such as /auditor is kept); `pattern` is the
 * host-permission match pattern (no port: it matches every port in Chromium and Firefox).
 */
export function normalizeServerUrl(input) {
  const raw = String(input ?? '').trim();
  if (!raw) return { ok: false, message: 'Enter the address of your auditor server.' };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    return {
      ok: false,
      message: 'Start the address with https:// (or http:// for a server on this computer), '
        + `for example https://${raw.replace(/^\/+/, '')}`,
    };
  }
  let url;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `'${raw}' is not a valid address.` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: `Use an http:// or https:// address, not ${url.protocol}//.` };
  }
  if (url.username || url.password) {
    return { ok: false, message: 'Leave the user name and password out of the address; use the API key field.' };
  }
  if (url.search || url.hash) {
    return { ok: false, message: 'Leave query strings (?…) and fragments (#…) out of the server address.' };
  }
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/api\/v1$/, '');  // people paste the API root; the extension adds it
  const clean = `${url.origin}${path}`;
  const warning = url.protocol === 'http:' && !LOOPBACK.has(url.hostname)
    ? 'This address is not encrypted (http://): the API key and the posts would travel in clear text. Use https:// unless the server is on a trusted network.'
    : null;
  return { ok: true, url: clean, origin: url.origin, pattern: `${url.protocol}//${url.hostname}/*`, warning };
}

/** "no, GB; de" -> {codes: ["NO", "GB", "DE"], invalid: []}; the server decides which it knows. */
export function parseCountries(input) {
  const list = Array.isArray(input) ? input : String(input ?? '').split(/[\s,;]+/);
  const codes = [];
  const invalid = [];
  for (const item of list) {
    const token = String(item).trim();
    if (!token) continue;
    const code = token.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) {
      invalid.push(token);
    } else if (!codes.includes(code)) {
      codes.push(code);
    }
  }
  return { codes, invalid };
}

/** Fill in defaults and drop anything unknown from what storage returned. */
export function withDefaults(stored) {
  const s = { ...DEFAULT_SETTINGS };
  for (const key of STORAGE_KEYS) {
    if (stored && stored[key] !== undefined && stored[key] !== null) s[key] = stored[key];
  }
  if (!Array.isArray(s.countries)) s.countries = parseCountries(s.countries).codes;
  return s;
}

export function isConfigured(settings) {
  return Boolean(settings && normalizeServerUrl(settings.serverUrl).ok && String(settings.apiKey || '').trim());
}

export function platformName(id) {
  const hit = PLATFORMS.find(([key]) => key === id);
  return hit ? hit[1] : id;
}

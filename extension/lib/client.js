// The one HTTP client of the extension. Only the service worker imports it (pages send it
// messages). Every failure becomes a plain-words error: {code, title, message, hint, action}.

export const API_PREFIX = '/api/v1';
export const TIMEOUT_MS = 15000;

/**
 * Call the auditor server. `fetchImpl` is the global fetch (injected for the unit tests).
 * Returns {ok: true, status, data} or {ok: false, error}.
 */
export async function apiRequest({ fetchImpl = globalThis.fetch, serverUrl, apiKey, method = 'GET', path, body,
  timeoutMs = TIMEOUT_MS }) {
  const url = `${serverUrl}${API_PREFIX}${path}`;
  const headers = { Accept: 'application/json', Authorization: `Bearer ${apiKey}` };
  const init = {
    method,
    headers,
    // The key goes to the configured server only: no redirects followed (a redirect to another
    // host would carry the request on), no cookies, no referrer, nothing cached.
    redirect: 'manual',
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const controller = new AbortController();
  init.signal = controller.signal;
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetchImpl(url, init);
  } catch (err) {
    return { ok: false, error: describeFetchFailure(err, serverUrl, timeoutMs) };
  } finally {
    clearTimeout(timer);
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    return { ok: false, error: redirectError(serverUrl) };
  }
  let text = '';
  try {
    text = await response.text();
  } catch (err) {
    return { ok: false, error: describeFetchFailure(err, serverUrl, timeoutMs) };
  }
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = undefined;  // not JSON
  }
  if (response.ok) {
    if (data === undefined || data === null || typeof data !== 'object') {
      return { ok: false, error: notAuditor(serverUrl, response) };
    }
    return { ok: true, status: response.status, data };
  }
  return { ok: false, error: describeHttpError(response.status, data, response.headers, serverUrl) };
}

function header(headers, name) {
  if (!headers) return null;
  if (typeof headers.get === 'function') return headers.get(name);
  return headers[name] ?? headers[name.toLowerCase()] ?? null;
}

export function describeFetchFailure(err, serverUrl, timeoutMs = TIMEOUT_MS) {
  if (err && err.name === 'AbortError') {
    return {
      code: 'timeout',
      title: 'The server did not answer',
      message: `${serverUrl} did not answer within ${Math.round(timeoutMs / 1000)} seconds.`,
      hint: 'The server may be overloaded or stuck. Try again in a moment.',
      action: 'retry',
    };
  }
  return {
    code: 'unreachable',
    title: 'Cannot reach the server',
    message: `Could not connect to ${serverUrl}.`,
    hint: 'Check that the server is running and that the address in Options is right '
      + '(http or https, host name and port). A proxy or firewall can also block it.',
    action: 'options',
  };
}

function redirectError(serverUrl) {
  return {
    code: 'redirect',
    title: 'The server answered with a redirect',
    message: `${serverUrl} redirected the request elsewhere. The extension does not follow redirects, `
      + 'so your API key is only ever sent to the address you configured.',
    hint: 'Put the final address in Options (often https:// instead of http://, or a different path).',
    action: 'options',
  };
}

function notAuditor(serverUrl, response) {
  const type = header(response.headers, 'content-type') || 'no content type';
  return {
    code: 'not_auditor',
    title: 'That does not look like an auditor server',
    message: `${serverUrl} answered HTTP ${response.status} with ${type.split(';')[0]}, not the auditor's JSON.`,
    hint: 'Check the server address in Options: it should be the root of the auditor service.',
    action: 'options',
  };
}

/** Map an HTTP error answer (the contract's {"error": {code, message, details}}) to words. */
export function describeHttpError(status, data, headers, serverUrl) {
  const err = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : {};
  const code = typeof err.code === 'string' ? err.code : null;
  const serverMessage = typeof err.message === 'string' && err.message.trim() ? err.message.trim() : null;
  const details = err.details && typeof err.details === 'object' ? err.details : {};
  const base = { status, serverCode: code };

  if (status === 401) {
    return {
      ...base, code: 'unauthorized', title: 'The API key was rejected',
      message: serverMessage ? `The server said: ${serverMessage}` : 'The server does not accept this API key (unknown or revoked).',
      hint: 'Paste a valid key in Options. Keys are created by an administrator of your organization.',
      action: 'options',
    };
  }
  if (status === 403) {
    const scope = details.required_scope || 'check';
    return {
      ...base, code: 'forbidden', title: `The API key lacks the "${scope}" scope`,
      message: serverMessage || `This key may not call this part of the service; it needs the "${scope}" scope.`,
      hint: `Ask an administrator for a key with the "${scope}" scope and paste it in Options.`,
      action: 'options',
    };
  }
  if (status === 429) {
    const retry = parseRetryAfter(header(headers, 'retry-after'));
    return {
      ...base, code: 'rate_limited', title: 'Too many checks: rate limited',
      message: retry !== null
        ? `The server limits how often this key may check. Try again in ${waitWords(retry)}.`
        : 'The server limits how often this key may check. Try again in a little while.',
      hint: serverMessage, retryAfter: retry, action: 'retry',
    };
  }
  if (status === 413 || code === 'too_large') {
    return {
      ...base, code: 'too_large', title: 'The text is too long',
      message: serverMessage || 'The server refused the post because it is too large.',
      hint: 'Check the caption on its own rather than a whole page.', action: null,
    };
  }
  if (code === 'unknown_country' || code === 'missing_country') {
    return {
      ...base, code, title: code === 'unknown_country' ? 'Unknown audience country' : 'No audience country',
      message: serverMessage || 'The server does not know one of the audience countries.',
      hint: 'Use two-letter country codes (NO, DE, GB…) that the server has rules for. Defaults are set in Options.',
      action: null,
    };
  }
  if (status === 422 || status === 400) {
    const field = details.field ? ` (field "${details.field}")` : '';
    return {
      ...base, code: code || 'invalid_post', title: 'The server could not check this post',
      message: (serverMessage || 'The post was not accepted.') + field,
      hint: code === 'missing_text' ? 'Type or paste the caption to check.' : null, action: null,
    };
  }
  if (status === 404) {
    return {
      ...base, code: 'not_found', title: 'No auditor API at this address',
      message: `${serverUrl}${API_PREFIX} answered "not found".`,
      hint: 'Check the server address in Options (the root of the auditor service, without /api/v1).',
      action: 'options',
    };
  }
  if (status === 503) {
    return {
      ...base, code: 'unavailable', title: 'The service is temporarily unavailable',
      message: serverMessage || 'The server is up but a part it depends on (database or queue) is down.',
      hint: 'Try again in a few minutes; tell your administrator if it persists.', action: 'retry',
    };
  }
  if (status >= 500) {
    return {
      ...base, code: 'server_error', title: 'The server failed',
      message: `The server answered HTTP ${status}${serverMessage ? `: ${serverMessage}` : '.'}`,
      hint: 'Try again; tell your administrator if it persists.', action: 'retry',
    };
  }
  return {
    ...base, code: code || 'http_error', title: `The server answered HTTP ${status}`,
    message: serverMessage || 'The request was not accepted.', hint: null, action: null,
  };
}

/** 7 -> "7 seconds", 150 -> "3 minutes", 7200 -> "2 hours" (rounded up). */
export function waitWords(seconds) {
  const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < 90) return plural(seconds, 'second');
  if (seconds < 90 * 60) return plural(Math.ceil(seconds / 60), 'minute');
  return plural(Math.ceil(seconds / 3600), 'hour');
}

/** Retry-After is seconds or an HTTP date; returns whole seconds (>= 0) or null. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export function notConfiguredError() {
  return {
    code: 'not_configured', title: 'Set up the extension first',
    message: 'The server address and API key are not set.',
    hint: 'Open Options, enter your auditor server and API key, and press "Test connection".',
    action: 'options',
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest, describeHttpError, parseRetryAfter } from '../lib/client.js';
import { fakeFetch, jsonResponse } from '../testlib/fakes.js';

const SERVER = 'http://127.0.0.1:5000';

test('requests go to the configured server with the key as a bearer token and no cookies or redirects', async () => {
  const fetchImpl = fakeFetch({ 'POST /api/v1/check': () => jsonResponse(200, { status: 'compliant' }) });
  const res = await apiRequest({ fetchImpl, serverUrl: SERVER, apiKey: 'k-123', method: 'POST', path: '/check', body: { text: 'x' } });
  assert.deepEqual(res, { ok: true, status: 200, data: { status: 'compliant' } });
  const [call] = fetchImpl.calls;
  assert.equal(call.url, 'http://127.0.0.1:5000/api/v1/check');
  assert.equal(call.headers.Authorization, 'Bearer k-123');
  assert.equal(call.headers['Content-Type'], 'application/json');
  assert.deepEqual(call.body, { text: 'x' });
  assert.equal(call.init.redirect, 'manual');
  assert.equal(call.init.credentials, 'omit');
  assert.equal(call.init.referrerPolicy, 'no-referrer');
});

test('a server that is down is reported as unreachable, in words', async () => {
  const fetchImpl = fakeFetch({ '*': () => new TypeError('Failed to fetch') });
  const res = await apiRequest({ fetchImpl, serverUrl: SERVER, apiKey: 'k', path: '/me' });
  assert.equal(res.ok, false);
  assert.equal(res.error.code, 'unreachable');
  assert.equal(res.error.title, 'Cannot reach the server');
  assert.match(res.error.message, /127\.0\.0\.1:5000/);
  assert.equal(res.error.action, 'options');
});

test('a server that never answers times out', async () => {
  const fetchImpl = (url, init) => new Promise((resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  const res = await apiRequest({ fetchImpl, serverUrl: SERVER, apiKey: 'k', path: '/me', timeoutMs: 20 });
  assert.equal(res.error.code, 'timeout');
  assert.match(res.error.message, /did not answer within/);
});

test('a redirect is not followed and is explained', async () => {
  const fetchImpl = async () => ({ type: 'opaqueredirect', status: 0, ok: false, headers: new Headers() });
  const res = await apiRequest({ fetchImpl, serverUrl: SERVER, apiKey: 'k', path: '/me' });
  assert.equal(res.error.code, 'redirect');
  assert.match(res.error.message, /only ever sent to the address you configured/);
});

test('an HTML page where the API should be is "not an auditor server"', async () => {
  const fetchImpl = async () => new Response('<html>hi</html>', { status: 200, headers: { 'content-type': 'text/html' } });
  const res = await apiRequest({ fetchImpl, serverUrl: SERVER, apiKey: 'k', path: '/me' });
  assert.equal(res.error.code, 'not_auditor');
  assert.match(res.error.message, /text\/html/);
});

test('401: the key was rejected', () => {
  const e = describeHttpError(401, { error: { code: 'unauthorized', message: 'unknown API key' } }, new Headers(), SERVER);
  assert.equal(e.code, 'unauthorized');
  assert.equal(e.title, 'The API key was rejected');
  assert.match(e.message, /unknown API key/);
  assert.equal(e.action, 'options');
});

test('403: the missing scope is named', () => {
  const e = describeHttpError(403, { error: { code: 'forbidden', message: 'needs scope', details: { required_scope: 'check' } } }, null, SERVER);
  assert.equal(e.title, 'The API key lacks the "check" scope');
  assert.match(e.hint, /"check" scope/);
});

test('429: rate limited, with the wait from Retry-After', () => {
  const e = describeHttpError(429, { error: { code: 'rate_limited', message: 'slow down' } }, new Headers({ 'Retry-After': '7' }), SERVER);
  assert.equal(e.code, 'rate_limited');
  assert.match(e.title, /rate limited/);
  assert.match(e.message, /Try again in 7 seconds/);
  assert.equal(e.retryAfter, 7);
  const e1 = describeHttpError(429, null, new Headers({ 'Retry-After': '1' }), SERVER);
  assert.match(e1.message, /in 1 second\./);
  const e2 = describeHttpError(429, null, new Headers(), SERVER);
  assert.match(e2.message, /in a little while/);
});

test('long waits are said in minutes or hours', async () => {
  const { waitWords } = await import('../lib/client.js');
  assert.equal(waitWords(0), '0 seconds');
  assert.equal(waitWords(89), '89 seconds');
  assert.equal(waitWords(90), '2 minutes');
  assert.equal(waitWords(2824), '48 minutes');
  assert.equal(waitWords(60 * 60), '60 minutes');
  assert.equal(waitWords(7200), '2 hours');
  const e = describeHttpError(429, null, new Headers({ 'Retry-After': '2824' }), SERVER);
  assert.match(e.message, /Try again in 48 minutes\./);
});

test('Retry-After as an HTTP date', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30);
  assert.equal(parseRetryAfter('garbage', now), null);
  assert.equal(parseRetryAfter(null, now), null);
});

test('422 unknown_country: the server\'s list of known countries is shown', () => {
  const e = describeHttpError(422, { error: { code: 'unknown_country', message: "unknown country 'XX'; known: GB, NO, US", details: { field: 'countries' } } }, null, SERVER);
  assert.equal(e.code, 'unknown_country');
  assert.equal(e.title, 'Unknown audience country');
  assert.match(e.message, /unknown country 'XX'; known: GB, NO, US/);
});

test('other 4xx/5xx answers are described, never blank', () => {
  const cases = [
    [413, { error: { code: 'too_large', message: "'text' is 200,000 bytes" } }, 'too_large', /too long/],
    [422, { error: { code: 'missing_text', message: 'the post has no text' } }, 'missing_text', /could not check/],
    [404, { error: { code: 'not_found', message: 'nope' } }, 'not_found', /No auditor API/],
    [503, { error: { code: 'unavailable', message: 'database down' } }, 'unavailable', /temporarily unavailable/],
    [500, null, 'server_error', /server failed/],
    [418, null, 'http_error', /HTTP 418/],
  ];
  for (const [status, body, code, title] of cases) {
    const e = describeHttpError(status, body, null, SERVER);
    assert.equal(e.code, code, `HTTP ${status}`);
    assert.match(e.title, title);
    assert.ok(e.message && e.message.length > 5, `HTTP ${status} has a message`);
  }
});

test('an error answer that is not JSON still becomes words', async () => {
  const fetchImpl = async () => new Response('Bad Gateway', { status: 502, headers: { 'content-type': 'text/plain' } });
  const res = await apiRequest({ fetchImpl, serverUrl: SERVER, apiKey: 'k', path: '/me' });
  assert.equal(res.error.code, 'server_error');
  assert.match(res.error.message, /HTTP 502/);
});

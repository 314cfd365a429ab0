import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCheckBody, createService } from '../lib/service.js';
import { fakeFetch, jsonResponse, VERDICT } from '../testlib/fakes.js';

const SETTINGS = {
  serverUrl: 'https://auditor.example.com', apiKey: 'secret-key-1', countries: ['NO'],
  platform: 'instagram', relationship: 'paid',
};

function service(routes, settings = SETTINGS) {
  const fetchImpl = fakeFetch(routes);
  return { fetchImpl, svc: createService({ fetchImpl, loadSettings: async () => settings }) };
}

const ME = { organization: { id: 1, name: 'Acme Agency' }, key: { id: 3, name: 'extension', scopes: ['check', 'read'] } };
const META = { ruleset_version: 'sha256:abc', countries: [{ code: 'GB' }, { code: 'NO' }, { code: 'US' }], platforms: [] };

test('the check body has the post and the defaults, and nothing from the page beyond them', () => {
  const { ok, body } = buildCheckBody({
    text: 'Nye sko', platform: 'tiktok', format: 'video', platform_label: true, brand: ' nike ',
    url: 'https://mail.example.com/inbox?token=secret', countries: 'no, gb', evil: '<script>',
  }, SETTINGS);
  assert.equal(ok, true);
  assert.deepEqual(body, {
    id: 'extension-check', text: 'Nye sko', countries: ['NO', 'GB'], platform: 'tiktok', format: 'video',
    platform_label: true, relationship: ['paid'], brand: 'nike',
  });
});

test('the check body falls back to the default countries and platform; unknown values are dropped', () => {
  const { body } = buildCheckBody({ text: 'x', platform: 'myspace', format: 'scroll', relationship: 'bribe', platform_label: 'yes' }, SETTINGS);
  assert.deepEqual(body, { id: 'extension-check', text: 'x', countries: ['NO'] });
  const { body: b2 } = buildCheckBody({ text: 'x' }, SETTINGS);
  assert.equal(b2.platform, 'instagram');
  assert.deepEqual(b2.relationship, ['paid']);
  const { body: b3 } = buildCheckBody({ text: 'x', relationship: null }, SETTINGS);
  assert.equal('relationship' in b3, false, 'relationship "unknown" in the popup sends none');
});

test('the check body refuses empty text, bad or missing countries, with words', () => {
  assert.equal(buildCheckBody({ text: '  ' }, SETTINGS).error.code, 'missing_text');
  assert.equal(buildCheckBody({ text: 'x', countries: 'Norway' }, SETTINGS).error.code, 'unknown_country');
  assert.match(buildCheckBody({ text: 'x', countries: 'Norway' }, SETTINGS).error.message, /"Norway" is not a two-letter/);
  assert.equal(buildCheckBody({ text: 'x', countries: '' }, { ...SETTINGS, countries: [] }).error.code, 'missing_country');
  assert.equal(buildCheckBody({ text: 'x'.repeat(100001) }, SETTINGS).error.code, 'too_large');
});

test('check: unset options give a "set up first" error and no request', async () => {
  const { fetchImpl, svc } = service({}, { ...SETTINGS, apiKey: '' });
  const res = await svc.check({ text: 'x' });
  assert.equal(res.ok, false);
  assert.equal(res.error.code, 'not_configured');
  assert.equal(fetchImpl.calls.length, 0);
});

test('check: the verdict comes back with the exact text sent; the key never does', async () => {
  const { fetchImpl, svc } = service({ 'POST /api/v1/check': () => jsonResponse(200, VERDICT) });
  const res = await svc.check({ text: '🎉🎉 #ad Nye sko fra @nike!' });
  assert.equal(res.ok, true);
  assert.equal(res.verdict.status, 'violation');
  assert.equal(res.text, '🎉🎉 #ad Nye sko fra @nike!');
  assert.equal(JSON.stringify(res).includes('secret-key-1'), false);
  assert.equal(fetchImpl.calls.length, 1);
  assert.equal(fetchImpl.calls[0].url, 'https://auditor.example.com/api/v1/check');
  assert.equal(fetchImpl.calls[0].headers.Authorization, 'Bearer secret-key-1');
});

test('check: an answer that is not a verdict is an error, not a blank result', async () => {
  const { svc } = service({ 'POST /api/v1/check': () => jsonResponse(200, { hello: 'world' }) });
  const res = await svc.check({ text: 'x' });
  assert.equal(res.ok, false);
  assert.equal(res.error.code, 'not_auditor');
});

test('check: server errors pass through as words', async () => {
  const { svc } = service({
    'POST /api/v1/check': () => jsonResponse(422, { error: { code: 'unknown_country', message: "unknown country 'XX'; known: GB, NO, US" } }),
  });
  const res = await svc.check({ text: 'x', countries: 'XX' });
  assert.equal(res.error.title, 'Unknown audience country');
  assert.match(res.error.message, /known: GB, NO, US/);
});

test('test connection: all good names the organization, the scopes and the known countries', async () => {
  const { fetchImpl, svc } = service({ 'GET /api/v1/me': () => jsonResponse(200, ME), 'GET /api/v1/meta': () => jsonResponse(200, META) });
  const report = await svc.testConnection({ serverUrl: 'https://auditor.example.com/', apiKey: ' typed-key ', countries: 'no' });
  assert.equal(report.ok, true);
  assert.deepEqual(report.steps.map((s) => [s.id, s.ok]), [['reachable', true], ['key', true], ['scopes', true], ['countries', true]]);
  assert.match(report.steps[1].detail, /Acme Agency/);
  assert.match(report.steps[2].detail, /check, read/);
  assert.ok(fetchImpl.calls.every((c) => c.headers.Authorization === 'Bearer typed-key'), 'tests the typed key, trimmed');
});

test('test connection: server down stops at "reachable"', async () => {
  const { svc } = service({ '*': () => new TypeError('Failed to fetch') });
  const report = await svc.testConnection({ serverUrl: 'http://127.0.0.1:9', apiKey: 'k', countries: 'NO' });
  assert.equal(report.ok, false);
  assert.deepEqual(report.steps.map((s) => [s.id, s.ok]), [['reachable', false]]);
  assert.equal(report.steps[0].title, 'Cannot reach the server');
});

test('test connection: a bad key is reachable but invalid', async () => {
  const { svc } = service({ 'GET /api/v1/me': () => jsonResponse(401, { error: { code: 'unauthorized', message: 'unknown API key' } }) });
  const report = await svc.testConnection({ serverUrl: 'http://127.0.0.1:5000', apiKey: 'bad', countries: 'NO' });
  assert.deepEqual(report.steps.map((s) => [s.id, s.ok]), [['reachable', true], ['key', false]]);
  assert.equal(report.steps[1].title, 'The API key was rejected');
});

test('test connection: a key without the check scope, and unknown default countries, fail', async () => {
  const me = { ...ME, key: { ...ME.key, scopes: ['read'] } };
  const { svc } = service({ 'GET /api/v1/me': () => jsonResponse(200, me), 'GET /api/v1/meta': () => jsonResponse(200, META) });
  const report = await svc.testConnection({ serverUrl: 'http://127.0.0.1:5000', apiKey: 'k', countries: 'NO, XX' });
  assert.equal(report.ok, false);
  const scopes = report.steps.find((s) => s.id === 'scopes');
  assert.equal(scopes.ok, false);
  assert.equal(scopes.title, 'The key lacks the "check" scope');
  const countries = report.steps.find((s) => s.id === 'countries');
  assert.equal(countries.ok, false);
  assert.match(countries.detail, /no rules for XX\. It knows: GB, NO, US/);
});

test('test connection: a bad address is refused before any request', async () => {
  const { fetchImpl, svc } = service({});
  const report = await svc.testConnection({ serverUrl: 'auditor.example.com', apiKey: 'k' });
  assert.equal(report.ok, false);
  assert.equal(report.steps[0].id, 'address');
  assert.equal(fetchImpl.calls.length, 0);
});

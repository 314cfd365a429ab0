import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeServerUrl, parseCountries, withDefaults, isConfigured, DEFAULT_SETTINGS } from '../lib/settings.js';

test('server address: trailing slash and a pasted /api/v1 are removed, a path prefix is kept', () => {
  assert.equal(normalizeServerUrl('https://auditor.example.com/').url, 'https://auditor.example.com');
  assert.equal(normalizeServerUrl(' https://auditor.example.com/api/v1/ ').url, 'https://auditor.example.com');
  assert.equal(normalizeServerUrl('https://example.com/tools/auditor/').url, 'https://example.com/tools/auditor');
  assert.equal(normalizeServerUrl('http://127.0.0.1:5000').url, 'http://127.0.0.1:5000');
});

test('server address: the permission pattern has the host, no port and no path', () => {
  const s = normalizeServerUrl('http://127.0.0.1:5000/x');
  assert.equal(s.pattern, 'http://127.0.0.1/*');
  assert.equal(s.origin, 'http://127.0.0.1:5000');
  assert.equal(normalizeServerUrl('https://a.example.com:8443').pattern, 'https://a.example.com/*');
});

test('server address: plain http is allowed, with a warning unless on this computer', () => {
  assert.equal(normalizeServerUrl('http://localhost:8000').warning, null);
  assert.equal(normalizeServerUrl('http://[::1]:8000').warning, null);
  assert.match(normalizeServerUrl('http://auditor.corp.example').warning, /not encrypted/);
  assert.equal(normalizeServerUrl('https://auditor.corp.example').warning, null);
});

test('server address: refusals say what to do', () => {
  assert.match(normalizeServerUrl('').message, /Enter the address/);
  assert.match(normalizeServerUrl('auditor.example.com').message, /https:\/\/auditor\.example\.com/);
  assert.match(normalizeServerUrl('ftp://x.example').message, /http:\/\/ or https:\/\//);
  assert.match(normalizeServerUrl('https://user:pw@x.example').message, /API key field/);
  assert.match(normalizeServerUrl('https://x.example/?key=1').message, /query/);
  assert.equal(normalizeServerUrl('https://').ok, false);
});

test('countries: codes are upper-cased, de-duplicated, and bad tokens reported', () => {
  assert.deepEqual(parseCountries('no, GB;de  no'), { codes: ['NO', 'GB', 'DE'], invalid: [] });
  assert.deepEqual(parseCountries('Norway, N0, UK'), { codes: ['UK'], invalid: ['Norway', 'N0'] });
  assert.deepEqual(parseCountries(['se', ' dk ']), { codes: ['SE', 'DK'], invalid: [] });
  assert.deepEqual(parseCountries(undefined), { codes: [], invalid: [] });
});

test('settings: defaults fill the gaps; configured needs a valid address and a key', () => {
  const s = withDefaults({ serverUrl: 'https://a.example', countries: 'no, de', bogus: 1 });
  assert.deepEqual(s.countries, ['NO', 'DE']);
  assert.equal(s.platform, DEFAULT_SETTINGS.platform);
  assert.equal('bogus' in s, false);
  assert.equal(isConfigured(s), false);
  assert.equal(isConfigured({ ...s, apiKey: 'k' }), true);
  assert.equal(isConfigured({ ...s, serverUrl: 'a.example', apiKey: 'k' }), false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, checkPackage, collectFiles, manifestFor, EXTENSION_DIR } from '../scripts/build.mjs';
import { makeZip, readZip, crc32 } from '../scripts/zip.mjs';

const SOURCE = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8'));

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('zip round trip, byte-for-byte reproducible', () => {
  const entries = [{ name: 'a.txt', data: Buffer.from('hello '.repeat(100)) }, { name: 'd/b.bin', data: Buffer.from([0, 1, 2]) }];
  const zip = makeZip(entries);
  assert.deepEqual(makeZip(entries), zip);
  const files = readZip(zip);
  assert.deepEqual([...files.keys()], ['a.txt', 'd/b.bin']);
  assert.equal(files.get('a.txt').toString(), 'hello '.repeat(100));
  assert.deepEqual([...files.get('d/b.bin')], [0, 1, 2]);
  assert.throws(() => makeZip([{ name: '../evil', data: Buffer.alloc(0) }]), /unsafe/);
});

test('the build writes a Chrome and a Firefox zip with the right manifests and only the runtime files', () => {
  const out = mkdtempSync(join(tmpdir(), 'ext-build-'));
  try {
    const paths = build({ outDir: out });
    assert.equal(paths.chrome, join(out, `auditor-extension-${SOURCE.version}.zip`));
    assert.equal(paths.firefox, join(out, `auditor-extension-${SOURCE.version}-firefox.zip`));
    const chrome = readZip(readFileSync(paths.chrome));
    const firefox = readZip(readFileSync(paths.firefox));
    const names = [...chrome.keys()];
    assert.equal(names[0], 'manifest.json');
    for (const required of ['background.js', 'popup/popup.html', 'popup/popup.js', 'options/options.html',
      'content/platforms.js', 'content/post.js', 'lib/client.js', 'icons/icon-128.png']) {
      assert.ok(names.includes(required), `${required} is packaged`);
    }
    for (const name of names) {
      assert.doesNotMatch(name, /^(test|testlib|scripts)\/|package\.json|build\.sh|README/, `${name} is not for the store`);
    }
    assert.deepEqual([...firefox.keys()], names);
    const cm = JSON.parse(chrome.get('manifest.json'));
    assert.equal(cm.background.service_worker, 'background.js');
    assert.equal(cm.background.scripts, undefined);
    assert.equal(cm.browser_specific_settings, undefined);
    const fm = JSON.parse(firefox.get('manifest.json'));
    assert.deepEqual(fm.background, { scripts: ['background.js'], type: 'module' });
    assert.ok(fm.browser_specific_settings.gecko.id);
    assert.equal(fm.minimum_chrome_version, undefined);
    assert.equal(chrome.get('popup/popup.js').toString(), readFileSync(join(EXTENSION_DIR, 'popup/popup.js'), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('manifestFor keeps the source manifest untouched', () => {
  const before = JSON.stringify(SOURCE);
  manifestFor('chrome', SOURCE);
  manifestFor('firefox', SOURCE);
  assert.equal(JSON.stringify(SOURCE), before);
  assert.throws(() => manifestFor('safari', SOURCE), /unknown target/);
});

test('the real package has no problems', () => {
  assert.deepEqual(checkPackage(), []);
});

test('the package check catches remote code, inline scripts, bare imports and missing files', () => {
  const root = mkdtempSync(join(tmpdir(), 'ext-bad-'));
  try {
    cpSync(EXTENSION_DIR, root, { recursive: true, filter: (src) => !/node_modules/.test(src) });
    writeFileSync(join(root, 'popup/popup.html'),
      '<script src="https://cdn.example.com/x.js"></script><script>alert(1)</script><button onclick="x()">b</button>');
    writeFileSync(join(root, 'lib/bad.js'), "import x from 'lodash';\nimport './missing.js';\neval('1');\n");
    mkdirSync(join(root, 'icons'), { recursive: true });
    rmSync(join(root, 'icons/icon-16.png'));
    const problems = checkPackage(root, collectFiles(root)).join('\n');
    assert.match(problems, /popup\.html: refers to https:\/\/cdn\.example\.com\/x\.js/);
    assert.match(problems, /popup\.html: inline <script>/);
    assert.match(problems, /popup\.html: inline event handler/);
    assert.match(problems, /lib\/bad\.js: bare import "lodash"/);
    assert.match(problems, /lib\/bad\.js: \.\/missing\.js -> lib\/missing\.js is not in the package/);
    assert.match(problems, /lib\/bad\.js: eval/);
    assert.match(problems, /manifest\.json names icons\/icon-16\.png/);
    assert.throws(() => build({ root, outDir: join(root, 'out') }), /problems/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

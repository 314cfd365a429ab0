// Builds the packages the browser stores accept:
//   dist/auditor-extension-<version>.zip          Chrome Web Store, Edge, other Chromium browsers
//   dist/auditor-extension-<version>-firefox.zip  addons.mozilla.org
// Usage: node extension/scripts/build.mjs [--out DIR]   (default: dist/ at the repository root)
// Before zipping it checks the package: every file the manifest and the pages name exists,
// no inline or remote script, no eval, only relative module imports.
import { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeZip } from './zip.mjs';

export const EXTENSION_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGED_DIRS = ['lib', 'popup', 'options', 'content', 'ui', 'icons'];
const PACKAGED_ROOT_FILES = ['background.js'];
const PACKAGED_TYPES = /\.(js|html|css|png|json)$/;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

/** The files that go into the package (besides manifest.json), as posix paths, sorted. */
export function collectFiles(root = EXTENSION_DIR) {
  const files = [...PACKAGED_ROOT_FILES];
  for (const dir of PACKAGED_DIRS) {
    for (const full of walk(join(root, dir))) {
      const rel = relative(root, full).split('\\').join('/');
      if (PACKAGED_TYPES.test(rel)) files.push(rel);
    }
  }
  return files.sort();
}

/** The manifest for one browser, from the one source manifest that works in both. */
export function manifestFor(target, source) {
  const m = structuredClone(source);
  if (target === 'chrome') {
    delete m.browser_specific_settings;
    if (m.background) delete m.background.scripts;
  } else if (target === 'firefox') {
    delete m.minimum_chrome_version;
    if (m.background) delete m.background.service_worker;
  } else {
    throw new Error(`unknown target ${target}`);
  }
  return m;
}

function manifestFiles(m) {
  const files = new Set();
  for (const p of Object.values(m.icons ?? {})) files.add(p);
  for (const p of Object.values(m.action?.default_icon ?? {})) files.add(p);
  if (m.action?.default_popup) files.add(m.action.default_popup);
  if (m.options_ui?.page) files.add(m.options_ui.page);
  if (m.background?.service_worker) files.add(m.background.service_worker);
  for (const p of m.background?.scripts ?? []) files.add(p);
  for (const cs of m.content_scripts ?? []) for (const p of [...(cs.js ?? []), ...(cs.css ?? [])]) files.add(p);
  return [...files];
}

/** Problems with the package, as readable strings (empty when it is fine). */
export function checkPackage(root = EXTENSION_DIR, files = collectFiles(root)) {
  const problems = [];
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
  const have = new Set(files);
  if (manifest.manifest_version !== 3) problems.push('manifest.json: manifest_version must be 3');
  if (!/^\d+(\.\d+){0,3}$/.test(manifest.version ?? '')) problems.push(`manifest.json: bad version ${manifest.version}`);
  for (const p of manifestFiles(manifest)) {
    if (!have.has(p)) problems.push(`manifest.json names ${p}, which is not in the package`);
  }
  for (const file of files) {
    const text = file.endsWith('.png') ? '' : readFileSync(join(root, file), 'utf8');
    if (file.endsWith('.html')) {
      for (const m of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        const src = /\bsrc\s*=\s*"([^"]*)"/i.exec(m[1]);
        if (!src) problems.push(`${file}: inline <script> (not allowed in MV3)`);
        else checkRef(file, src[1], have, problems);
      }
      for (const m of text.matchAll(/<link\b[^>]*\bhref\s*=\s*"([^"]*)"/gi)) checkRef(file, m[1], have, problems);
      for (const m of text.matchAll(/<img\b[^>]*\bsrc\s*=\s*"([^"]*)"/gi)) checkRef(file, m[1], have, problems);
      if (/\son[a-z]+\s*=/i.test(text.replace(/<script[\s\S]*?<\/script>/gi, ''))) {
        problems.push(`${file}: inline event handler attribute (not allowed in MV3)`);
      }
    }
    if (file.endsWith('.js')) {
      if (/\beval\s*\(|\bnew\s+Function\s*\(/.test(text)) problems.push(`${file}: eval / new Function (no remote or generated code)`);
      if (/\bimportScripts\s*\(/.test(text)) problems.push(`${file}: importScripts`);
      for (const m of text.matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
        checkRef(file, m[1], have, problems, true);
      }
      for (const m of text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]/g)) checkRef(file, m[1], have, problems, true);
    }
  }
  return problems;
}

function checkRef(file, ref, have, problems, isModule = false) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('//')) {
    problems.push(`${file}: refers to ${ref}: only files inside the extension may be loaded`);
    return;
  }
  if (isModule && !ref.startsWith('.')) {
    problems.push(`${file}: bare import "${ref}" (no bundler: use a relative path)`);
    return;
  }
  const target = posix.normalize(posix.join(posix.dirname(file), ref));
  if (!have.has(target)) problems.push(`${file}: ${ref} -> ${target} is not in the package`);
}

/** Build both zips into outDir; returns their paths. Throws when the package has problems. */
export function build({ root = EXTENSION_DIR, outDir = resolve(root, '..', 'dist') } = {}) {
  const files = collectFiles(root);
  const problems = checkPackage(root, files);
  if (problems.length) {
    throw new Error(`the extension package has problems:\n  ${problems.join('\n  ')}`);
  }
  const source = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
  const contents = files.map((name) => ({ name, data: readFileSync(join(root, name)) }));
  mkdirSync(outDir, { recursive: true });
  const outputs = {};
  for (const [target, suffix] of [['chrome', ''], ['firefox', '-firefox']]) {
    const manifest = Buffer.from(`${JSON.stringify(manifestFor(target, source), null, 2)}\n`);
    const zip = makeZip([{ name: 'manifest.json', data: manifest }, ...contents]);
    const path = join(outDir, `auditor-extension-${source.version}${suffix}.zip`);
    writeFileSync(path, zip);
    outputs[target] = path;
  }
  return outputs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outDir = at >= 0 ? resolve(args[at + 1] ?? '') : undefined;
  try {
    const out = build(outDir ? { outDir } : {});
    for (const [target, path] of Object.entries(out)) {
      console.log(`${target}: ${relative(process.cwd(), path) || path} (${statSync(path).size.toLocaleString('en')} bytes)`);
    }
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}

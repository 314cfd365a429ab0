// The WebExtension API object: `browser` in Firefox (promise-based), `chrome` in Chromium
// (promise-based for MV3 too). Everything else imports `ext` from here.
export const ext = globalThis.browser ?? globalThis.chrome;

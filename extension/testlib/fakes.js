// Test helpers: a fake fetch that records requests and answers from a script.

export function jsonResponse(status, body, headers = {}) {
  const h = new Headers({ 'content-type': 'application/json', ...headers });
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: h });
}

/** routes: {"GET /api/v1/me": (req) => Response | Promise<Response> | Error to throw} */
export function fakeFetch(routes) {
  const calls = [];
  async function fetchImpl(url, init = {}) {
    const req = {
      url: String(url), method: init.method ?? 'GET', headers: { ...(init.headers ?? {}) },
      body: init.body === undefined ? undefined : JSON.parse(init.body), init,
    };
    calls.push(req);
    const path = new URL(req.url).pathname;
    const handler = routes[`${req.method} ${path}`] ?? routes['*'];
    if (!handler) return jsonResponse(404, { error: { code: 'not_found', message: 'no route' } });
    const out = await handler(req);
    if (out instanceof Error) throw out;
    return out;
  }
  fetchImpl.calls = calls;
  return fetchImpl;
}

export const VERDICT = Object.freeze({
  id: 'extension-check',
  status: 'violation',
  countries: ['NO'],
  platform: 'instagram',
  format: 'post',
  language: { code: 'nb', confidence: 0.8, source: 'detected', method: 'stopwords' },
  connection: { strength: 'strong', known: ['paid'], detected: [], evidence: [] },
  platform_label: false,
  disclosures: [],
  findings: [{
    rule_id: 'no.label.language', country: 'NO', severity: 'error',
    message: "'#ad' is not Norwegian", fix: "Start the caption with 'Reklame for @nike'.",
    fix_label: 'Reklame for @nike',
    evidence: [{ field: 'text', start: 3, end: 6, text: '#ad' }],
    references: [{ title: 'Forbrukertilsynet', url: 'https://www.forbrukertilsynet.no/x' }],
    confidence: 'high',
  }],
  ruleset_version: 'sha256:4cc0b1346bcd9008',
  suggested_caption: 'Reklame for @nike\n🎉🎉 #ad Nye sko fra @nike!',
});

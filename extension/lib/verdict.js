// Turn a verdict from /api/v1/check into what the popup shows. Pure: no DOM, no browser APIs.
import { codePointIndex, locateSpan, segments } from './offsets.js';
import { platformName } from './settings.js';

export const STATUSES = {
  violation: { label: 'Violation', tone: 'red', headline: 'Not labelled right: do not approve as it is.' },
  needs_review: { label: 'Needs review', tone: 'amber', headline: 'Possibly not labelled right: have a look before approving.' },
  compliant: { label: 'Compliant', tone: 'green', headline: 'Labelled right for the chosen countries and platform.' },
};

const SEVERITY_LABELS = { error: 'Error', warning: 'Warning', info: 'Note' };

export function safeUrl(url) {
  try {
    const u = new URL(String(url));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * @param verdict the JSON verdict
 * @param text the exact text sent as the post's `text` (the spans refer to it)
 */
export function viewModel(verdict, text) {
  if (!verdict || typeof verdict !== 'object' || !STATUSES[verdict.status]) {
    throw new Error('the server answered with something that is not a verdict');
  }
  const index = codePointIndex(text);
  const ranges = [];
  const findings = (Array.isArray(verdict.findings) ? verdict.findings : []).map((f, i) => {
    const n = i + 1;
    const evidence = (Array.isArray(f.evidence) ? f.evidence : []).map((ev) => {
      const inText = (ev.field ?? 'text') === 'text';
      const at = inText ? locateSpan(text, ev, index) : null;
      if (at) ranges.push({ ...at, id: n });
      return { field: ev.field ?? 'text', quote: typeof ev.text === 'string' ? ev.text : '', located: Boolean(at) };
    });
    return {
      n,
      ruleId: String(f.rule_id ?? ''),
      country: f.country ?? null,
      severity: SEVERITY_LABELS[f.severity] ? f.severity : 'info',
      severityLabel: SEVERITY_LABELS[f.severity] ?? 'Note',
      message: String(f.message ?? ''),
      fix: f.fix ? String(f.fix) : '',
      fixLabel: f.fix_label ? String(f.fix_label) : null,
      confidence: f.confidence ?? 'high',
      references: (Array.isArray(f.references) ? f.references : [])
        .map((r) => ({ title: String(r.title ?? r.url ?? 'Source'), url: safeUrl(r.url) })),
      evidence,
    };
  });
  const severityOf = new Map(findings.map((f) => [f.n, f.severity]));
  const segs = segments(text, ranges).map((s) => ({
    ...s,
    severity: s.ids.length ? worstSeverity(s.ids.map((id) => severityOf.get(id))) : null,
  }));
  return {
    status: { key: verdict.status, ...STATUSES[verdict.status] },
    countries: Array.isArray(verdict.countries) ? verdict.countries : [],
    platform: verdict.platform ? platformName(verdict.platform) : null,
    format: verdict.format ?? null,
    platformLabel: verdict.platform_label ?? null,
    language: verdict.language?.code ?? null,
    rulesetVersion: verdict.ruleset_version ?? null,
    findings,
    segments: segs,
    correctedCaption: correctedCaption(verdict, text),
    summary: summary(findings),
  };
}

function worstSeverity(list) {
  if (list.includes('error')) return 'error';
  if (list.includes('warning')) return 'warning';
  return 'info';
}

function summary(findings) {
  if (!findings.length) return 'No findings.';
  const count = (sev) => findings.filter((f) => f.severity === sev).length;
  const parts = [];
  const e = count('error');
  const w = count('warning');
  const i = count('info');
  if (e) parts.push(`${e} error${e === 1 ? '' : 's'}`);
  if (w) parts.push(`${w} warning${w === 1 ? '' : 's'}`);
  if (i) parts.push(`${i} note${i === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/**
 * The caption with the missing label added, when a fix is a label to add: the server's
 * `suggested_caption`, else the first finding's `fix_label` put in front of the text.
 * null when no finding's fix is a label.
 */
export function correctedCaption(verdict, text) {
  const findings = Array.isArray(verdict.findings) ? verdict.findings : [];
  const labels = [...new Set(findings.map((f) => f.fix_label).filter((l) => typeof l === 'string' && l.trim()))];
  if (typeof verdict.suggested_caption === 'string' && verdict.suggested_caption.trim()
      && verdict.suggested_caption !== text) {
    return verdict.suggested_caption;
  }
  if (!labels.length) return null;
  return `${labels.join(' · ')}\n${text}`;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viewModel, correctedCaption, safeUrl, STATUSES } from '../lib/verdict.js';
import { VERDICT } from '../testlib/fakes.js';

const TEXT = '🎉🎉 #ad Nye sko fra @nike!';

test('status badges: violation red, needs review amber, compliant green', () => {
  assert.equal(STATUSES.violation.tone, 'red');
  assert.equal(STATUSES.needs_review.tone, 'amber');
  assert.equal(STATUSES.compliant.tone, 'green');
  const vm = viewModel({ ...VERDICT, status: 'needs_review' }, TEXT);
  assert.deepEqual([vm.status.key, vm.status.label, vm.status.tone], ['needs_review', 'Needs review', 'amber']);
});

test('the highlighted span is the one the service meant, after emoji', () => {
  const vm = viewModel(VERDICT, TEXT);
  const marked = vm.segments.filter((s) => s.ids.length);
  assert.deepEqual(marked, [{ text: '#ad', ids: [1], severity: 'error' }]);
  assert.equal(vm.segments.map((s) => s.text).join(''), TEXT);
});

test('each finding keeps its message, fix, country, rule and reference', () => {
  const [f] = viewModel(VERDICT, TEXT).findings;
  assert.equal(f.n, 1);
  assert.equal(f.message, "'#ad' is not Norwegian");
  assert.equal(f.fix, "Start the caption with 'Reklame for @nike'.");
  assert.equal(f.country, 'NO');
  assert.equal(f.ruleId, 'no.label.language');
  assert.equal(f.severityLabel, 'Error');
  assert.deepEqual(f.references, [{ title: 'Forbrukertilsynet', url: 'https://www.forbrukertilsynet.no/x' }]);
  assert.deepEqual(f.evidence, [{ field: 'text', quote: '#ad', located: true }]);
});

test('evidence in other fields is listed, not highlighted in the text', () => {
  const v = structuredClone(VERDICT);
  v.findings[0].evidence = [{ field: 'links[0]', start: 0, end: 20, text: 'https://amzn.to/xyz' }];
  const vm = viewModel(v, TEXT);
  assert.equal(vm.segments.some((s) => s.ids.length), false);
  assert.deepEqual(vm.findings[0].evidence, [{ field: 'links[0]', quote: 'https://amzn.to/xyz', located: false }]);
});

test('reference links other than http(s) are not made links', () => {
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl('data:text/html,x'), null);
  assert.equal(safeUrl('https://example.org/a b'), 'https://example.org/a%20b');
  const v = structuredClone(VERDICT);
  v.findings[0].references = [{ title: 'Bad', url: 'javascript:alert(1)' }];
  assert.deepEqual(viewModel(v, TEXT).findings[0].references, [{ title: 'Bad', url: null }]);
});

test('corrected caption: the server\'s suggestion, else the fix label before the text, else none', () => {
  assert.equal(correctedCaption(VERDICT, TEXT), VERDICT.suggested_caption);
  const noSuggestion = { ...VERDICT, suggested_caption: undefined };
  assert.equal(correctedCaption(noSuggestion, TEXT), `Reklame for @nike\n${TEXT}`);
  const noLabel = structuredClone(noSuggestion);
  delete noLabel.findings[0].fix_label;
  assert.equal(correctedCaption(noLabel, TEXT), null);
  assert.equal(correctedCaption({ ...VERDICT, status: 'compliant', findings: [], suggested_caption: TEXT }, TEXT), null);
});

test('a compliant verdict has no findings and says so', () => {
  const vm = viewModel({ ...VERDICT, status: 'compliant', findings: [], suggested_caption: undefined }, TEXT);
  assert.equal(vm.summary, 'No findings.');
  assert.equal(vm.correctedCaption, null);
  assert.deepEqual(vm.segments, [{ text: TEXT, ids: [], severity: null }]);
});

test('summary counts findings by severity; overlapping spans take the worst severity', () => {
  const v = structuredClone(VERDICT);
  v.findings.push({ ...v.findings[0], severity: 'warning', rule_id: 'no.placement', evidence: [{ field: 'text', start: 0, end: 6, text: '🎉🎉 #ad' }] });
  const vm = viewModel(v, TEXT);
  assert.equal(vm.summary, '1 error, 1 warning');
  assert.deepEqual(vm.segments.slice(0, 3).map((s) => [s.text, s.ids, s.severity]),
    [['🎉🎉 ', [2], 'warning'], ['#ad', [1, 2], 'error'], [' Nye sko fra @nike!', [], null]]);
});

test('something that is not a verdict is refused', () => {
  assert.throws(() => viewModel({ error: 'x' }, TEXT), /not a verdict/);
  assert.throws(() => viewModel(null, TEXT), /not a verdict/);
});

test('of two identical labels, the one the offsets point at is highlighted (emoji before both)', () => {
  const text = '🎉🎉🎉🎉🎉🎉 #ad #ad';  // code points: '#ad' at 7..10 and 11..14; UTF-16: 13..16 and 17..20
  const v = structuredClone(VERDICT);
  v.findings[0].evidence = [{ field: 'text', start: 11, end: 14, text: '#ad' }];
  const segs = viewModel(v, text).segments;
  assert.deepEqual(segs.map((s) => [s.text, s.ids]), [['🎉🎉🎉🎉🎉🎉 #ad ', []], ['#ad', [1]]]);
});

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readSelection } from '../lib/selection.js';

const saved = { document: globalThis.document, getSelection: globalThis.getSelection };
afterEach(() => {
  globalThis.document = saved.document;
  globalThis.getSelection = saved.getSelection;
});

function page({ active = null, selection = '' } = {}) {
  globalThis.document = { activeElement: active };
  globalThis.getSelection = () => ({ toString: () => selection });
}

test('the page selection, line breaks kept', () => {
  page({ active: { tagName: 'BODY' }, selection: 'Nye sko\n#reklame' });
  assert.deepEqual(readSelection(), { text: 'Nye sko\n#reklame', kind: 'selection' });
});

test('a selection inside the focused text area wins', () => {
  page({ active: { tagName: 'TEXTAREA', value: 'Draft: Nye sko #ad', selectionStart: 7, selectionEnd: 18 }, selection: '' });
  assert.deepEqual(readSelection(), { text: 'Nye sko #ad', kind: 'field-selection' });
});

test('without a selection, the whole focused field', () => {
  page({ active: { tagName: 'TEXTAREA', value: 'Draft caption #ad', selectionStart: 3, selectionEnd: 3 } });
  assert.deepEqual(readSelection(), { text: 'Draft caption #ad', kind: 'field' });
  page({ active: { tagName: 'DIV', isContentEditable: true, innerText: 'Editable\ncaption' } });
  assert.deepEqual(readSelection(), { text: 'Editable\ncaption', kind: 'field' });
});

test('a field inside a shadow root is found', () => {
  const inner = { tagName: 'TEXTAREA', value: 'In shadow #ad', selectionStart: 0, selectionEnd: 0 };
  page({ active: { tagName: 'APPROVAL-EDITOR', shadowRoot: { activeElement: inner } } });
  assert.deepEqual(readSelection(), { text: 'In shadow #ad', kind: 'field' });
});

test('password and other non-text inputs are never read', () => {
  page({ active: { tagName: 'INPUT', type: 'password', value: 'hunter2', selectionStart: 0, selectionEnd: 7 } });
  assert.equal(readSelection(), null);
});

test('nothing selected, nothing focused: null', () => {
  page({ active: { tagName: 'BODY' }, selection: '   ' });
  assert.equal(readSelection(), null);
});

test('the function is self-contained, as executeScript needs', () => {
  const source = readSelection.toString();
  const rebuilt = new Function(`return (${source})`)();  // eslint-disable-line no-new-func
  page({ active: { tagName: 'BODY' }, selection: 'x #ad' });
  assert.deepEqual(rebuilt(), { text: 'x #ad', kind: 'selection' });
});

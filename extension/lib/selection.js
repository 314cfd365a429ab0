// Runs inside the page (chrome.scripting.executeScript serializes the function), so it must be
// self-contained: no imports, no closures. Reads what the user means to check: the selected
// text, else the text field that has the focus. Returns {text, kind} or null.
export function readSelection() {
  const MAX = 100000;
  const clip = (s) => (s.length > MAX ? s.slice(0, MAX) : s);
  const doc = globalThis.document;
  if (!doc) return null;
  let el = doc.activeElement;
  // Focus inside a shadow root (web components in approval tools): descend to the real field.
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  const tag = el && el.tagName ? String(el.tagName).toUpperCase() : '';
  const textInput = tag === 'TEXTAREA'
    || (tag === 'INPUT' && /^(text|search|url|email|)$/i.test(String(el.type || '')));
  if (textInput) {
    const value = String(el.value || '');
    const start = el.selectionStart;
    const end = el.selectionEnd;
    if (Number.isInteger(start) && Number.isInteger(end) && end > start) {
      const part = value.slice(start, end);
      if (part.trim()) return { text: clip(part), kind: 'field-selection' };
    }
  }
  const sel = typeof globalThis.getSelection === 'function' ? globalThis.getSelection() : null;
  const selected = sel ? String(sel.toString()) : '';
  if (selected.trim()) return { text: clip(selected), kind: 'selection' };
  if (textInput) {
    const value = String(el.value || '');
    if (value.trim()) return { text: clip(value), kind: 'field' };
  }
  if (el && el.isContentEditable) {
    const value = String(el.innerText ?? el.textContent ?? '');
    if (value.trim()) return { text: clip(value), kind: 'field' };
  }
  return null;
}

export const SOURCE_LABELS = {
  'field-selection': 'Selected text in a text field',
  selection: 'Selected text',
  field: 'The focused text field',
  menu: 'Selected text',
  post: 'Post',
};

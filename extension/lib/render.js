// DOM rendering of a verdict and of errors, for the popup. Post text and everything the server
// sends is put in with textContent, never innerHTML.

/** el('p', {class: 'x'}, 'text', child) -> element; strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fieldName(field) {
  if (field === 'text') return 'the text';
  if (field === 'first_comment') return 'the first comment';
  const m = /^(frames|links)\[(\d+)\]$/.exec(field);
  if (m) return m[1] === 'links' ? `link ${Number(m[2]) + 1}` : `story frame ${Number(m[2]) + 1}`;
  return field;
}

function statusBlock(vm) {
  return el('div', { class: `status tone-${vm.status.tone}`, 'data-status': vm.status.key },
    el('span', { class: 'badge', role: 'status' }, vm.status.label),
    el('span', { class: 'headline' }, vm.status.headline));
}

function contextLine(vm) {
  const bits = [];
  if (vm.countries.length) bits.push(vm.countries.join(', '));
  if (vm.platform) bits.push(vm.format && vm.format !== 'post' ? `${vm.platform} ${vm.format}` : vm.platform);
  if (vm.platformLabel === true) bits.push('platform label shown');
  if (vm.findings.length) bits.push(vm.summary);  // "no findings" is said below the text
  return el('p', { class: 'context' }, bits.join(' · '));
}

function textBlock(vm) {
  const pre = el('div', { class: 'post-text', 'aria-label': 'The checked text, with the findings marked' });
  for (const seg of vm.segments) {
    if (!seg.ids.length) {
      pre.append(document.createTextNode(seg.text));
    } else {
      pre.append(el('mark', {
        class: `sev-${seg.severity}`, dataset: { findings: seg.ids.join(' ') },
        title: `Finding ${seg.ids.join(', ')}`,
      }, seg.text));
      pre.append(el('sup', { class: 'mark-num', 'aria-hidden': 'true' }, seg.ids.join(',')));
    }
  }
  return pre;
}

function findingItem(f) {
  const head = el('div', { class: 'finding-head' },
    el('span', { class: 'num' }, String(f.n)),
    el('span', { class: `sev sev-${f.severity}` }, f.severityLabel),
    f.country ? el('span', { class: 'country' }, f.country) : el('span', { class: 'country' }, 'Platform'),
    el('code', { class: 'rule' }, f.ruleId));
  const evidence = f.evidence
    .filter((ev) => ev.quote && (!ev.located || ev.field !== 'text'))
    .map((ev) => el('p', { class: 'evidence' }, `In ${fieldName(ev.field)}: `, el('q', {}, ev.quote)));
  const refs = f.references.length
    ? el('p', { class: 'refs' }, f.references.length > 1 ? 'Sources: ' : 'Source: ',
      ...f.references.flatMap((r, i) => [
        i ? '; ' : null,
        r.url ? el('a', { href: r.url, target: '_blank', rel: 'noopener noreferrer' }, r.title) : r.title,
      ]))
    : null;
  return el('li', { class: `finding sev-${f.severity}`, dataset: { rule: f.ruleId, n: String(f.n) } },
    head,
    el('p', { class: 'message' }, f.message),
    ...evidence,
    f.fix ? el('p', { class: 'fix' }, el('strong', {}, 'Fix: '), f.fix) : null,
    refs,
    f.confidence === 'low'
      ? el('p', { class: 'confidence' }, 'Low confidence: the regulator\'s guidance on this point is thin.')
      : null);
}

/** Show a verdict's view model. `onCopy(text)` copies the corrected caption. */
export function renderResult(container, vm, { onCopy } = {}) {
  container.replaceChildren();
  container.append(statusBlock(vm), contextLine(vm));
  if (vm.correctedCaption) {
    const button = el('button', { type: 'button', class: 'primary copy', id: 'copy-corrected' }, 'Copy corrected caption');
    const note = el('span', { class: 'copy-note', 'aria-live': 'polite' });
    button.addEventListener('click', async () => {
      try {
        await onCopy(vm.correctedCaption);
        note.textContent = 'Copied. Paste it in place of the caption.';
      } catch (err) {
        note.textContent = `Could not copy: ${err?.message ?? err}. Select the text below and copy it.`;
      }
    });
    container.append(
      el('div', { class: 'actions' }, button, note),
      el('details', { class: 'corrected' }, el('summary', {}, 'Corrected caption'),
        el('div', { class: 'post-text corrected-text' }, vm.correctedCaption)),
    );
  }
  container.append(el('h2', {}, 'Text checked'), textBlock(vm));
  if (vm.findings.length) {
    container.append(el('h2', {}, 'Findings'), el('ol', { class: 'findings' }, vm.findings.map(findingItem)));
  } else {
    container.append(el('p', { class: 'no-findings' }, 'No findings: nothing to fix for these countries and this platform.'));
  }
  if (vm.rulesetVersion) container.append(el('p', { class: 'ruleset' }, `Rules ${vm.rulesetVersion}`));
}

/** Show an error in words, with the way out (Options, Try again) where there is one. */
export function renderError(container, error, { onOptions, onRetry } = {}) {
  container.replaceChildren();
  const box = el('div', { class: 'error-box', role: 'alert', 'data-code': error.code ?? 'error' },
    el('h2', {}, error.title ?? 'Something went wrong'),
    error.message ? el('p', { class: 'error-message' }, error.message) : null,
    error.hint ? el('p', { class: 'hint' }, error.hint) : null);
  const actions = el('div', { class: 'actions' });
  if (error.action === 'options' && onOptions) {
    const b = el('button', { type: 'button', class: 'primary' }, 'Open options');
    b.addEventListener('click', onOptions);
    actions.append(b);
  }
  if (onRetry && (error.action === 'retry' || error.action === 'options')) {
    const b = el('button', { type: 'button' }, 'Try again');
    b.addEventListener('click', onRetry);
    actions.append(b);
  }
  if (actions.childElementCount) box.append(actions);
  container.append(box);
}

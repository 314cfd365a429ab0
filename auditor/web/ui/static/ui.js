// auditor review UI: keyboard shortcuts and small conveniences. Every page works without it.
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

function typing(event) {
  const t = event.target;
  if (t && t.tagName === "INPUT" && ["checkbox", "radio"].includes(t.type)) return false;   // keys still work
  return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

// -- a selectable list: queue rows or findings -------------------------------------------------
function selectable(items, onOpen) {
  let index = -1;
  const select = (i, scroll = true) => {
    if (!items.length) return;
    index = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((el, j) => el.classList.toggle("selected", j === index));
    const el = items[index];
    if (scroll) el.scrollIntoView({ block: "nearest", behavior: "smooth" });
    el.dispatchEvent(new CustomEvent("selected", { bubbles: true }));
  };
  items.forEach((el, j) => el.addEventListener("click", () => select(j, false)));
  return {
    next: () => select(index + 1),
    prev: () => select(index - 1),
    open: () => index >= 0 && onOpen && onOpen(items[index]),
    current: () => (index >= 0 ? items[index] : null),
    select,
  };
}

// -- queue -----------------------------------------------------------------------------------------
const rows = $$("table.queue tr[data-href]");
const queue = rows.length ? selectable(rows, (row) => { window.location.href = row.dataset.href; }) : null;
if (queue) {
  queue.select(0, false);
  rows.forEach((row) => row.addEventListener("dblclick", (e) => {
    if (!e.target.closest("td.check")) window.location.href = row.dataset.href;
  }));
}

// -- bulk decisions: tick posts, one decision for all of them ------------------------------------
const bulk = $("form#bulk");
const picks = bulk ? $$("input[name=post]", bulk) : [];
const selectAll = $("#select-all");
function bulkRefresh() {
  if (!bulk) return;
  const n = picks.filter((p) => p.checked).length;
  picks.forEach((p) => p.closest("tr").classList.toggle("checked", p.checked));
  if (selectAll) {
    selectAll.checked = n > 0 && n === picks.length;
    selectAll.indeterminate = n > 0 && n < picks.length;
  }
  $(".bulk-bar", bulk).classList.toggle("idle", n === 0);
  $("[data-bulk-count]", bulk).textContent = n ? `${n} post${n === 1 ? "" : "s"} selected` : "None selected";
  if (n) $("[data-bulk-error=none]", bulk).hidden = true;
}
function toggleAll(on) {
  picks.forEach((p) => { p.checked = on; });
  bulkRefresh();
}
if (bulk) {
  picks.forEach((p, j) => {
    p.addEventListener("change", bulkRefresh);
    if (queue) p.addEventListener("focus", () => queue.select(j, false));   // one cursor: Tab and j/k agree
  });
  // the whole cell is the target, not only the little box
  $$("td.check", bulk).forEach((td) => td.addEventListener("click", (e) => {
    if (e.target === td) { const box = $("input", td); box.checked = !box.checked; bulkRefresh(); }
  }));
  if (selectAll) selectAll.addEventListener("change", () => toggleAll(selectAll.checked));
  const note = $("#bulk-note", bulk);
  bulk.addEventListener("submit", (e) => {
    const action = e.submitter && e.submitter.value;
    $$("[data-bulk-error]", bulk).forEach((el) => { el.hidden = true; });
    if (!picks.some((p) => p.checked)) {
      e.preventDefault();
      $("[data-bulk-error=none]", bulk).hidden = false;
      return;
    }
    if (action === "dismiss" && !note.value.trim()) {
      e.preventDefault();
      $("[data-bulk-error=reason]", bulk).hidden = false;
      note.dataset.pending = "dismiss";
      note.focus();
    }
  });
  note.addEventListener("input", () => { if (note.value.trim()) $("[data-bulk-error=reason]", bulk).hidden = true; });
  note.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !((e.ctrlKey || e.metaKey) && note.dataset.pending)) {
      e.preventDefault();   // Enter in the comment must not apply the first decision by accident
    } else if (e.key === "Enter") {
      e.preventDefault();
      $(`button[value=${note.dataset.pending}]`, bulk).click();
    }
  });
  bulkRefresh();   // a reload (or the back button) may keep boxes ticked
}

function bulkDecide(action) {
  const button = bulk && $(`button[value=${action}]`, bulk);
  if (!button || !picks.some((p) => p.checked)) return false;
  const note = $("#bulk-note", bulk);
  if (action === "dismiss" && !note.value.trim()) {
    $("[data-bulk-error=reason]", bulk).hidden = false;
    note.dataset.pending = "dismiss";
    note.focus();
  } else {
    button.focus();   // Enter applies it: one key never decides many posts by itself
  }
  return true;
}
$$("select[data-autosubmit]").forEach((sel) => sel.addEventListener("change", () => sel.form.submit()));

// -- post page -------------------------------------------------------------------------------------
const findingCards = $$("article.finding");
const findings = findingCards.length ? selectable(findingCards) : null;

function markFor(card) {
  $$("mark.hl.active").forEach((m) => m.classList.remove("active"));
  if (!card) return;
  const ref = card.dataset.finding;
  $$("mark.hl").filter((m) => m.dataset.refs.split(" ").includes(ref)).forEach((m) => m.classList.add("active"));
}
if (findings) {
  document.addEventListener("selected", (e) => { if (e.target.matches("article.finding")) markFor(e.target); });
  const firstOpen = findingCards.findIndex((c) => $(".state-open", c));
  const hash = window.location.hash.startsWith("#finding-") ? findingCards.findIndex((c) => "#" + c.id === window.location.hash) : -1;
  findings.select(hash >= 0 ? hash : Math.max(firstOpen, 0), hash >= 0);
  // clicking a highlight selects its finding
  $$("mark.hl").forEach((m) => m.addEventListener("click", () => {
    const ref = m.dataset.refs.split(" ").find((r) => r.startsWith("f"));
    const i = findingCards.findIndex((c) => c.dataset.finding === ref);
    if (i >= 0) findings.select(i);
  }));
}

// Dismissing needs a reason: ask for it instead of sending an empty one.
$$("form.decide").forEach((form) => {
  form.addEventListener("submit", (e) => {
    const action = e.submitter && e.submitter.value;
    const note = $("textarea[name=note]", form);
    if (action === "dismiss" && !note.value.trim()) {
      e.preventDefault();
      $(".form-error", form).hidden = false;
      note.focus();
    }
  });
});

function decide(action) {
  const card = findings && findings.current();
  if (!card) return;
  const button = $(`button[value=${action}]`, card);
  if (!button) return;
  if (action === "dismiss") {
    const note = $("textarea[name=note]", card);
    if (!note.value.trim()) {
      $(".form-error", card).hidden = false;
      note.placeholder = "Why is this a false positive? (then press Ctrl+Enter or click Dismiss)";
      note.focus();
      note.dataset.pending = "dismiss";
      return;
    }
  }
  button.click();
}
$$("form.decide textarea").forEach((note) => note.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && note.dataset.pending) {
    e.preventDefault();
    $(`button[value=${note.dataset.pending}]`, note.form).click();
  }
}));

// -- everywhere ------------------------------------------------------------------------------------
$$("[data-copy]").forEach((b) => b.addEventListener("click", async () => {
  try { await navigator.clipboard.writeText(b.dataset.copy); b.textContent = "copied"; } catch { b.textContent = "select and copy"; }
}));
$$("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
$$("form[data-confirm]").forEach((f) => f.addEventListener("submit", (e) => { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); }));
const help = $("#help");
$$("[data-help-toggle]").forEach((b) => b.addEventListener("click", () => help && help.showModal()));

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && typing(e)) { e.target.blur(); return; }
  if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  const list = queue || findings;
  switch (e.key) {
    case "j": list && list.next(); break;
    case "k": list && list.prev(); break;
    case "Enter": if (queue && !e.target.closest("a, button")) { queue.open(); } else return; break;
    case "/": { const first = $("#filters select"); if (first) first.focus(); else return; break; }
    case "c": if (!bulkDecide("confirm")) decide("confirm"); break;
    case "d": if (!bulkDecide("dismiss")) decide("dismiss"); break;
    case "r": if (!bulkDecide("request_fix")) decide("request_fix"); break;
    case "f": if (!bulkDecide("resolve")) decide("resolve"); break;
    case "A": if (bulk) toggleAll(!picks.every((p) => p.checked)); else return; break;
    case "n": { const c = $("#comment-body"); if (c) c.focus(); else return; break; }
    case "u": { const back = $("[data-key=u]"); if (back) back.click(); else return; break; }
    case "x": {
      const row = queue && queue.current();
      if (row && bulk) { const box = $("input[name=post]", row); box.checked = !box.checked; bulkRefresh(); break; }
      const next = $("[data-key=x]"); if (next) next.click(); else return; break;
    }
    case "?": help && (help.open ? help.close() : help.showModal()); break;
    default: return;
  }
  e.preventDefault();
});

// tests (and people with slow machines) can tell when the shortcuts are live
document.documentElement.dataset.ready = "1";

// The coding view's front end (dsr_workbench.widgets._coding_widget.TranscriptWidget).
// Python is the source of truth; this module draws the transcript and owns the gestures.
// Offsets sent to and received from Python are CODE POINTS into the normalised text;
// JavaScript strings count UTF-16 units, so every boundary is converted here.

const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function rgba(hex, a) {
  let h = String(hex || "#888888").replace("#", "");
  if (h.length === 3) h = h.split("").map((c) => c + c).join("");
  const n = parseInt(h, 16) || 0;
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

let uid = 0;

function render({ model, el: host }) {
  const id = `dsr-cv-u${++uid}`;
  const root = el("div", `dsr-cv ${id}`);
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab 4 (Lumino 2)
  root.setAttribute("data-p-suppress-shortcuts", "true"); // older Lumino
  host.appendChild(root);
  performance.mark("dsr-coding-mount");

  // ------------------------------------------------------------------ layout
  const bar = el("div", "dsr-cv-bar");
  const fCoder = el("select"), fCode = el("select"), fOrigin = el("select"), fCompare = el("select");
  fCoder.className = "dsr-cv-f-coder"; fCode.className = "dsr-cv-f-code";
  fOrigin.className = "dsr-cv-f-origin"; fCompare.className = "dsr-cv-compare";
  const bSuggest = el("button", "dsr-cv-suggest", "suggest codes");
  const bUndo = el("button", "dsr-cv-undo", "undo (Ctrl+Z)");
  for (const [label, ctl] of [["coder", fCoder], ["code", fCode], ["origin", fOrigin], ["compare with", fCompare]]) {
    const l = el("label", null, label + " ");
    l.appendChild(ctl);
    bar.appendChild(l);
  }
  bar.append(bSuggest, bUndo);
  const errLine = el("div", "dsr-cv-error");
  const statusLine = el("div", "dsr-cv-status");
  const main = el("div", "dsr-cv-main");
  const doc = el("div", "dsr-cv-doc");
  const content = el("div", "dsr-cv-content");
  const stripesA = el("div", "dsr-cv-stripes a"), stripesB = el("div", "dsr-cv-stripes b");
  const textBox = el("div", "dsr-cv-text");
  content.append(stripesA, textBox, stripesB);
  doc.appendChild(content);
  const side = el("div", "dsr-cv-side");
  const search = el("input");
  search.type = "search"; search.placeholder = "find a code (name, definition, id)"; search.className = "dsr-cv-search";
  const selLine = el("div", "dsr-cv-sel");
  const stickyBox = el("label", "dsr-cv-row");
  const sticky = el("input"); sticky.type = "checkbox"; sticky.className = "dsr-cv-sticky";
  stickyBox.append(sticky, document.createTextNode(" sticky code: every selection gets the picked code (s)"));
  const recentBox = el("div", "dsr-cv-recent");
  const list = el("div", "dsr-cv-codes");
  const info = el("div", "dsr-cv-info");
  const vivoRow = el("div", "dsr-cv-row");
  const vivoParent = el("select", "dsr-cv-vivo-parent");
  const bVivo = el("button", "dsr-cv-vivo", "in vivo (v)");
  vivoRow.append(document.createTextNode("new code under "), vivoParent, bVivo);
  const agree = el("div", "dsr-cv-agreement");
  const hint = el("div", "dsr-cv-hint",
    "Drag, double- or triple-click to select; Shift+arrows adjust (Ctrl/Alt: words). " +
    "1–9 or Enter apply, m memo, v in vivo, Ctrl+Z undo, / search, Esc close.");
  side.append(search, selLine, stickyBox, recentBox, list, info, vivoRow, agree, hint);
  main.append(doc, side);
  const pop = el("div", "dsr-cv-pop"); pop.style.display = "none";
  root.append(bar, errLine, statusLine, main, pop);
  const style = el("style"); root.appendChild(style);

  // ------------------------------------------------------------------ state
  let text = "", cp2u = null, ncp = 0, turns = [], codes = [], codeById = new Map();
  let spans = [], spanById = new Map(), visible = [];
  let sel = null, picked = null, lastCoding = null, localError = "";
  let keyMap = new Map(), keyIds = [], turnSig = [], txEls = [], runStarts = [], runEls = [];
  let draws = 0, pendingApply = null, order = new Map(), rules = [], rulesDirty = false;
  const state = (window.__dsrCoding = window.__dsrCoding || {});

  const u = (cp) => (cp2u ? cp2u[cp] : cp);
  const cpLen = (s) => { if (!cp2u) return s.length; let n = 0; for (const _ of s) n++; return n; };
  const slice = (a, b) => text.slice(u(a), u(b));
  const send = (msg) => model.send(msg);

  function indexText() {
    text = model.get("text") || "";
    if (!/[\uD800-\uDFFF]/.test(text)) { cp2u = null; ncp = text.length; return; }
    const map = new Int32Array(text.length + 1);
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      map[n++] = i;
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
    }
    map[n] = text.length;
    cp2u = map.subarray(0, n + 1); ncp = n;
  }

  // ------------------------------------------------------------------ filters and styles
  function subtree(code) {
    const out = new Set([code]);
    for (const c of codes) if (out.has(c.parent)) out.add(c.id); // codes come in tree order
    return out;
  }
  function isVisible(s) {
    if (s.k === "a" || s.k === "b") {
      const who = fCoder.value;
      if (who === "mine" && s.k !== "a") return false;
      if (who === "other" && s.k !== "b") return false;
    }
    if (fCode.value && !subtreeCache.has(s.c)) return false;
    const o = fOrigin.value;
    if (o && s.k !== "d") {
      const origin = s.k === "s" ? "suggestion" : s.o.startsWith("rule:") ? "rule" : s.o;
      if (origin !== o) return false;
    }
    return true;
  }
  let subtreeCache = new Set();

  function styleFor(ids) {
    const a = [], b = []; let sug = null, dis = null;
    for (const i of ids) {
      const s = spanById.get(i); if (!s) continue;
      const color = (codeById.get(s.c) || {}).color || "#888";
      if (s.k === "a" && !a.includes(color)) a.push(color);
      else if (s.k === "b" && !b.includes(color)) b.push(color);
      else if (s.k === "s") sug = color;
      else if (s.k === "d") dis = s.m === "resolved" ? "#999" : "#d0021b";
    }
    const css = [], shadows = [], layers = [];
    a.slice(0, 4).forEach((c, n) => {
      if (n === 0) css.push(`background-color:${rgba(c, 0.26)}`);
      else layers.push(`linear-gradient(${rgba(c, 0.2)},${rgba(c, 0.2)})`);
      if (n < 3) shadows.push(`inset 0 -${2 * (n + 1)}px 0 ${c}`);
    });
    b.slice(0, 3).forEach((c, n) => shadows.push(`inset 0 ${2 * (n + 1)}px 0 ${c}`));
    if (!a.length && b.length) css.push(`background-color:${rgba(b[0], 0.12)}`);
    if (layers.length) css.push(`background-image:${layers.join(",")}`);
    if (shadows.length) css.push(`box-shadow:${shadows.join(",")}`);
    if (sug) css.push(`outline:1.5px dashed ${sug};outline-offset:-1px`);
    if (dis) css.push(`text-decoration:underline wavy ${dis};text-decoration-skip-ink:none;text-underline-offset:3px`);
    return css.join(";");
  }

  function keyIndex(ids) {
    const key = ids.map((i) => { const s = spanById.get(i); return `${i}:${s.c}:${s.k}:${s.m === "resolved" ? 1 : 0}`; }).sort().join("|");
    let n = keyMap.get(key);
    if (n === undefined) {
      n = keyIds.length; keyIds.push(ids.slice()); keyMap.set(key, n);
      rules.push(`.${id} .dsr-cv-tx .k${n}{${styleFor(ids)}}`); rulesDirty = true;
    }
    return n;
  }

  // ------------------------------------------------------------------ drawing the text
  function buildTurns() {
    textBox.textContent = "";
    txEls = []; turnSig = [];
    const frag = document.createDocumentFragment();
    for (const [a, b, who, turn, persp] of turns) {
      const row = el("div", "dsr-cv-turn"); row.dataset.turn = turn;
      const w = el("div", "dsr-cv-who", who);
      if (persp) w.appendChild(el("i", null, persp));
      const tx = el("div", "dsr-cv-tx"); tx.dataset.s = a; tx.dataset.e = b;
      row.append(w, tx); frag.appendChild(row);
      txEls.push(tx); turnSig.push(null);
    }
    textBox.appendChild(frag);
  }

  function sweepTurn(t, ev, cur) { // cut turn t into runs; ev: sorted [cp, +1/-1, id], cur: {p, active}
    const [ta, tb] = turns[t];
    const active = cur.active;
    while (cur.p < ev.length && ev[cur.p][0] <= ta) { const x = ev[cur.p++]; x[1] > 0 ? active.add(x[2]) : active.delete(x[2]); }
    let pos = ta, sig = "", html = "";
    while (pos < tb) {
      const cut = cur.p < ev.length && ev[cur.p][0] < tb ? ev[cur.p][0] : tb;
      if (cut > pos) {
        const k = active.size ? keyIndex([...active]) : -1;
        sig += `${pos}:${k};`;
        html += k < 0 ? `<span data-s="${pos}">${esc(slice(pos, cut))}</span>` : `<span data-s="${pos}" class="k${k}">${esc(slice(pos, cut))}</span>`;
      }
      while (cur.p < ev.length && ev[cur.p][0] <= cut) { const x = ev[cur.p++]; x[1] > 0 ? active.add(x[2]) : active.delete(x[2]); }
      pos = cut;
    }
    if (sig === turnSig[t]) return false;
    txEls[t].innerHTML = html; turnSig[t] = sig;
    return true;
  }
  function boundaries(list) {
    const ev = [];
    for (const s of list) { ev.push([s.s, 1, s.i]); ev.push([s.e, -1, s.i]); }
    return ev.sort((x, y) => x[0] - y[0]);
  }

  function drawRuns() {
    // one sweep over the sorted boundaries of the visible spans cuts every turn into runs
    const ev = boundaries(visible), cur = { p: 0, active: new Set() }, changed = [];
    for (let t = 0; t < turns.length; t++) if (sweepTurn(t, ev, cur)) changed.push(t);
    if (changed.length) {
      runEls = Array.from(textBox.querySelectorAll(".dsr-cv-tx > span"));
      runStarts = runEls.map((e) => +e.dataset.s);
    }
    return changed;
  }

  function lowerBound(arr, x) { let lo = 0, hi = arr.length; while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] < x) lo = m + 1; else hi = m; } return lo; }

  function drawSomeRuns(list) { // redraw only the turns in `list`; the run index is spliced
    for (const t of list) {
      const [ta, tb] = turns[t];
      const ev = boundaries(visible.filter((s) => s.s < tb && s.e > ta));
      if (!sweepTurn(t, ev, { p: 0, active: new Set() })) continue;
      const i = lowerBound(runStarts, ta), j = lowerBound(runStarts, tb);
      const els = Array.from(txEls[t].children);
      runEls.splice(i, j - i, ...els); runStarts.splice(i, j - i, ...els.map((e) => +e.dataset.s));
    }
  }

  function runIndex(cp) { // the last run starting at or before cp
    let lo = 0, hi = runStarts.length - 1, ans = -1;
    while (lo <= hi) { const m = (lo + hi) >> 1; if (runStarts[m] <= cp) { ans = m; lo = m + 1; } else hi = m - 1; }
    return ans;
  }

  let geo = new Map(); // span id -> [top, bottom] of its stripe, relative to the content box
  const stripeEls = new Map(); // span id -> its stripe element
  function measure(s, base, range) {
    const i = Math.max(0, runIndex(s.s)), j = runIndex(s.e - 1);
    if (j < 0 || !runEls[i]) return null;
    range.setStartBefore(runEls[i]); range.setEndAfter(runEls[j]);
    const r = range.getBoundingClientRect();
    return [r.top - base.top, r.bottom - base.top];
  }
  let stripeBox = ""; // the content box's size the stripes were placed for
  function drawStripes(only) { // only: ids whose geometry changed (the rest is still right)
    const base = content.getBoundingClientRect();
    stripeBox = `${base.width}x${base.height}`;
    const range = document.createRange();
    if (!only) geo = new Map();
    const items = [];
    for (const s of visible) {
      if (s.k !== "a" && s.k !== "b") continue;
      let g = geo.get(s.i);
      if (!g || (only && only.has(s.i))) { g = measure(s, base, range); if (!g) continue; geo.set(s.i, g); }
      items.push([g[0], g[1], s]);
    }
    items.sort((x, y) => x[0] - y[0]);
    const cols = { a: [], b: [] }, placed = [];
    for (const it of items) {
      const c = cols[it[2].k]; let n = 0;
      while (n < c.length && c[n] > it[0] + 1) n++;
      c[n] = it[1]; placed.push([it, n]);
    }
    const widthA = Math.max(1, Math.min(5, Math.floor(62 / Math.max(1, cols.a.length)) - 1));
    const widthB = Math.max(1, Math.min(5, Math.floor(62 / Math.max(1, cols.b.length)) - 1));
    // reconcile with the stripes drawn: only new, moved or restyled ones touch the DOM
    const fa = document.createDocumentFragment(), fb = document.createDocumentFragment();
    const seen = new Set();
    for (const [[top, bottom, s], n] of placed) {
      const code = codeById.get(s.c) || { name: s.c, color: "#888" };
      const wdt = s.k === "a" ? widthA : widthB;
      const css = `top:${top}px;height:${Math.max(3, bottom - top)}px;width:${wdt}px;` +
        `${s.k === "a" ? "right" : "left"}:${n * (wdt + 1)}px;background:${code.color}`;
      const title = `${code.name} (${s.c}) — ${s.w}`;
      seen.add(s.i);
      let d = stripeEls.get(s.i);
      if (d && d.dataset.k !== s.k) { d.remove(); d = undefined; }
      if (!d) {
        d = document.createElement("div"); d.className = "dsr-cv-stripe";
        d.dataset.i = s.i; d.dataset.k = s.k; stripeEls.set(s.i, d);
        (s.k === "a" ? fa : fb).appendChild(d);
      }
      if (d._css !== css) { d.style.cssText = css; d._css = css; }
      if (d.title !== title) d.title = title;
      if (d.dataset.code !== s.c) d.dataset.code = s.c;
    }
    for (const [i, d] of stripeEls) if (!seen.has(i)) { d.remove(); stripeEls.delete(i); }
    stripesA.appendChild(fa); stripesB.appendChild(fb);
    stripesB.style.display = cols.b.length ? "" : "none";
  }

  function currentSpans() { // the base list with this session's edits applied (by id)
    const list = model.get("spans") || [], edits = model.get("edits") || [];
    if (!edits.length) return list;
    const byId = new Map(list.map((s) => [s.i, s]));
    for (const e of edits) { if (e.del) byId.delete(e.i); else byId.set(e.i, e); }
    return [...byId.values()];
  }
  function marked(t0) {
    draws++;
    root.dataset.draws = String(draws);
    performance.mark(draws === 1 ? "dsr-coding-drawn" : `dsr-coding-drawn-${draws}`);
    state.draws = draws; state.lastDrawMs = performance.now() - t0;
    if (draws === 1) state.firstDrawMs = performance.now() - performance.getEntriesByName("dsr-coding-mount").slice(-1)[0].startTime;
    if (pendingApply !== null) { state.lastApplyMs = performance.now() - pendingApply; pendingApply = null; }
  }
  const same = (p, q) => p && q && p.s === q.s && p.e === q.e && p.c === q.c && p.k === q.k && p.m === q.m && p.w === q.w && p.o === q.o && p.x === q.x;

  function redrawSome() { // after an edit: only the turns the changed spans touch
    const t0 = performance.now();
    const next = currentSpans(), nextById = new Map(next.map((s) => [s.i, s]));
    const changed = new Set(), hit = new Set();
    for (const [i, s] of nextById) if (!same(s, spanById.get(i))) changed.add(i);
    for (const i of spanById.keys()) if (!nextById.has(i)) changed.add(i);
    if (!changed.size) return;
    for (const i of changed) {
      for (const s of [spanById.get(i), nextById.get(i)]) {
        if (!s) continue;
        for (let t = turnAt(s.s); t < turns.length && turns[t][0] < s.e; t++) hit.add(t);
      }
    }
    const list = [...hit].sort((x, y) => x - y);
    const heights = list.map((t) => txEls[t].getBoundingClientRect().height);
    const t1 = performance.now();
    spans = next; spanById = nextById; visible = spans.filter(isVisible);
    const nRules = rules.length;
    drawSomeRuns(list);
    for (let n = nRules; n < rules.length; n++) style.sheet.insertRule(rules[n], style.sheet.cssRules.length);
    rulesDirty = false;
    const t2 = performance.now();
    // the same heights: nothing else moved, only the changed spans' stripes are measured again
    const moved = list.some((t, n) => txEls[t].getBoundingClientRect().height !== heights[n]);
    const t3 = performance.now();
    drawStripes(moved ? null : changed);
    state.lastParts = { layoutBefore: t1 - t0, runs: t2 - t1, layoutAfter: t3 - t2, stripes: performance.now() - t3, turns: list.length, moved };
    marked(t0);
  }

  function redraw(full) {
    const t0 = performance.now();
    spans = currentSpans();
    spanById = new Map(spans.map((s) => [s.i, s]));
    subtreeCache = fCode.value ? subtree(fCode.value) : new Set();
    visible = spans.filter(isVisible);
    if (full) { keyMap = new Map(); keyIds = []; rules = []; buildTurns(); }
    drawRuns();
    if (rulesDirty) { style.textContent = rules.join("\n"); rulesDirty = false; }
    drawStripes(null);
    marked(t0);
  }

  // ------------------------------------------------------------------ selection
  function pointToCp(node, off) {
    if (node.nodeType === 3 && node.parentElement && node.parentElement.dataset.s !== undefined && node.parentElement.parentElement.classList.contains("dsr-cv-tx")) {
      return +node.parentElement.dataset.s + cpLen(node.data.slice(0, off));
    }
    let lo = 0, hi = txEls.length - 1;
    const r = document.createRange();
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      r.selectNodeContents(txEls[m]);
      let c;
      try { c = r.comparePoint(node, off); } catch (e) { return null; }
      if (c < 0) hi = m - 1;
      else if (c > 0) lo = m + 1;
      else { r.setEnd(node, off); return turns[m][0] + cpLen(r.toString()); }
    }
    return lo < turns.length ? turns[lo][0] : turns.length ? turns[turns.length - 1][1] : 0;
  }
  function turnAt(cp) { // the turn containing cp, else the next one
    let lo = 0, hi = turns.length - 1, ans = turns.length;
    while (lo <= hi) { const m = (lo + hi) >> 1; if (turns[m][1] > cp) { ans = m; hi = m - 1; } else lo = m + 1; }
    return ans;
  }
  function readSelection() {
    const s = window.getSelection();
    if (!s || !s.rangeCount || s.isCollapsed) { setSel(null); return null; }
    const rg = s.getRangeAt(0);
    if (!textBox.contains(rg.startContainer) && !textBox.contains(rg.endContainer) && !rg.intersectsNode(textBox)) return sel;
    let a = pointToCp(rg.startContainer, rg.startOffset), b = pointToCp(rg.endContainer, rg.endOffset);
    if (a === null || b === null || !turns.length) return sel;
    a = Math.max(0, Math.min(ncp, a)); b = Math.max(0, Math.min(ncp, b));
    const t = turnAt(a);
    if (t >= turns.length) { setSel(null); return null; }
    a = Math.max(a, turns[t][0]);
    if (b > turns[t][1]) {
      const next = t + 1 < turns.length ? turns[t + 1][0] : ncp;
      if (b <= next) b = turns[t][1]; // a triple-click ends at the next turn's start
      else { setSel(null); setError("the selection spans two turns: select words within one speaker turn"); return null; }
    }
    if (b <= a) { setSel(null); return null; }
    setError("");
    setSel({ start: a, end: b, quote: slice(a, b) });
    return sel;
  }
  function setSel(v) {
    sel = v;
    selLine.textContent = v ? `selected ${v.end - v.start} characters: “${v.quote.replace(/\s+/g, " ").slice(0, 60)}”` : "";
    model.set("selection", v || {}); model.save_changes();
  }
  function setError(msg) { localError = msg; showError(); }
  function showError() {
    errLine.textContent = localError || model.get("error") || "";
    if (!localError && model.get("reload")) {
      const b = el("button", "dsr-cv-reload", "reload transcript");
      b.addEventListener("click", () => send({ action: "reload" }));
      errLine.appendChild(b);
    }
  }

  // ------------------------------------------------------------------ actions
  function apply(code) {
    if (!code) { setError("no code picked: pick a code in the palette (or press 1-9)"); return; }
    if (!sel) { pick(code); return; }
    pendingApply = performance.now();
    send({ action: "apply", start: sel.start, end: sel.end, quote: sel.quote, code });
    window.getSelection().removeAllRanges(); setSel(null);
  }
  function inVivo() {
    if (!sel) { setError("select the words that name the new code first"); return; }
    send({ action: "invivo", start: sel.start, end: sel.end, quote: sel.quote, name: sel.quote, parent: vivoParent.value });
    window.getSelection().removeAllRanges(); setSel(null);
  }

  // ------------------------------------------------------------------ palette
  let shown = [];
  function matches() {
    const q = search.value.trim().toLowerCase();
    if (!q) return codes;
    return codes.filter((c) => c.id.toLowerCase().includes(q) || c.name.toLowerCase().includes(q) || c.definition.toLowerCase().includes(q));
  }
  function drawPalette() {
    shown = matches();
    const frag = document.createDocumentFragment();
    shown.forEach((c, n) => {
      const row = el("div", "dsr-cv-code" + (c.id === picked ? " picked" : ""));
      row.dataset.code = c.id;
      row.style.paddingLeft = `${4 + 12 * (search.value.trim() ? 0 : c.depth)}px`;
      row.append(el("span", "num", n < 9 ? String(n + 1) : ""));
      const dot = el("span", "dsr-cv-dot"); dot.style.background = c.color;
      row.append(dot, el("span", null, `${c.name} (${c.id})`));
      row.title = c.definition;
      frag.appendChild(row);
    });
    list.replaceChildren(frag);
    const rec = document.createDocumentFragment();
    for (const cid of model.get("recent") || []) {
      const c = codeById.get(cid); if (!c) continue;
      const chip = el("span", "dsr-cv-chip", c.name); chip.style.background = c.color; chip.dataset.code = cid;
      rec.appendChild(chip);
    }
    recentBox.replaceChildren(rec);
    drawInfo();
  }
  function drawInfo() {
    const c = codeById.get(picked);
    info.replaceChildren();
    if (!c) { info.textContent = "pick a code to see its definition and coding rule"; return; }
    const b = el("b", null, `${c.name} (${c.id})`); b.style.borderLeft = `6px solid ${c.color}`; info.appendChild(b);
    if (c.definition) info.append(el("div", null, "definition: " + c.definition));
    if (c.rule) info.append(el("div", null, "rule: " + c.rule));
    if (c.example) info.append(el("div", null, "example: " + c.example));
  }
  function pick(code) { picked = code; drawPalette(); }
  function fillCodes() {
    codes = model.get("codes") || [];
    codeById = new Map(codes.map((c) => [c.id, c]));
    order = new Map(codes.map((c, n) => [c.id, n]));
    const opts = (sel0, first) => {
      const keep = sel0.value; sel0.replaceChildren(new Option(first, ""));
      for (const c of codes) sel0.appendChild(new Option("\u2003".repeat(c.depth) + c.name, c.id));
      sel0.value = codeById.has(keep) ? keep : "";
    };
    opts(fCode, "all codes"); opts(vivoParent, "(top level)");
    if (picked && !codeById.has(picked)) picked = null;
    drawPalette();
  }
  function fillBar() {
    fCoder.replaceChildren(new Option("all", ""), new Option("mine", "mine"), new Option("compared", "other"));
    fOrigin.replaceChildren(...["", "manual", "rule", "suggestion", "consensus", "import"].map((o) => new Option(o || "all", o)));
  }
  function fillCompare() {
    const keep = model.get("compare") || "";
    fCompare.replaceChildren(new Option("(nobody)", ""), ...(model.get("coders") || []).map((c) => new Option(c, c)));
    fCompare.value = keep;
    const rows = model.get("agreement") || [];
    agree.replaceChildren();
    if (!keep || !rows.length) return;
    const tbl = el("table", "dsr-cv-agree");
    const fmt = (x) => (x === null || x === undefined ? "–" : Math.abs(x) < 0.005 ? "0.00" : x.toFixed(2));
    const cell = (r, x) => (x === null && r.note ? `<td class="undef" title="${esc(r.note)}">–*</td>` : `<td>${fmt(x)}</td>`);
    tbl.innerHTML = `<tr><th>code (this transcript)</th><th>α</th><th>κ</th><th>agree</th></tr>` +
      rows.map((r) => `<tr data-code="${esc(r.code)}"><td>${esc(r.name)}</td>${cell(r, r.alpha)}${cell(r, r.kappa)}<td>${r.pct === null ? "–" : (Math.floor(1000 * r.pct) / 10).toFixed(1) + "%"}</td></tr>`).join("");
    agree.append(el("div", null, `agreement with ${keep} (characters as units)`), tbl);
    const why = rows.filter((r) => r.note);
    if (why.length) agree.append(el("div", "dsr-cv-foot", why.map((r) => `* ${r.name}: ${r.note}`).join("\n")));
  }

  // ------------------------------------------------------------------ popup of a highlight
  function openPop(ids, x, y) {
    pop.replaceChildren();
    const mine = ids.map((i) => spanById.get(i)).filter(Boolean)
      .sort((p, q) => (order.get(p.c) ?? 0) - (order.get(q.c) ?? 0));
    for (const s of mine) {
      const c = codeById.get(s.c) || { name: s.c, color: "#888" };
      const item = el("div", "item"); item.dataset.i = s.i; item.dataset.kind = s.k;
      const head = el("div"); const dot = el("span", "dsr-cv-dot"); dot.style.background = c.color;
      head.append(dot, document.createTextNode(` ${c.name} (${s.c})`));
      item.appendChild(head);
      const btn = (label, cls, fn) => { const b = el("button", cls, label); b.addEventListener("click", fn); return b; };
      const actions = el("div", "dsr-cv-row");
      if (s.k === "d") {
        item.append(el("div", "meta", `${s.o === "extent" ? "different extents" : "one side only"}: applied by ${s.w}, not by ${s.x}${s.m ? " — " + s.m : ""}`));
        actions.append(btn("code applies", "dsr-cv-resolve-present", () => { send({ action: "resolve", index: +s.i.slice(1), decision: "present" }); closePop(); }),
          btn("does not apply", "dsr-cv-resolve-absent", () => { send({ action: "resolve", index: +s.i.slice(1), decision: "absent" }); closePop(); }));
      } else if (s.k === "s") {
        item.append(el("div", "meta", `suggestion (${s.o})`));
        actions.append(btn("accept", "dsr-cv-accept", () => { send({ action: "accept", id: s.i }); closePop(); }),
          btn("reject", "dsr-cv-reject", () => { send({ action: "reject", id: s.i }); closePop(); }));
      } else {
        item.append(el("div", "meta", `${s.w} · ${s.o}${s.m ? " · memo: " + s.m : ""}`));
        if (s.k === "a") {
          const memoBox = el("textarea"); memoBox.rows = 2; memoBox.value = s.m; memoBox.className = "dsr-cv-memo-text"; memoBox.style.display = "none";
          const save = btn("save memo", "dsr-cv-memo-save", () => { send({ action: "memo", id: s.i, memo: memoBox.value }); closePop(); });
          save.style.display = "none";
          actions.append(btn("remove", "dsr-cv-remove", () => { send({ action: "remove", id: s.i }); closePop(); }),
            btn("memo…", "dsr-cv-memo", () => { memoBox.style.display = ""; save.style.display = ""; memoBox.focus(); }), save);
          item.append(memoBox);
        }
      }
      item.appendChild(actions);
      pop.appendChild(item);
    }
    if (!mine.length) return;
    const box = root.getBoundingClientRect();
    pop.style.left = `${Math.max(0, Math.min(x - box.left, box.width - 300))}px`;
    pop.style.top = `${y - box.top + 14}px`;
    pop.style.display = "";
  }
  function closePop() { pop.style.display = "none"; pop.replaceChildren(); }
  function memoKey() {
    const open = pop.querySelector('.item[data-kind="a"] .dsr-cv-memo');
    if (open) { open.click(); return; }
    const s = lastCoding && spanById.get(lastCoding);
    if (!s) { setError("click a coding (or code something) before writing a memo"); return; }
    const r = runEls[Math.max(0, runIndex(s.s))];
    const rect = r ? r.getBoundingClientRect() : root.getBoundingClientRect();
    openPop([s.i], rect.left, rect.bottom);
    const m = pop.querySelector(".dsr-cv-memo"); if (m) m.click();
  }

  // ------------------------------------------------------------------ events
  const stop = (e) => { e.preventDefault(); e.stopPropagation(); };
  textBox.addEventListener("mousedown", (e) => {
    if (e.detail === 1 && !e.shiftKey) window.getSelection().removeAllRanges(); // no drag-and-drop of an old selection
    closePop();
  });
  textBox.addEventListener("dragstart", (e) => e.preventDefault());
  let downInText = false;
  root.addEventListener("mousedown", (e) => { downInText = textBox.contains(e.target); });
  for (const part of [side, bar, pop]) {
    part.addEventListener("mousedown", (e) => { if (!/^(INPUT|SELECT|TEXTAREA|OPTION)$/.test(e.target.tagName)) e.preventDefault(); });
  }
  const onUp = () => {
    if (!downInText) return;
    downInText = false;
    const s = readSelection();
    if (s && sticky.checked && picked) apply(picked);
  };
  document.addEventListener("mouseup", onUp);
  textBox.addEventListener("click", (e) => {
    const s = window.getSelection();
    if (s && !s.isCollapsed) return;
    const run = e.target.closest && e.target.closest(".dsr-cv-tx > span[class]");
    if (!run) return;
    const k = +run.className.slice(1);
    if (keyIds[k]) openPop(keyIds[k], e.clientX, e.clientY);
  });
  list.addEventListener("click", (e) => {
    const row = e.target.closest(".dsr-cv-code"); if (!row) return;
    const code = row.dataset.code; picked = code;
    if (sel) apply(code); else pick(code);
  });
  recentBox.addEventListener("click", (e) => { const c = e.target.dataset.code; if (c) { picked = c; sel ? apply(c) : pick(c); } });
  search.addEventListener("input", () => { drawPalette(); });
  search.addEventListener("keydown", (e) => {
    e.stopPropagation(); // typing here never reaches the notebook
    if (e.key === "Enter") { e.preventDefault(); const c = (picked && shown.some((x) => x.id === picked)) ? picked : shown[0] && shown[0].id; if (c) { picked = c; search.value = ""; apply(c); drawPalette(); } search.blur(); root.focus(); }
    else if (e.key === "Escape") { e.preventDefault(); search.value = ""; drawPalette(); root.focus(); }
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = shown.findIndex((x) => x.id === picked);
      const m = Math.max(0, Math.min(shown.length - 1, n + (e.key === "ArrowDown" ? 1 : -1)));
      if (shown[m]) pick(shown[m].id);
    }
  });
  root.addEventListener("keydown", (e) => {
    if (e.target !== root && /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) { e.stopPropagation(); return; }
    const k = e.key;
    if ((e.ctrlKey || e.metaKey) && (k === "z" || k === "Z")) { stop(e); send({ action: "undo" }); return; }
    if (e.shiftKey && k.startsWith("Arrow")) {
      stop(e);
      const s = window.getSelection();
      if (s && s.rangeCount) {
        const dir = k === "ArrowRight" || k === "ArrowDown" ? "forward" : "backward";
        const unit = k === "ArrowUp" || k === "ArrowDown" ? "line" : e.ctrlKey || e.altKey ? "word" : "character";
        s.modify("extend", dir, unit);
        readSelection();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (/^[1-9]$/.test(k)) { stop(e); const c = shown[+k - 1]; if (c) { picked = c.id; apply(c.id); } return; }
    if (k === "Enter") { stop(e); apply(picked || (shown[0] && shown[0].id)); return; }
    if (k === "Escape") { stop(e); closePop(); window.getSelection().removeAllRanges(); setSel(null); setError(""); return; }
    if (k === "m") { stop(e); memoKey(); return; }
    if (k === "v") { stop(e); inVivo(); return; }
    if (k === "s") { stop(e); sticky.checked = !sticky.checked; return; }
    if (k === "/") { stop(e); search.focus(); return; }
  });
  bVivo.addEventListener("click", inVivo);
  bUndo.addEventListener("click", () => send({ action: "undo" }));
  bSuggest.addEventListener("click", () => send({ action: "suggest" }));
  fCompare.addEventListener("change", () => send({ action: "compare", coder: fCompare.value }));
  for (const f of [fCoder, fCode, fOrigin]) f.addEventListener("change", () => redraw(false));
  let resizeQueued = false;
  const ro = new ResizeObserver(() => {
    if (resizeQueued || !draws) return;
    resizeQueued = true;
    requestAnimationFrame(() => {
      resizeQueued = false;
      const b = content.getBoundingClientRect();
      if (`${b.width}x${b.height}` !== stripeBox) drawStripes(null); // not on the first observation
    });
  });
  ro.observe(content);

  // ------------------------------------------------------------------ model
  const onText = () => { indexText(); turns = model.get("turns") || []; closePop(); setSel(null); redraw(true); };
  const spansChanged = (draw) => () => {
    const before = new Set(spans.filter((s) => s.k === "a").map((s) => s.i));
    draw();
    const fresh = spans.filter((s) => s.k === "a" && !before.has(s.i));
    if (fresh.length) lastCoding = fresh[fresh.length - 1].i;
  };
  const unchanged = () => { // the same spans sent again (the answer to "ready"): nothing to draw
    const next = currentSpans();
    return draws > 0 && next.length === spans.length && next.every((s, n) => s.i === spans[n].i && same(s, spans[n]));
  };
  const onSpans = spansChanged(() => { if (!unchanged()) redraw(false); }), onEdits = spansChanged(redrawSome);
  const onCodes = () => { fillCodes(); redraw(true); };
  const onError = () => { localError = ""; showError(); };
  const onStatus = () => { statusLine.textContent = model.get("status") || ""; if (localError) setError(""); };
  const onRecent = () => drawPalette();
  const onCompare = () => fillCompare();
  const handlers = [["change:text", onText], ["change:turns", onText], ["change:spans", onSpans], ["change:edits", onEdits], ["change:codes", onCodes],
    ["change:error", onError], ["change:reload", onError], ["change:status", onStatus], ["change:recent", onRecent],
    ["change:agreement", onCompare], ["change:compare", onCompare], ["change:coders", onCompare]];
  for (const [name, fn] of handlers) model.on(name, fn);

  fillBar(); fillCodes(); fillCompare(); onStatus(); showError();
  indexText(); turns = model.get("turns") || [];
  redraw(true);
  send({ action: "ready" }); // messages sent before the view existed are lost: ask for the state

  return () => {
    document.removeEventListener("mouseup", onUp);
    ro.disconnect();
    for (const [name, fn] of handlers) model.off(name, fn);
  };
}

export default { render };

//! The style and script of report.html's review mode (SPEC §4f), kept apart from the code that
//! draws the page. The script runs inside the drill-down's function (see
//! [`super::html_assets::SCRIPT`]) and uses its `data`, `el`, `block` and `modelName`.

/// Review mode's style, added after the page style.
pub(crate) const REVIEW_CSS: &str = r#".review-panel { border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px 10px; margin: 10px 0 14px; background: var(--soft); }
.review-panel h3 { margin-top: 8px; }
.rv-status { min-height: 1.2em; margin: 4px 0; font-size: .9rem; }
.rv-status.warn { color: #8a1c00; font-weight: 600; }
.rv-out { white-space: pre-wrap; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; font-size: .85rem; max-height: 18em; overflow: auto; }
button { font: inherit; padding: 3px 10px; cursor: pointer; }
:focus-visible { outline: 3px solid #0072B2; outline-offset: 2px; }
code, .tag, .snip, .chip, bdi, .text { unicode-bidi: isolate; }
div.review { border: 2px solid var(--line); border-radius: 6px; padding: 6px 10px; margin: 8px 0 14px; }
div.review.saved { border-color: #009E73; }
div.review table td.choice { white-space: nowrap; }
div.review label { margin-right: 12px; }
div.review tr.unset td.choice { background: #fff6d6; }
.rv-actions { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-top: 6px; }
.rv-state { font-size: .9rem; }
details.rv { border: 1px solid var(--line); border-radius: 6px; margin: 4px 0; background: var(--bg); }
details.rv > summary { padding: 6px 10px; }
details.rv[open] > summary { border-bottom: 1px solid var(--line); }
.done { color: #006b4f; font-weight: 600; }
"#;

/// Review mode's behaviour: function declarations (hoisted, so the drill-down can call
/// `reviewSetup` first and `reviewAnswer` for each answer it renders) and one state variable,
/// assigned by `reviewSetup`.
pub(crate) const REVIEW_SCRIPT: &str = r#"
  var RV;
  function reviewSetup() {
    var store = null;
    try {
      store = window.localStorage;
      store.setItem('kasauti-probe', '1');
      store.removeItem('kasauti-probe');
    } catch (e) { store = null; }
    RV = {
      store: store,
      memory: {},
      items: data.review || [],
      name: '',
      mode: false,
      pos: {},
      blocks: [],
      uid: 0
    };
    data.q.forEach(function (q, i) { RV.pos[q.id] = i; });
    RV.name = String(readStore('kasauti-reviewer') || '');
    RV.mode = RV.items.length > 0 || readStore('kasauti-review-mode') === true;
    var name = byId('rv-name'), mode = byId('rv-mode');
    if (name) {
      name.value = RV.name;
      var keep = function () {
        RV.name = name.value.trim();
        writeStore('kasauti-reviewer', RV.name);
      };
      name.addEventListener('input', keep);
      name.addEventListener('change', keep);
    }
    if (mode) {
      mode.checked = RV.mode;
      mode.addEventListener('change', function () {
        RV.mode = mode.checked;
        writeStore('kasauti-review-mode', RV.mode);
        Array.prototype.forEach.call(document.querySelectorAll('details.q[open]'), function (d) { render(d); });
      });
    }
    on('rv-download', 'click', download);
    on('rv-show', 'click', showText);
    on('rv-clear', 'click', forgetAll);
    if (!store) status('This browser does not let the page keep labels: they last until the page is closed, so download them before closing it.', true);
    buildList();
    count();
  }
  function byId(id) { return document.getElementById(id); }
  function on(id, ev, f) { var e = byId(id); if (e) e.addEventListener(ev, f); }
  function readStore(k) {
    var raw = RV.store ? RV.store.getItem(k) : (RV.memory.hasOwnProperty(k) ? RV.memory[k] : null);
    if (raw === null || raw === undefined) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  }
  function writeStore(k, v) {
    var raw = JSON.stringify(v);
    if (RV.store) {
      try { RV.store.setItem(k, raw); return true; } catch (e) {
        status('The browser refused to keep more labels (its storage is full): download them now.', true);
        return false;
      }
    }
    RV.memory[k] = raw;
    return true;
  }
  function removeStore(k) {
    if (RV.store) { try { RV.store.removeItem(k); } catch (e) { /* nothing kept */ } }
    delete RV.memory[k];
  }
  function status(text, warn) {
    var s = byId('rv-status');
    if (!s) return;
    s.textContent = text;
    s.className = 'rv-status' + (warn ? ' warn' : '');
  }
  // A short fingerprint of an answer's text (53-bit, two 32-bit FNV-style lanes), so a label
  // kept for one text is never shown for another.
  function fingerprint(s) {
    var h1 = 0xdeadbeef, h2 = 0x41c6ce57;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
  }
  function labelKey(qid, model, sample, text) {
    return 'kasauti-label:' + JSON.stringify([qid, model, sample]) + ':' + fingerprint(text);
  }
  // Every answer the page can label, in page order: the review list first, then the drill-down.
  function pageAnswers() {
    var out = [], seen = {};
    function add(q, m, s, t) {
      var k = labelKey(q.id, m, s, t);
      if (seen[k]) return;
      seen[k] = true;
      out.push({ q: q, m: m, s: s, t: t, key: k });
    }
    RV.items.forEach(function (it) { if (data.q[it.q]) add(data.q[it.q], it.m, it.s, it.t); });
    data.q.forEach(function (q) {
      q.a.forEach(function (a) { if (a.t !== null && a.t !== undefined) add(q, modelName(a.m), a.s, a.t); });
    });
    return out;
  }
  function saved(key, q) {
    var v = readStore(key);
    if (!v || typeof v !== 'object' || !v.c || typeof v.c !== 'object') return null;
    for (var i = 0; i < q.c.length; i++) if (typeof v.c[q.c[i][0]] !== 'boolean') return null;
    return v;
  }
  function count() {
    var all = pageAnswers(), n = 0, listed = 0;
    all.forEach(function (x, i) {
      if (saved(x.key, x.q)) { n++; if (i < RV.items.length) listed++; }
    });
    var c = byId('rv-count');
    if (c) {
      c.textContent = n + ' answer(s) labelled on this page' +
        (RV.items.length ? ' \u00b7 ' + listed + ' of ' + RV.items.length + ' listed for review' : '');
    }
    Array.prototype.forEach.call(document.querySelectorAll('details.rv'), function (d) {
      var it = RV.items[+d.getAttribute('data-r')];
      var chip = d.querySelector('.rv-chip');
      if (!it || !chip) return;
      var done = !!saved(labelKey(data.q[it.q].id, it.m, it.s, it.t), data.q[it.q]);
      chip.textContent = done ? '\u2713 labelled' : 'to label';
      chip.className = 'rv-chip tag' + (done ? ' done' : '');
    });
    return n;
  }
  function buildList() {
    var list = byId('rv-list');
    if (!list) return;
    RV.items.forEach(function (it, i) {
      var q = data.q[it.q];
      if (!q) return;
      var d = el('details', 'rv');
      d.setAttribute('data-r', String(i));
      var s = el('summary');
      s.appendChild(el('code', null, q.id));
      s.appendChild(document.createTextNode(' '));
      s.appendChild(el('span', 'tag', q.lang));
      s.appendChild(document.createTextNode(' '));
      s.appendChild(el('bdi', null, it.m + (it.s ? ' \u00b7 sample ' + it.s : '')));
      s.appendChild(document.createTextNode(' '));
      s.appendChild(el('span', 'rv-chip tag', 'to label'));
      d.appendChild(s);
      d.appendChild(el('div', 'body'));
      list.appendChild(d);
    });
    document.addEventListener('toggle', function (e) {
      var d = e.target;
      if (!d.classList || !d.classList.contains('rv')) return;
      var body = d.querySelector('.body');
      if (!body) return;
      body.textContent = '';
      if (!d.open) { prune(); return; }
      var it = RV.items[+d.getAttribute('data-r')], q = it && data.q[it.q];
      if (!q) return;
      if (typeof q.prompt === 'string') block(body, 'Prompt', q.prompt, q.lang);
      else block(body, 'Conversation', q.prompt.map(function (m) { return m[0] + ': ' + m[1]; }).join('\n'), q.lang);
      if (q.en) block(body, 'English translation', q.en, 'en');
      if (q.ideal) block(body, 'Ideal answer', q.ideal, q.lang);
      block(body, 'Answer of ' + it.m + (it.s ? ' \u00b7 sample ' + it.s : ''), it.t, q.lang);
      body.appendChild(reviewBlock(q, it.m, it.s, it.t, it.j, it.p));
    }, true);
  }
  // Called by the drill-down for each answer with a text.
  function reviewAnswer(body, q, a) {
    if (!RV.mode) return;
    var judge = (a.v || []).map(function (v) { return v[0]; });
    body.appendChild(reviewBlock(q, modelName(a.m), a.s, a.t, judge, judge));
  }
  function verdictText(v) { return v === true ? 'met' : v === false ? 'not met' : '\u2013'; }
  function reviewBlock(q, model, sample, text, judge, prefill) {
    var key = labelKey(q.id, model, sample, text);
    var box = el('div', 'review');
    var uid = 'rv' + (RV.uid++);
    box.appendChild(el('h4', null, 'Your labels for this answer'));
    var t = el('table'), hr = el('tr'), th = el('thead'), tb = el('tbody');
    ['criterion', 'points', 'judge', 'your label'].forEach(function (x) { hr.appendChild(el('th', null, x)); });
    th.appendChild(hr); t.appendChild(th);
    var rows = [];
    q.c.forEach(function (c, i) {
      var tr = el('tr');
      var name = el('td');
      name.appendChild(el('span', null, c[1]));
      name.appendChild(el('span', 'muted', ' (' + c[0] + ')'));
      tr.appendChild(name);
      tr.appendChild(el('td', 'num', c[2]));
      tr.appendChild(el('td', null, verdictText(judge[i])));
      var cell = el('td', 'choice');
      cell.setAttribute('role', 'radiogroup');
      cell.setAttribute('aria-label', c[0] + ': ' + visible(String(c[1])));
      var radios = [true, false].map(function (val) {
        var lab = el('label');
        var r = document.createElement('input');
        r.type = 'radio';
        r.name = uid + '-' + i;
        r.value = val ? 'met' : 'not met';
        r.setAttribute('data-met', val ? '1' : '0');
        lab.appendChild(r);
        lab.appendChild(document.createTextNode(' ' + (val ? 'met' : 'not met')));
        cell.appendChild(lab);
        return r;
      });
      tr.appendChild(cell);
      tb.appendChild(tr);
      rows.push({ tr: tr, id: c[0], met: radios[0], not: radios[1] });
    });
    t.appendChild(tb);
    box.appendChild(t);
    var actions = el('div', 'rv-actions');
    var save = el('button', 'rv-save', 'Save labels for this answer');
    save.type = 'button';
    var forget = el('button', 'rv-forget', 'Forget them');
    forget.type = 'button';
    var state = el('span', 'rv-state');
    state.setAttribute('role', 'status');
    actions.appendChild(save);
    actions.appendChild(forget);
    actions.appendChild(state);
    box.appendChild(actions);
    var b = { box: box, key: key, q: q, model: model, sample: sample, text: text, rows: rows, prefill: prefill, state: state, forget: forget };
    RV.blocks.push(b);
    fill(b);
    save.addEventListener('click', function () { store(b, true); });
    forget.addEventListener('click', function () {
      removeStore(b.key);
      refreshBlocks(b.key);
      count();
      save.focus();
    });
    rows.forEach(function (r) {
      [r.met, r.not].forEach(function (x) {
        x.addEventListener('change', function () {
          r.tr.className = '';
          // Once saved, changes are kept as they are made.
          if (saved(b.key, b.q)) store(b, false);
          else b.state.textContent = 'not saved yet';
        });
      });
    });
    return box;
  }
  // Sets a block's choices from what is saved, else from its pre-filled verdicts.
  function fill(b) {
    var v = saved(b.key, b.q);
    b.rows.forEach(function (r, i) {
      var x = v ? v.c[r.id] : b.prefill[i];
      r.met.checked = x === true;
      r.not.checked = x === false;
      r.tr.className = (x === true || x === false) ? '' : 'unset';
    });
    b.box.className = 'review' + (v ? ' saved' : '');
    b.forget.disabled = !v;
    b.state.textContent = v ? '\u2713 saved' : 'not saved yet';
  }
  function store(b, explicit) {
    var c = {}, missing = [];
    b.rows.forEach(function (r) {
      if (r.met.checked) c[r.id] = true;
      else if (r.not.checked) c[r.id] = false;
      else { missing.push(r); r.tr.className = 'unset'; }
    });
    if (missing.length) {
      b.state.textContent = 'choose met or not met for ' + missing.map(function (r) { return r.id; }).join(', ');
      missing[0].met.focus();
      return;
    }
    if (!RV.name) {
      b.state.textContent = 'enter your name at the top of the questions first';
      status('Enter your name first: it goes into every label you download.', true);
      var n = byId('rv-name');
      if (n) { n.scrollIntoView({ block: 'center' }); n.focus(); }
      return;
    }
    if (!writeStore(b.key, { q: b.q.id, m: b.model, s: b.sample, r: RV.name, c: c })) return;
    refreshBlocks(b.key);
    count();
    if (explicit) status('Saved. ' + byId('rv-count').textContent + '.', false);
  }
  // Keeps every block on screen in step with what is saved (one answer may show twice).
  function prune() { RV.blocks = RV.blocks.filter(function (b) { return document.body.contains(b.box); }); }
  // `key`: only the blocks of that answer (all when absent); others keep unsaved choices.
  function refreshBlocks(key) {
    prune();
    RV.blocks.forEach(function (b) { if (key === undefined || b.key === key) fill(b); });
  }
  function jsonl() {
    var lines = [], skipped = 0;
    pageAnswers().forEach(function (x) {
      var v = saved(x.key, x.q);
      if (!v) return;
      var criteria = {};
      x.q.c.forEach(function (c) { criteria[c[0]] = v.c[c[0]]; });
      lines.push(JSON.stringify({
        question_id: x.q.id, model: x.m, sample: x.s, answer: x.t, rater: RV.name, criteria: criteria
      }));
    });
    return lines.length ? lines.join('\n') + '\n' : '';
  }
  function ready() {
    if (!RV.name) {
      status('Enter your name first: it goes into every label you download.', true);
      var n = byId('rv-name');
      if (n) n.focus();
      return null;
    }
    var text = jsonl();
    if (!text) { status('Nothing is labelled on this page yet.', true); return null; }
    return text;
  }
  function download() {
    var text = ready();
    if (text === null) return;
    var blob = new Blob([text], { type: 'application/x-ndjson;charset=utf-8' });
    var url = URL.createObjectURL(blob);
    var a = document.createElement('a');
    a.href = url;
    a.download = 'labels-' + (RV.name.replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '_') || 'reviewer') + '.jsonl';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    status('Downloaded ' + (text.split('\n').length - 1) + ' label line(s) as ' + a.download + '.', false);
  }
  function showText() {
    var text = ready();
    if (text === null) return;
    var pre = byId('rv-jsonl');
    if (!pre) return;
    pre.textContent = text;
    pre.hidden = false;
    pre.focus();
    status('Your labels are shown below, one JSON line per answer; select and copy them if downloading is not possible.', false);
  }
  function forgetAll() {
    var n = count();
    if (!n) { status('Nothing is labelled on this page.', false); return; }
    if (!window.confirm('Forget the ' + n + ' answer(s) you labelled on this page? Download them first if you need them.')) return;
    pageAnswers().forEach(function (x) { removeStore(x.key); });
    refreshBlocks();
    count();
    var pre = byId('rv-jsonl');
    if (pre) { pre.textContent = ''; pre.hidden = true; }
    status('Your labels on this page are forgotten.', false);
  }
"#;

//! The stylesheet and script the HTML pages embed (kept apart from the code that draws them).

/// The page style, shared with the comparison page.
pub(crate) const CSS: &str = r#":root {
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
    "Noto Sans Devanagari", "Noto Sans Bengali", "Noto Sans Gurmukhi", "Noto Sans Gujarati",
    "Noto Sans Oriya", "Noto Sans Tamil", "Noto Sans Telugu", "Noto Sans Kannada",
    "Noto Sans Malayalam", "Nirmala UI", "Mangal", "Vrinda", "Raavi", "Shruti", "Kalinga",
    "Latha", "Gautami", "Tunga", "Kartika", "Kohinoor Devanagari", "Kohinoor Bangla",
    "Kohinoor Telugu", "Tamil Sangam MN", "Malayalam Sangam MN", "Lohit Devanagari", sans-serif;
  --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #fff; --soft: #f5f7fa;
  --good: #e7f5ec; --bad: #fdecea;
}
* { box-sizing: border-box; }
body { margin: 0; font-family: var(--sans); color: var(--fg); background: var(--bg); line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 22px 60px; }
h1 { margin: 0 0 4px; font-size: 1.6rem; }
h2 { margin: 28px 0 6px; font-size: 1.25rem; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 16px 0 6px; font-size: 1.05rem; }
.muted { color: var(--muted); font-size: .9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .88rem; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; }
td.num, .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.big { font-weight: 600; }
table.headline tbody th { white-space: nowrap; }
.ci { color: var(--muted); font-weight: normal; font-size: .85em; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .4em; vertical-align: -1px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0; font-size: .9rem; }
svg.chart { max-width: 100%; height: auto; display: block; }
svg text { font-family: var(--sans); font-size: 12px; fill: var(--fg); }
svg .axis { fill: var(--muted); font-size: 11px; }
svg .grid { stroke: #e6e9ee; stroke-width: 1; }
svg .whisker { stroke: #222; stroke-width: 1.2; }
svg .value { font-size: 11px; fill: var(--muted); }
table.heat td.cell, table.heat td.empty, table.heat td.total { text-align: center; font-variant-numeric: tabular-nums; min-width: 3.6em; }
table.heat th { font-size: .8rem; }
table.heat thead th { max-width: 7.5em; white-space: normal; }
td.empty { color: #aab; }
td.total { font-weight: 600; background: var(--soft); }
details.missed { margin: 4px 0; }
details > summary { cursor: pointer; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 8px 0 10px; font-size: .9rem; }
.filters select, .filters input { font: inherit; padding: 2px 4px; }
details.q { border: 1px solid var(--line); border-radius: 6px; margin: 4px 0; background: var(--bg); }
details.q > summary { padding: 6px 10px; list-style-position: inside; }
details.q[open] > summary { background: var(--soft); border-bottom: 1px solid var(--line); }
.tag { font-size: .78rem; background: var(--soft); border: 1px solid var(--line); border-radius: 10px; padding: 0 6px; color: var(--muted); }
.snip { color: var(--muted); font-size: .88rem; }
.scores { float: right; }
.chip { display: inline-block; min-width: 3em; text-align: center; font-size: .8rem; border: 2px solid; border-radius: 10px; margin-left: 4px; font-variant-numeric: tabular-nums; }
.chip.none { color: #aab; }
.body { padding: 8px 12px 12px; }
.body h4 { margin: 12px 0 4px; font-size: .95rem; border-left: 4px solid var(--line); padding-left: 6px; }
.text { white-space: pre-wrap; background: var(--soft); border-radius: 4px; padding: 6px 8px; font-size: .92rem; max-height: 28em; overflow-y: auto; }
.role { font-weight: 600; color: var(--muted); }
tr.good td:first-child { background: var(--good); }
tr.bad td:first-child { background: var(--bad); }
.body table { margin-top: 6px; width: 100%; }
:lang(hi), :lang(mr) { font-family: "Noto Sans Devanagari", "Nirmala UI", "Mangal", "Kohinoor Devanagari", "Devanagari Sangam MN", "Lohit Devanagari", var(--sans); }
:lang(hi-Latn), :lang(en) { font-family: var(--sans); }
:lang(bn) { font-family: "Noto Sans Bengali", "Nirmala UI", "Vrinda", "Kohinoor Bangla", "Bangla Sangam MN", "Lohit Bengali", var(--sans); }
:lang(pa) { font-family: "Noto Sans Gurmukhi", "Nirmala UI", "Raavi", "Gurmukhi MN", "Lohit Gurmukhi", var(--sans); }
:lang(gu) { font-family: "Noto Sans Gujarati", "Nirmala UI", "Shruti", "Gujarati Sangam MN", "Lohit Gujarati", var(--sans); }
:lang(or) { font-family: "Noto Sans Oriya", "Nirmala UI", "Kalinga", "Oriya Sangam MN", "Lohit Odia", var(--sans); }
:lang(ta) { font-family: "Noto Sans Tamil", "Nirmala UI", "Latha", "Tamil Sangam MN", "Lohit Tamil", var(--sans); }
:lang(te) { font-family: "Noto Sans Telugu", "Nirmala UI", "Gautami", "Kohinoor Telugu", "Telugu Sangam MN", "Lohit Telugu", var(--sans); }
:lang(kn) { font-family: "Noto Sans Kannada", "Nirmala UI", "Tunga", "Kannada Sangam MN", "Lohit Kannada", var(--sans); }
:lang(ml) { font-family: "Noto Sans Malayalam", "Nirmala UI", "Kartika", "Malayalam Sangam MN", "Lohit Malayalam", var(--sans); }
"#;

/// The drill-down's script. It is the body of one function: the page wraps it, together with
/// [`REVIEW_SCRIPT`], in `(function () { 'use strict'; … })();`.
pub(crate) const SCRIPT: &str = r#"
  var node = document.getElementById('kasauti-data');
  if (!node) return;
  var data = JSON.parse(node.textContent);
  // Bidirectional controls in data are shown as visible marks, so they cannot reorder what a
  // reader sees (an answer's "1857" must not display as "7581").
  var BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
  function visible(s) {
    return s.replace(BIDI, function (c) { return '\u27E6U+' + c.charCodeAt(0).toString(16).toUpperCase() + '\u27E7'; });
  }
  function el(tag, cls, text, lang) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = visible(String(text));
    if (lang) e.lang = lang;
    return e;
  }
  reviewSetup();
  function pct(x) { return (x * 100).toFixed(1); }
  function modelName(m) { return typeof m === 'number' ? data.models[m] : String(m); }
  function modelColor(m) { return typeof m === 'number' ? data.colors[m] : '#888'; }
  function promptText(p) {
    if (typeof p === 'string') return p;
    return p.map(function (m) { return m[0] + ': ' + m[1]; }).join('\n');
  }
  function block(parent, title, text, lang) {
    parent.appendChild(el('h4', null, title));
    parent.appendChild(el('div', 'text', text, lang));
  }
  function verdictRow(crit, v) {
    var met = v[0], source = v[1], points = crit[2];
    var tr = el('tr');
    var label, cls = '';
    if (met === true) { label = '\u2713 met'; }
    else if (met === false) { label = '\u2717 not met'; }
    else if (source === 'unjudged') { label = '\u2013 unjudged'; }
    else { label = '? undecided'; }
    if (met === true || met === false) {
      cls = ((met && points > 0) || (!met && points < 0)) ? 'good' : 'bad';
    }
    if (cls) tr.className = cls;
    tr.appendChild(el('td', null, label));
    tr.appendChild(el('td', 'num', points));
    var c = el('td');
    c.appendChild(el('span', null, crit[1]));
    c.appendChild(el('span', 'muted', ' (' + crit[0] + ')'));
    tr.appendChild(c);
    tr.appendChild(el('td', 'muted', source));
    tr.appendChild(el('td', null, v[2] || v[3] || ''));
    return tr;
  }
  function render(d) {
    var q = data.q[+d.getAttribute('data-i')];
    var body = d.querySelector('.body');
    if (!q || !body) return;
    body.textContent = '';
    if (typeof q.prompt === 'string') {
      block(body, 'Prompt', q.prompt, q.lang);
    } else {
      body.appendChild(el('h4', null, 'Conversation'));
      var conv = el('div', 'text', null, q.lang);
      q.prompt.forEach(function (m) {
        var p = el('div');
        p.appendChild(el('span', 'role', m[0] + ': '));
        p.appendChild(el('span', null, m[1]));
        conv.appendChild(p);
      });
      body.appendChild(conv);
    }
    if (q.en) block(body, 'English translation', q.en, 'en');
    if (q.ideal) block(body, 'Ideal answer', q.ideal, q.lang);
    if (!q.a.length) body.appendChild(el('p', 'muted', 'No answer to this question in this run.'));
    q.a.forEach(function (a) {
      var head = modelName(a.m) + (a.s ? ' \u00b7 sample ' + a.s : '') + ' \u00b7 ';
      head += (a.sc === null || a.sc === undefined) ? 'no score' : pct(a.sc) + '% (' + a.pe + ' of ' + a.pp + ' points)';
      var h = el('h4', null, head);
      h.style.borderLeftColor = modelColor(a.m);
      body.appendChild(h);
      if (a.t !== null && a.t !== undefined) {
        body.appendChild(el('div', 'text', a.t, q.lang));
      } else if (a.e) {
        body.appendChild(el('p', 'muted', 'The item failed: ' + a.e));
      } else {
        body.appendChild(el('p', 'muted', data.note || 'The answer text is unavailable.'));
      }
      if (a.v) {
        var t = el('table');
        var hr = el('tr');
        ['verdict', 'points', 'criterion', 'source', 'explanation'].forEach(function (x) { hr.appendChild(el('th', null, x)); });
        var th = el('thead'); th.appendChild(hr); t.appendChild(th);
        var tb = el('tbody');
        a.v.forEach(function (v, i) { if (q.c[i]) tb.appendChild(verdictRow(q.c[i], v)); });
        t.appendChild(tb);
        body.appendChild(t);
      }
      if (a.t !== null && a.t !== undefined) reviewAnswer(body, q, a);
    });
  }
  // Render on open, drop on close: the DOM holds only the questions being read.
  document.addEventListener('toggle', function (e) {
    var d = e.target;
    if (!d.classList || !d.classList.contains('q')) return;
    if (d.open) { render(d); } else { var b = d.querySelector('.body'); if (b) b.textContent = ''; }
  }, true);
  var items = Array.prototype.slice.call(document.querySelectorAll('details.q'));
  var fl = document.getElementById('f-lang'), fd = document.getElementById('f-domain');
  var ft = document.getElementById('f-text'), fc = document.getElementById('f-count');
  function apply() {
    var l = fl ? fl.value : '', dm = fd ? fd.value : '', t = ft ? ft.value.trim().toLowerCase() : '';
    var shown = 0;
    items.forEach(function (d) {
      var q = data.q[+d.getAttribute('data-i')];
      var ok = (!l || d.getAttribute('data-language') === l) && (!dm || d.getAttribute('data-domain') === dm);
      if (ok && t) {
        ok = q.id.toLowerCase().indexOf(t) >= 0 || promptText(q.prompt).toLowerCase().indexOf(t) >= 0 ||
          (q.en || '').toLowerCase().indexOf(t) >= 0;
      }
      d.hidden = !ok;
      if (ok) shown++;
    });
    if (fc) fc.textContent = shown + ' of ' + items.length + ' questions';
  }
  var timer = null;
  if (fl) fl.addEventListener('change', apply);
  if (fd) fd.addEventListener('change', apply);
  if (ft) ft.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  apply();
  function openHash() {
    var d = document.getElementById(location.hash.slice(1));
    if (d && d.classList.contains('q')) { d.hidden = false; d.open = true; d.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openHash);
  openHash();
"#;

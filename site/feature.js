/* feature-atlas: draws the body of a feature page (examples, activation histogram, top tokens, logit
 * effects, nearest features, sources) from the feature's data (data/features/fNNNNN.js, which sets
 * window.atlasFeature) and the text of the capture windows shared by every page (data/windows.js, which
 * sets window.atlasWindows). Text from the data is only ever set as textContent or as an attribute value,
 * never parsed as markup. The JSON button saves the feature's record with every example's tokens and
 * activations (the values as shown: two decimals below 10, one below 100). */
(function () {
  'use strict';
  var data = window.atlasFeature, windows = window.atlasWindows || {};
  var main = document.getElementById('feature-main'), side = document.getElementById('feature-side');
  if (!data || !main || !side) return;
  var body = data.body, record = data.record;
  // Examples are arrays [w, s, n, p, d, o, f, l, v, k, id, t] (see FeatureData.Example).
  function unpack(a) {
    var ex = { w: a[0], s: a[1], n: a[2], p: a[3], d: a[4], o: body.names[a[5]] || '', f: a[6], l: a[7], v: a[8], k: a[9],
      id: a[10], t: a[11] };
    if (ex.k === null || ex.k === undefined) ex.k = ex.v[ex.f.indexOf(ex.p)] || '0.00';
    return ex;
  }
  body.top = body.top.map(unpack);
  body.quantiles.concat(body.intervals).forEach(function (b) { b.examples = b.examples.map(unpack); });
  var SVGNS = 'http://www.w3.org/2000/svg';

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function count(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function section(parent, id, title, before) {
    var s = el('section');
    s.setAttribute('aria-labelledby', id);
    var h = el('h2', null, title);
    h.id = id;
    s.appendChild(h);
    parent.insertBefore(s, before || null);
    return s;
  }
  function note(parent, text, className) { parent.appendChild(el('p', className || 'note', text)); }

  // A piece as a page shows it (Markup.tokenText): whitespace controls made visible so every token has an
  // extent, other controls as their symbols, bidirectional controls by name (raw, they reorder the text).
  var bidi = { '\u202a': 'LRE', '\u202b': 'RLE', '\u202c': 'PDF', '\u202d': 'LRO', '\u202e': 'RLO', '\u2066': 'LRI', '\u2067': 'RLI',
    '\u2068': 'FSI', '\u2069': 'PDI', '\u200e': 'LRM', '\u200f': 'RLM', '\u061c': 'ALM' };
  function tokenText(piece) {
    return String(piece).replace(/[\u0000-\u001f\ufffe\uffff\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, function (c) {
      if (bidi[c]) return '\u2039' + bidi[c] + '\u203a';
      if (c === '\n') return '\u21b5';
      if (c === '\t') return '\u21e5';
      if (c === '\r') return '\u240d';
      if (c === '\ufffe' || c === '\uffff') return '\ufffd';
      return String.fromCharCode(0x2400 + c.charCodeAt(0));
    });
  }
  var rightToLeft = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]|[\uD802\uD803\uD83A\uD83B][\uDC00-\uDFFF]/;

  // A capture window's pieces from its entry [first, text, lengths] of data/windows.js: one length character
  // per piece (U+0021 + its length; U+0020 where no example covers it). Decoded once, when first shown.
  var decoded = {};
  function windowPieces(id) {
    if (decoded[id]) return decoded[id];
    var w = windows[id], out = { first: 0, pieces: [] };
    if (w) {
      out.first = w[0];
      for (var i = 0, at = 0; i < w[2].length; i++) {
        var c = w[2].charCodeAt(i);
        if (c === 0x20) { out.pieces.push(null); continue; }
        out.pieces.push(w[1].substr(at, c - 0x21));
        at += c - 0x21;
      }
    }
    decoded[id] = out;
    return out;
  }

  // The pieces of an example: its own, or the part of its capture window it shows (null where unknown).
  function pieces(ex) {
    if (ex.t) return ex.t;
    var w = windowPieces(ex.w), out = [];
    for (var k = 0; k < ex.n; k++) {
      var at = ex.s + k - w.first;
      out.push(at >= 0 && at < w.pieces.length ? w.pieces[at] : null);
    }
    return out;
  }

  function peakText(ex, shown) {
    var p = ex.p >= 0 && ex.p < shown.length && shown[ex.p] !== null ? tokenText(shown[ex.p]) : '';
    return 'peak ' + ex.k + ' on \u201c' + p + '\u201d';
  }

  // A figure: tokens that fired are spans shaded a1…a8 with their value on hover, the peak underlined;
  // runs of tokens that did not fire are plain text (a right-to-left piece keeps a span of its own).
  function figure(ex) {
    var shown = pieces(ex), fig = el('figure', 'example'), strip = el('div', 'strip'), run = '', fired = {};
    if (ex.id) fig.id = ex.id;
    for (var i = 0; i < ex.f.length; i++) fired[ex.f[i]] = i;
    function flush() { if (run) { strip.appendChild(document.createTextNode(run)); run = ''; } }
    for (var k = 0; k < ex.n; k++) {
      var text = shown[k] === null || shown[k] === undefined ? '\u2026' : tokenText(shown[k]);
      var j = fired[k], span = null;
      if (j !== undefined) {
        span = el('span', 'a' + ex.l.charAt(j) + (k === ex.p ? ' pk' : ''), text);
        span.title = ex.v[j];
      } else if (k === ex.p) {
        span = el('span', 'pk', text);
      } else if (rightToLeft.test(text)) {
        span = el('span', null, text);
      }
      if (span) { flush(); strip.appendChild(span); } else { run += text; }
    }
    flush();
    fig.appendChild(strip);
    fig.appendChild(el('figcaption', null, ex.o + ' \u00b7 document ' + count(ex.d) + ' \u00b7 window ' + count(ex.w) +
      ' \u00b7 ' + peakText(ex, shown)));
    return fig;
  }

  function examples(parent, list, again) {
    list.forEach(function (ex) { parent.appendChild(figure(ex)); });
    if (again && again.length) {
      var p = el('p', 'again', 'Also in this band, shown above: ');
      again.forEach(function (a, i) {
        if (i > 0) p.appendChild(document.createTextNode(' \u00b7 '));
        var link = el('a', null, a[1]);
        link.href = '#' + a[0];
        p.appendChild(link);
      });
      parent.appendChild(p);
    }
  }

  function bands(id, title, text, list, before) {
    if (!list.length) return;
    var s = section(main, id, title, before);
    note(s, text);
    list.forEach(function (b) {
      var g = el('div', 'group'), h = el('h3', null, b.title + ' ');
      h.appendChild(el('span', null, b.caption));
      g.appendChild(h);
      examples(g, b.examples, b.again);
      s.appendChild(g);
    });
  }

  // MARK: examples
  var steering = document.getElementById('steering');
  var top = section(main, 'top-h', 'Top activations', steering);
  note(top, 'Each token is shaded by this feature\u2019s activation on it, relative to its maximum (' + body.maximum +
    '); hover a token for its value. Pieces such as <0xE2> are tokens that end inside a multi-byte character; \u21b5 is a line break.');
  if (body.top.length) examples(top, body.top, []);
  else note(top, 'This feature never fired on the analysed text.', 'empty');
  bands('quantile-h', 'Quantile samples', 'True quantiles of this feature\u2019s non-zero activations: each band holds the same ' +
    'share of its firings, so these show typical rather than extreme contexts.', body.quantiles, steering);
  bands('interval-h', 'Interval samples', 'Equal-width intervals of [0, max activation] (what sae_vis calls \u201cquantiles\u201d): ' +
    'the bands hold different shares of the firings.', body.intervals, steering);

  // MARK: histogram (log-scaled activations; bar heights grow with the square root of the count)
  function number2(v) {
    if (v === Math.round(v) && Math.abs(v) < 1e15) return String(v);
    var e = Math.floor(Math.log10(Math.abs(v))), t = v.toFixed(Math.max(0, Math.min(9, 1 - e)));
    if (t.indexOf('.') >= 0) t = t.replace(/0+$/, '').replace(/\.$/, '');
    return t;
  }
  function compact(n) {
    if (n < 1000) return String(n);
    var s = n < 1e6 ? [n / 1e3, 'k'] : n < 1e9 ? [n / 1e6, 'M'] : [n / 1e9, 'B'];
    return s[0].toFixed(s[0] < 100 ? 1 : 0) + s[1];
  }
  function r1(v) { return String(Math.round(v * 10) / 10); }
  function histogram(parent, h) {
    var W = 360, H = 130, left = 40, right = 16, topPad = 10, bottom = 24;
    var label = 'Histogram of ' + body.id + '\u2019s activations on a log scale';
    var root = svg('svg', { 'class': 'chart hist', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label });
    root.appendChild(svg('title', {}, label));
    var counts = h.counts || [], peak = Math.max.apply(null, [1].concat(counts));
    if (!counts.length || !(h.binWidth > 0)) {
      root.appendChild(svg('text', { x: W / 2, y: H / 2, 'class': 'axis-label', 'text-anchor': 'middle' }, 'no firings'));
      parent.appendChild(root);
      return 0;
    }
    var plotW = W - left - right, plotH = H - topPad - bottom, barW = plotW / counts.length;
    var lower = h.lowerLog10, upper = lower + h.binWidth * counts.length, base = topPad + plotH;
    var axes = 'M' + left + ' ' + base + 'H' + (left + plotW) + 'M' + left + ' ' + topPad + 'V' + base;
    var countTicks = svg('g', { 'class': 'tick', 'text-anchor': 'end' }), valueTicks = svg('g', { 'class': 'tick', 'text-anchor': 'middle' });
    var ticks = [peak], quarter = Math.round(peak / 4), firings = 0;
    if (quarter >= 1 && quarter < peak) ticks.push(quarter);
    ticks.forEach(function (c) {
      var y = base - Math.sqrt(c / peak) * plotH;
      axes += 'M' + r1(left - 4) + ' ' + r1(y) + 'H' + left;
      countTicks.appendChild(svg('text', { x: left - 6, y: r1(y + 3.5) }, compact(c)));
    });
    countTicks.appendChild(svg('text', { x: left - 6, y: r1(base + 3.5) }, '0'));
    counts.forEach(function (c, b) {
      firings += c;
      if (c <= 0) return;
      var height = Math.max(1, Math.sqrt(c / peak) * plotH), a = lower + b * h.binWidth;
      var bar = svg('rect', { x: r1(left + b * barW + 0.5), y: r1(base - height), width: r1(Math.max(0.5, barW - 1)), height: r1(height), 'class': 'bar' });
      bar.appendChild(svg('title', {}, number2(Math.pow(10, a)) + '\u2013' + number2(Math.pow(10, a + h.binWidth)) + ': ' + count(c) +
        ' firing' + (c === 1 ? '' : 's')));
      root.appendChild(bar);
    });
    for (var t = Math.ceil(lower); t <= upper + 1e-9; t += 1) {
      var x = left + (t - lower) / (upper - lower) * plotW;
      axes += 'M' + r1(x) + ' ' + base + 'V' + (base + 4);
      valueTicks.appendChild(svg('text', { x: r1(x), y: H - 6 }, number2(Math.pow(10, t))));
    }
    root.appendChild(svg('path', { 'class': 'axis', d: axes }));
    root.appendChild(countTicks);
    root.appendChild(valueTicks);
    parent.appendChild(root);
    return firings;
  }
  var hist = section(side, 'hist-h', 'Activation distribution');
  var firings = histogram(hist, record.histogram || {});
  note(hist, 'log-scaled activations of its ' + count(firings) + ' firings; bar heights grow with the square root of the count ' +
    '(axis on the left); hover a bar for its range and count', 'caption');

  // MARK: top tokens
  var tokens = section(side, 'tokens-h', 'Top tokens'), top = record.topTokens || [];
  if (top.length) {
    var chips = el('ul', 'chips');
    top.forEach(function (t) {
      var li = el('li'), code = el('code', 'tok', tokenText(t.token));
      code.title = code.textContent;
      li.appendChild(code);
      li.appendChild(el('span', null, '\u00d7' + count(t.count)));
      chips.appendChild(li);
    });
    tokens.appendChild(chips);
  } else {
    note(tokens, 'None.', 'empty');
  }

  // MARK: logit effects (bars in 5% steps of the largest effect)
  var promoted = record.promotedTokens || [], suppressed = record.suppressedTokens || [];
  if (promoted.length || suppressed.length) {
    var logits = section(side, 'logit-h', 'Logit effects'), largest = 0;
    promoted.concat(suppressed).forEach(function (t) { largest = Math.max(largest, Math.abs(t.value)); });
    note(logits, 'Tokens whose next-token logits the decoder direction raises or lowers most (through the final norm and unembedding).');
    var box = el('div', 'logits');
    [['Promoted', 'pos', promoted], ['Suppressed', 'neg', suppressed]].forEach(function (list) {
      var table = el('table'), tbody = el('tbody');
      table.appendChild(el('caption', null, list[0]));
      list[2].forEach(function (t) {
        var tr = el('tr'), td = el('td'), code = el('code', 'tok', tokenText(t.token));
        var width = largest > 0 ? Math.max(0, Math.min(20, Math.round(Math.abs(t.value) / largest * 20))) : 0;
        if (code.textContent.length > 12) code.title = code.textContent;
        td.appendChild(code);
        tr.appendChild(td);
        var bar = el('td', 'bar-cell');
        bar.appendChild(el('span', 'hbar ' + list[1] + ' w' + width));
        tr.appendChild(bar);
        tr.appendChild(el('td', 'num', (t.value > 0 ? '+' : '') + t.value.toFixed(2)));
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      box.appendChild(table);
    });
    logits.appendChild(box);
  }

  // MARK: nearest features
  // Rows of a neighbour list: the page's [id, label, swatch] beside the record's similarity.
  var labels = {};
  function neighbours(parent, names, list) {
    var ol = el('ol', 'neighbours');
    names.forEach(function (n, i) {
      if (n.length < 3 || !list[i]) return;
      labels[n[0]] = n[1];
      var li = el('li'), a = el('a');
      a.href = n[0] + '.html';
      a.appendChild(el('span', 'sw ' + n[2]));
      a.appendChild(el('span', 'nid', n[0]));
      a.appendChild(el('span', 'nl', n[1]));
      a.appendChild(el('span', 'sim', list[i].similarity.toFixed(2)));
      li.appendChild(a);
      ol.appendChild(li);
    });
    parent.appendChild(ol);
  }
  var near = section(side, 'nb-h', 'Nearest features'), list = el('div');
  neighbours(list, body.decoder, record.decoderNeighbours || []);
  var m = body.minimap, mapLabel = 'Neighbourhood of ' + body.id + ' on the map, with its nearest features by decoder direction';
  var mini = svg('svg', { 'class': 'minimap', viewBox: '0 0 300 200', role: 'img', 'aria-label': mapLabel });
  mini.appendChild(svg('title', {}, mapLabel));
  mini.appendChild(svg('rect', { x: 0, y: 0, width: 300, height: 200, 'class': 'map-bg' }));
  mini.appendChild(svg('image', { href: '../data/points-' + m.layer + '.svg', x: m.image[0], y: m.image[1], width: m.image[2],
    height: m.image[3], preserveAspectRatio: 'none' }));
  var edges = '';
  m.points.forEach(function (p) { edges += 'M' + m.me[0] + ' ' + m.me[1] + 'L' + p[0] + ' ' + p[1]; });
  if (edges) mini.appendChild(svg('path', { 'class': 'edge', d: edges }));
  m.points.forEach(function (p) {
    var a = svg('a', { href: p[3] + '.html' });
    var dot = svg('circle', { cx: p[0], cy: p[1], r: 5, 'class': 'nb', fill: p[2] });
    dot.appendChild(svg('title', {}, p[3] + ': ' + (labels[p[3]] || '')));
    a.appendChild(dot);
    mini.appendChild(a);
  });
  var me = svg('circle', { cx: m.me[0], cy: m.me[1], r: 7, 'class': 'self' });
  me.appendChild(svg('title', {}, body.id + ': ' + body.label));
  mini.appendChild(me);
  near.appendChild(mini);
  note(near, 'Nearest by decoder cosine in the full space (lines, and the number beside each below), over the points of the map. ' +
    'Map distance and decoder similarity can disagree.', 'caption');
  while (list.firstChild) near.appendChild(list.firstChild);
  if (body.coactivation.length) {
    var h3 = el('h3', null, 'Fires together with ');
    h3.appendChild(el('span', 'note', 'co-activation (Jaccard)'));
    near.appendChild(h3);
    neighbours(near, body.coactivation, record.coactivationNeighbours || []);
  }

  // MARK: sources
  if (body.sources.length) {
    var where = section(side, 'src-h', 'Where it fires');
    var table = el('table', 'grid where'), head = el('tr'), rows = el('tbody'), thead = el('thead');
    [['Source', ''], ['Its firings', 'num'], ['The text', 'num']].forEach(function (c) {
      var th = el('th', c[1], c[0]);
      th.scope = 'col';
      head.appendChild(th);
    });
    thead.appendChild(head);
    table.appendChild(thead);
    var about = window.atlasSources || {};
    body.sources.forEach(function (row) {
      var s = { name: row[0], firings: row[1], text: row[2], over: row[0] === body.over, about: about[row[0]] || '' };
      var tr = el('tr', s.over ? 'over' : null), th = el('th', null, s.name);
      th.scope = 'row';
      if (s.over) {
        th.appendChild(document.createTextNode(' '));
        var badge = el('span', 'badge', 'over-represented');
        badge.title = 'its share of the firings most exceeds its share of the text';
        th.appendChild(badge);
      }
      if (s.about) th.appendChild(el('span', 'about', s.about));
      tr.appendChild(th);
      tr.appendChild(el('td', 'num', s.firings));
      tr.appendChild(el('td', 'num', s.text));
      rows.appendChild(tr);
    });
    table.appendChild(rows);
    where.appendChild(table);
    note(where, 'Share of this feature\u2019s firings in each corpus source, beside the source\u2019s share of all the text: a source ' +
      'whose first number is much larger than its second is where the feature is over-represented.', 'caption');
  }

  // MARK: the JSON button: the record with its examples' tokens and activations put back
  function window_(ex) {
    var shown = pieces(ex), values = [];
    for (var k = 0; k < ex.n; k++) values.push(0);
    ex.f.forEach(function (k, i) { values[k] = parseFloat(ex.v[i]); });
    var w = { tokens: shown.map(function (p) { return p === null ? '' : p; }), activations: values, peak: ex.p, source: ex.o,
      document: ex.d, window: ex.w };
    if (ex.s !== null && ex.s !== undefined) w.start = ex.s;
    return w;
  }
  function full(b) {
    var byId = {};
    body.top.concat.apply(body.top, body.quantiles.concat(body.intervals).map(function (g) { return g.examples; }))
      .forEach(function (ex) { if (ex.id) byId[ex.id] = ex; });
    return b.examples.map(window_).concat(b.again.map(function (a) { return byId[a[0]] ? window_(byId[a[0]]) : null; })
      .filter(function (w) { return w; }));
  }
  var link = document.getElementById('json');
  if (link && window.Blob && window.URL && URL.createObjectURL) {
    var out = JSON.parse(JSON.stringify(record));
    out.topExamples = body.top.map(window_);
    (out.quantileSamples || []).forEach(function (g, i) { if (body.quantiles[i]) g.examples = full(body.quantiles[i]); });
    (out.intervalSamples || []).forEach(function (g, i) { if (body.intervals[i]) g.examples = full(body.intervals[i]); });
    link.href = URL.createObjectURL(new Blob([JSON.stringify(out, null, 1)], { type: 'application/json' }));
    link.setAttribute('download', body.id + '.json');
    link.type = 'application/json';
  }
})();

/* feature-atlas search: labels, top tokens and feature ids of every point the map has loaded, with
 * keyboard navigation (arrows, Enter opens, Escape clears, / focuses the box). Results are built with
 * textContent only. Uses the small API map.js exposes as FA.api. */
(function () {
  'use strict';
  var FA = window.FA = window.FA || {};
  var topics = [];          // from data/topics.js: {topic, href, words, features} per probed topic

  /** data/topics.js calls this with every probed topic (`feature-atlas probe`). */
  FA.topics = function (list) { topics = list || []; };

  /** The same crude stem on both sides of a match: "diseases" and "disease", "warring" and "war". */
  function stem(w) {
    var n = w.length;
    if (n > 4 && /ies$/.test(w)) return w.slice(0, -3) + 'y';
    if (n > 4 && /ied$/.test(w)) return w.slice(0, -3) + 'y';
    if (n > 5 && /ing$/.test(w)) return undouble(w.slice(0, -3));
    if (n > 4 && /ed$/.test(w)) return undouble(w.slice(0, -2));
    if (n > 4 && /(s|x|z|ch|sh)es$/.test(w)) return w.slice(0, -2);
    if (n > 3 && /s$/.test(w) && !/(ss|us|is)$/.test(w)) return w.slice(0, -1);
    return w;
  }
  function undouble(s) {
    var a = s.charAt(s.length - 1);
    return s.length >= 3 && a === s.charAt(s.length - 2) && 'aeiouls'.indexOf(a) < 0 ? s.slice(0, -1) : s;
  }
  function stems(text) {
    return String(text).toLowerCase().split(/[^a-z\u00c0-\uffff]+/).filter(function (w) { return w.length >= 3; }).map(stem);
  }
  var stemCache = [];
  function featureStems(atlas, i) {
    var s = stemCache[i];
    if (s === undefined) { s = stemCache[i] = ' ' + stems(atlas.words ? atlas.words(i) : '').join(' ') + ' '; }
    return s;
  }

  FA.bindSearch = function (atlas) {
    var input = document.getElementById('search');
    var list = document.getElementById('search-results');
    var note = document.getElementById('search-status');
    if (!input || !list) return;
    var results = [], active = -1, timer = 0;

    input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(run, 60); });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown') { move(1); e.preventDefault(); }
      else if (e.key === 'ArrowUp') { move(-1); e.preventDefault(); }
      else if (e.key === 'Enter') {
        clearTimeout(timer); run(true);
        var i = results[active >= 0 ? active : 0];
        if (i !== undefined) window.location.href = atlas.href(i);
        e.preventDefault();
      } else if (e.key === 'Escape') { input.value = ''; run(); }
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === '/' && document.activeElement !== input && !/INPUT|TEXTAREA/.test(document.activeElement.tagName)) {
        input.focus(); e.preventDefault();
      }
    });

    function run(keepActive) {
      var q = input.value.trim().toLowerCase();
      var previous = active;
      results = q ? query(q) : [];
      active = keepActive && previous < results.length ? previous : (results.length ? 0 : -1);
      render();
      if (!q) note.textContent = 'Searches labels, top tokens, probed topics and feature ids.';
      else if (atlas.loading()) note.textContent = results.length + ' matches so far (still loading map data)';
      else note.textContent = results.length ? (results.length >= 50 ? 'first 50 matches' : results.length + ' match' + (results.length === 1 ? '' : 'es')) : 'No feature matches “' + input.value.trim() + '”.';
    }

    function query(q) {
      var scored = [];
      var idMatch = /^f?0*(\d+)$/.exec(q);
      if (idMatch) {
        var id = parseInt(idMatch[1], 10);
        if (atlas.has(id)) scored.push([1e9, id]);
      }
      // By meaning: features ranked for a probed topic whose words share a stem with the query (best
      // ranks first), and features whose label or top tokens hold a word with the query's stem.
      var qs = stems(q), byTopic = {};
      topics.forEach(function (t) {
        var hit = t.words.some(function (w) { return qs.indexOf(stem(w)) >= 0; }) || stems(t.topic).some(function (w) { return qs.indexOf(w) >= 0; });
        if (hit) t.features.forEach(function (f, rank) { byTopic[f] = Math.max(byTopic[f] || 0, 2 - rank / (t.features.length + 1)); });
      });
      for (var i = 0, n = atlas.count(); i < n; i++) {
        if (!atlas.has(i)) continue;
        var l = atlas.lowLabel(i), score = 0, at = l.indexOf(q);
        if (at === 0) score = 3;
        else if (at > 0) score = /[\s“"'(\-]/.test(l.charAt(at - 1)) ? 2.2 : 1.5;
        else if (atlas.lowTokens(i).indexOf(q) >= 0) score = 1;
        if (byTopic[i]) score = Math.max(score, byTopic[i]);
        if (score === 0 && qs.length) {
          var fs = featureStems(atlas, i);
          if (qs.every(function (w) { return fs.indexOf(' ' + w + ' ') >= 0; })) score = 0.9;
        }
        if (score > 0 && !(idMatch && i === parseInt(idMatch[1], 10))) scored.push([score, i]);
      }
      scored.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
      return scored.slice(0, 50).map(function (e) { return e[1]; });
    }

    function render() {
      list.textContent = '';
      results.forEach(function (i, k) {
        var li = document.createElement('li');
        li.id = 'sr-' + k;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', k === active ? 'true' : 'false');
        li.dataset.feature = String(i);
        var id = document.createElement('span'); id.className = 'rid'; id.textContent = atlas.id(i);
        var lab = document.createElement('span'); lab.className = 'rl'; lab.textContent = atlas.label(i);
        var toks = document.createElement('span'); toks.className = 'rt'; toks.textContent = atlas.tokens(i);
        li.appendChild(id); li.appendChild(lab); li.appendChild(toks);
        li.addEventListener('mousedown', function (e) { e.preventDefault(); window.location.href = atlas.href(i); });
        li.addEventListener('mouseenter', function () { atlas.select(i); });
        list.appendChild(li);
      });
      input.setAttribute('aria-expanded', results.length ? 'true' : 'false');
      if (active >= 0) { input.setAttribute('aria-activedescendant', 'sr-' + active); atlas.select(results[active]); }
      else { input.removeAttribute('aria-activedescendant'); atlas.select(-1); }
    }

    function move(step) {
      if (!results.length) return;
      active = (active + step + results.length) % results.length;
      var items = list.children;
      for (var k = 0; k < items.length; k++) items[k].setAttribute('aria-selected', k === active ? 'true' : 'false');
      input.setAttribute('aria-activedescendant', 'sr-' + active);
      if (items[active]) items[active].scrollIntoView({ block: 'nearest' });
      atlas.focus(results[active]);
    }
  };
})();

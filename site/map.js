/* feature-atlas map: draws every feature on a canvas over the static SVG, with pan and zoom (wheel, drag,
 * buttons, keyboard), cluster names chosen by zoom level, a hover tooltip, click-through to feature pages and
 * search over labels, top tokens and ids. Data arrive as script files (data/map-meta.js, data/map-NNN.js)
 * because pages opened from file:// cannot fetch(). All text is set with textContent, never as HTML. */
(function () {
  'use strict';

  var FA = window.FA = window.FA || {};
  var meta = null;
  var n = 0, loadedChunks = 0, loadedPoints = 0;
  var X, Y, F, levelIds = [], D = [], M = [], L = [], T = [], N = [], K = [], lowL = [], lowT = [], have;
  var V = [], E = [], S = [];     // density (number), evidence of the name (-1 too few firings, -2 none), source index
  // What the points are coloured by: 'cluster' (coarse cluster), 'density', 'evidence' or 'source'.
  var colourBy = 'cluster', colours = [];
  var showNeighbours = true;
  var byColour = [];              // point indices per colour slot (palette index, or last = unclustered)
  var grid = new Map(), CELL = 8; // map units per grid cell, for hover lookups
  var map, canvas, ctx, overlay, tip, status, pool = [];
  var view = { s: 1, tx: 0, ty: 0, base: 1, w: 0, h: 0 };
  var hover = -1, selected = -1, dirty = false;
  // While the user pans or zooms a large map, a bitmap of every point (drawn once) is scaled instead of
  // redrawing each point; the exact drawing follows when the interaction settles.
  var cache = null, cacheScale = 0, interacting = false, settleTimer = 0;

  // MARK: - Data entry points (called by the data scripts)

  FA.meta = function (m) {
    meta = m;
    n = m.n;
    X = new Float32Array(n); Y = new Float32Array(n); F = new Uint8Array(n); have = new Uint8Array(n);
    for (var l = 0; l < m.levels.length; l++) levelIds.push(new Int32Array(n).fill(-1));
    colours = schemeColours();
    for (var c = 0; c <= colours.length; c++) byColour.push([]);
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
  };

  FA.chunk = function (k, data) {
    var s = data.start;
    for (var j = 0; j < data.x.length; j++) {
      var i = s + j;
      if (i >= n) break;
      X[i] = data.x[j]; Y[i] = data.y[j]; F[i] = data.w[j]; have[i] = 1;
      for (var l = 0; l < levelIds.length; l++) levelIds[l][i] = data.c[l] ? data.c[l][j] : -1;
      D[i] = data.d[j]; M[i] = data.m[j]; L[i] = data.l[j]; T[i] = data.t[j]; N[i] = data.n ? data.n[j] : [];
      K[i] = data.k ? data.k[j] : '';
      V[i] = data.v ? data.v[j] : 0; E[i] = data.e ? data.e[j] : -2; S[i] = data.s ? data.s[j] : -1;
      lowL[i] = String(L[i]).toLowerCase(); lowT[i] = String(T[i]).toLowerCase();
      byColour[slotOf(i)].push(i);
      var key = cellKey(Math.floor(X[i] / CELL), Math.floor(Y[i] / CELL));
      var bucket = grid.get(key);
      if (bucket) bucket.push(i); else grid.set(key, [i]);
      loadedPoints++;
    }
    loadedChunks++;
  };

  /** Test and debugging hook: where feature i is drawn, in CSS pixels relative to the page. */
  FA.screenPosition = function (i) {
    if (!canvas || i < 0 || i >= n || !have[i]) return null;
    var r = canvas.getBoundingClientRect();
    return { x: r.left + X[i] * view.s + view.tx, y: r.top + Y[i] * view.s + view.ty };
  };

  /** Centres the view on feature i and marks it (also what index.html#f00042 does). */
  FA.focusFeature = function (i) { focusPoint(i); };

  function cellKey(cx, cy) { return cx * 100003 + cy; }

  // MARK: - Colour schemes

  // Density: log10 from 1e-5 to 1e-1 in seven steps (a colour-blind-safe sequential scale, light to dark).
  var DENSITY = ['#fde725', '#a0da39', '#4ac16d', '#1fa187', '#277f8e', '#365c8d', '#46327e'];
  // Evidence: red below 0.65, amber to 0.80, green from 0.80 (as on the feature pages).
  var EVIDENCE = ['#a82c1f', '#d08a00', '#176c40'];

  function schemeColours() {
    if (colourBy === 'density') return DENSITY;
    if (colourBy === 'evidence') return EVIDENCE;
    if (colourBy === 'source') return meta.sources.map(function (_, k) { return meta.palette[k % meta.palette.length]; });
    return meta.palette;
  }

  /** The colour slot of point i under the current scheme; the last slot is grey (unclustered, untested, …). */
  function slotOf(i) {
    var none = colours.length;
    if (colourBy === 'density') {
      if (!(V[i] > 0)) return none;
      return Math.max(0, Math.min(DENSITY.length - 1, Math.floor((Math.log10(V[i]) + 5) / 4 * DENSITY.length)));
    }
    if (colourBy === 'evidence') return E[i] < 0 ? none : E[i] >= 0.8 ? 2 : E[i] >= 0.65 ? 1 : 0;
    if (colourBy === 'source') return S[i] >= 0 && S[i] < colours.length ? S[i] : none;
    var coarse = levelIds.length ? levelIds[0][i] : -1;
    return coarse < 0 ? none : coarse % colours.length;
  }

  function setColourBy(mode) {
    colourBy = mode;
    colours = schemeColours();
    byColour = [];
    for (var c = 0; c <= colours.length; c++) byColour.push([]);
    for (var i = 0; i < n; i++) if (have[i]) byColour[slotOf(i)].push(i);
    legend();
    if (cache) buildCache();
    redraw();
  }

  /** The key of the current colour scheme under the map (text set with textContent). */
  function legend() {
    var list = document.getElementById('colour-legend');
    if (!list) return;
    list.textContent = '';
    var entries = [];
    if (colourBy === 'density') {
      for (var k = 0; k < DENSITY.length; k++) {
        var lo = Math.pow(10, -5 + 4 * k / DENSITY.length), hi = Math.pow(10, -5 + 4 * (k + 1) / DENSITY.length);
        entries.push([DENSITY[k], (k === 0 ? '< ' : '') + percent(k === 0 ? hi : lo) + (k === 0 ? '' : '–' + percent(hi)), '']);
      }
      entries.push([meta.unclustered, 'dead', 'never fired']);
    } else if (colourBy === 'evidence') {
      entries = [[EVIDENCE[2], '≥ 0.80', 'label holds up'], [EVIDENCE[1], '0.65–0.80', ''], [EVIDENCE[0], '< 0.65', 'weak or contradicted'],
                 [meta.unclustered, 'insufficient or untested', 'fewer than 20 held-out firings']];
    } else if (colourBy === 'source') {
      for (var s = 0; s < meta.sources.length; s++) entries.push([colours[s], meta.sources[s], meta.about[s] || '']);
      entries.push([meta.unclustered, 'none', '']);
    } else {
      list.hidden = true;
      return;
    }
    list.hidden = false;
    for (var e = 0; e < entries.length; e++) {
      var li = document.createElement('li');
      var sw = document.createElement('span');
      sw.className = 'key';
      sw.style.background = entries[e][0];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(entries[e][1]));
      if (entries[e][2]) { var about = document.createElement('span'); about.className = 'about'; about.textContent = entries[e][2]; li.appendChild(about); }
      list.appendChild(li);
    }
  }

  function percent(f) {
    var p = f * 100;
    return (p >= 1 ? p.toFixed(0) : p >= 0.1 ? p.toFixed(1) : p >= 0.01 ? p.toFixed(2) : p.toFixed(3)) + '%';
  }

  // MARK: - Set-up and chunk loading

  function start() {
    map = document.getElementById('map');
    if (!map || canvas) return;
    canvas = document.createElement('canvas');
    canvas.setAttribute('aria-hidden', 'true');
    overlay = document.createElement('div');
    overlay.className = 'map-overlay';
    overlay.setAttribute('aria-hidden', 'true');
    var svg = document.getElementById('map-static');
    map.insertBefore(canvas, svg ? svg.nextSibling : map.firstChild);
    map.insertBefore(overlay, canvas.nextSibling);
    tip = document.getElementById('map-tip');
    status = document.getElementById('map-status');
    ctx = canvas.getContext('2d');
    resize(true);
    bindMap();
    if (FA.bindSearch) FA.bindSearch(FA.api);
    window.addEventListener('resize', function () { resize(false); });
    loadChunk(0);
  }

  function loadChunk(k) {
    if (k >= meta.chunks) { finished(); return; }
    setStatus('Loading map data… ' + k + ' of ' + meta.chunks);
    var script = document.createElement('script');
    script.src = 'data/map-' + String(k).padStart(3, '0') + '.js';
    script.onload = function () {
      if (k === 0) map.classList.add('live');
      map.dataset.points = String(loadedPoints);
      redraw();
      loadChunk(k + 1);
    };
    script.onerror = function () { setStatus('Could not load ' + script.src + '; the map shows the static picture.'); };
    document.body.appendChild(script);
  }

  function buildCache() {
    cache = null;
    if (loadedPoints < 8000) return;
    var ratio = window.devicePixelRatio || 1;
    cacheScale = view.base * 2 * ratio;
    var c = document.createElement('canvas');
    c.width = Math.ceil(meta.width * cacheScale);
    c.height = Math.ceil(meta.height * cacheScale);
    var g = c.getContext('2d');
    paintPoints(g, cacheScale, 0, 0, c.width, c.height, 1.7 * ratio * 2, false);
    cache = c;
  }

  /** Marks the view as moving: scaled bitmap now, exact points shortly after the last movement. */
  function moving() {
    interacting = true;
    clearTimeout(settleTimer);
    settleTimer = setTimeout(function () { interacting = false; redraw(); }, 140);
  }

  function finished() {
    buildCache();
    var wanted = /^#f0*(\d+)$/.exec(window.location.hash);
    if (wanted) focusPoint(parseInt(wanted[1], 10));
    map.dataset.points = String(loadedPoints);
    map.dataset.ready = 'true';
    setStatus(loadedPoints.toLocaleString('en-US') + ' features');
    var s = document.getElementById('search-status');
    if (s && !document.getElementById('search').value) s.textContent = 'Search ' + loadedPoints.toLocaleString('en-US') + ' labels, top tokens and ids.';
    redraw();
  }

  function setStatus(text) { if (status) status.textContent = text; }

  // MARK: - View transform

  function resize(reset) {
    var r = map.getBoundingClientRect();
    var ratio = window.devicePixelRatio || 1;
    var oldBase = view.base, oldW = view.w, oldH = view.h;
    view.w = r.width; view.h = r.height;
    canvas.width = Math.max(1, Math.round(r.width * ratio));
    canvas.height = Math.max(1, Math.round(r.height * ratio));
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    view.base = Math.min(view.w / meta.width, view.h / meta.height);
    if (cache && Math.abs(view.base - oldBase) > 1e-6) buildCache();
    if (reset || !oldW) { resetView(); return; }
    // Keep the same centre and zoom factor.
    var k = view.s / oldBase;
    var cu = (oldW / 2 - view.tx) / view.s, cv = (oldH / 2 - view.ty) / view.s;
    view.s = view.base * k;
    view.tx = view.w / 2 - cu * view.s; view.ty = view.h / 2 - cv * view.s;
    redraw();
  }

  function resetView() {
    view.s = view.base;
    view.tx = (view.w - meta.width * view.s) / 2;
    view.ty = (view.h - meta.height * view.s) / 2;
    redraw();
  }

  function zoomAt(px, py, factor) {
    moving();
    var s = Math.max(view.base * 0.7, Math.min(view.base * 120, view.s * factor));
    var u = (px - view.tx) / view.s, v = (py - view.ty) / view.s;
    view.s = s;
    view.tx = px - u * s; view.ty = py - v * s;
    redraw();
  }

  function pan(dx, dy) { moving(); view.tx += dx; view.ty += dy; redraw(); }

  function redraw() {
    if (dirty) return;
    dirty = true;
    window.requestAnimationFrame(draw);
  }

  // MARK: - Drawing

  function draw() {
    dirty = false;
    var w = view.w, h = view.h, s = view.s, tx = view.tx, ty = view.ty;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, w, h);
    var zoom = s / view.base;
    var r = Math.min(7, 1.7 * Math.pow(zoom, 0.4));
    if (interacting && cache && zoom < 3) {
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(cache, tx, ty, meta.width * s, meta.height * s);
    } else {
      paintPoints(ctx, s, tx, ty, w, h, r, loadedPoints > 30000 && zoom < 2.5);
    }
    if (showNeighbours) { neighbourLines(selected, r); neighbourLines(hover, r); }
    ring(selected, r + 4, '#1b5fd1', 2.5);
    ring(hover, r + 3, '#1d1c1a', 2);
    drawLabels(zoom);
  }

  /** Every loaded point inside (0, 0, w, h), coloured by the current scheme, grey ones underneath. */
  function paintPoints(g, s, tx, ty, w, h, r, squares) {
    g.globalAlpha = s / view.base < 2 ? 0.78 : 0.88;
    var last = byColour.length - 1;
    for (var pass = 0; pass < byColour.length; pass++) {
      var slot = pass === 0 ? last : pass - 1;
      var list = byColour[slot];
      if (!list.length) continue;
      g.fillStyle = slot === last ? meta.unclustered : colours[slot];
      g.beginPath();
      for (var k = 0; k < list.length; k++) {
        var i = list[k];
        var sx = X[i] * s + tx, sy = Y[i] * s + ty;
        if (sx < -r || sy < -r || sx > w + r || sy > h + r) continue;
        if (squares) g.rect(sx - r, sy - r, 2 * r, 2 * r);
        else { g.moveTo(sx + r, sy); g.arc(sx, sy, r, 0, 6.2832); }
      }
      g.fill();
    }
    g.globalAlpha = 1;
  }

  /** Lines from feature i to its nearest features by decoder cosine in the full space: where the 2D
   *  map agrees with the full space they are short; long lines show where the layout distorts. */
  function neighbourLines(i, r) {
    if (i < 0 || !have[i] || !N[i] || !N[i].length) return;
    var x0 = X[i] * view.s + view.tx, y0 = Y[i] * view.s + view.ty;
    ctx.save();
    ctx.strokeStyle = 'rgba(29, 28, 26, 0.55)';
    ctx.lineWidth = 1.25;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    for (var k = 0; k < N[i].length; k++) {
      var j = N[i][k];
      if (!have[j]) continue;
      ctx.moveTo(x0, y0);
      ctx.lineTo(X[j] * view.s + view.tx, Y[j] * view.s + view.ty);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    for (var m = 0; m < N[i].length; m++) {
      var n = N[i][m];
      if (!have[n]) continue;
      ctx.beginPath();
      ctx.arc(X[n] * view.s + view.tx, Y[n] * view.s + view.ty, r + 2.5, 0, 6.2832);
      ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 3; ctx.stroke();
      ctx.strokeStyle = '#1d1c1a'; ctx.lineWidth = 1.5; ctx.stroke();
    }
    ctx.restore();
  }

  function ring(i, radius, colour, width) {
    if (i < 0 || !have[i]) return;
    ctx.beginPath();
    ctx.arc(X[i] * view.s + view.tx, Y[i] * view.s + view.ty, radius, 0, 6.2832);
    ctx.strokeStyle = '#ffffff'; ctx.lineWidth = width + 2.5; ctx.stroke();
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.stroke();
  }

  /** Cluster names of the level that suits the zoom (coarse when zoomed out, finer when zoomed in),
   *  largest first, skipping any that would overlap; feature labels once only a few points are in view. */
  function drawLabels(zoom) {
    var levels = meta.levels.length;
    var level = 0;
    if (levels > 1 && zoom >= 2.2) level = 1;
    if (levels > 2 && zoom >= 5.5) level = 2;
    for (var extra = 3; extra < levels; extra++) if (zoom >= 5.5 * Math.pow(2.5, extra - 2)) level = extra;
    var clusters = meta.levels[level] ? meta.levels[level].clusters : [];
    var placed = [[view.w - 64, 0, view.w, 160]], used = 0;   // keep clear of the zoom buttons
    var font = level === 0 ? 14.5 : level === 1 ? 12.5 : 11.5;
    var candidates = [], centred = {};
    for (var c = 0; c < clusters.length; c++) {
      var cl = clusters[c];
      if (!cl.size) continue;
      var sx = cl.x * view.s + view.tx, sy = cl.y * view.s + view.ty;
      if (sx < 0 || sy < 0 || sx > view.w || sy > view.h) continue;
      candidates.push([cl.size, sx, sy, cl.label]);
      centred[c] = true;
    }
    candidates.sort(function (a, b) { return b[0] - a[0]; });
    // About one name per 16,000 px² of map, each name once per view, with a margin around each.
    var budget = Math.max(6, Math.round(view.w * view.h / 16000));
    var shown = {};
    function placeNames(list) {
      for (var k = 0; k < list.length && used < budget; k++) {
        var cand = list[k];
        var text = cand[3].length > 38 ? cand[3].slice(0, 37) + '…' : cand[3];
        if (shown[text]) continue;
        var bw = text.length * font * 0.56 + 10, bh = font * 1.45;
        // Keep the whole name inside the view (a centroid near the edge pushes its name inwards).
        var cx = Math.min(Math.max(cand[1], bw / 2 + 4), view.w - bw / 2 - 4);
        var cy = Math.min(Math.max(cand[2], bh / 2 + 4), view.h - bh / 2 - 4);
        var box = [cx - bw / 2 - 6, cy - bh / 2 - 4, cx + bw / 2 + 6, cy + bh / 2 + 4];
        if (overlaps(box, placed)) continue;
        placed.push(box);
        shown[text] = true;
        label(used++, text, 'lbl l' + Math.min(level, 2), cx, cy);
      }
    }
    placeNames(candidates);
    var inView = (level > 0 || zoom >= 4) && loadedPoints ? visiblePoints(4000) : null;
    // Feature labels when zoomed in far enough that few points are visible.
    if (zoom >= 4 && inView && inView.length <= 120) {
      for (var v = 0; v < inView.length && used < 220; v++) {
        var i = inView[v];
        var px = X[i] * view.s + view.tx, py = Y[i] * view.s + view.ty;
        var t = String(L[i]);
        if (t.length > 30) t = t.slice(0, 29) + '…';
        var fb = [px + 5, py - 7, px + 10 + t.length * 6.1, py + 7];
        if (overlaps(fb, placed)) continue;
        placed.push(fb);
        label(used++, t, 'lbl pl', px, py);
      }
    }
    // A cluster whose centre lies outside the view but whose members are in it is named just below
    // the mean of its visible members (after everything else), so a zoomed-in region is never nameless.
    if (inView) {
      var sums = {}, others = [];
      for (var w = 0; w < inView.length; w++) {
        var id = levelIds[level] ? levelIds[level][inView[w]] : -1;
        if (id < 0 || centred[id] || !clusters[id]) continue;
        var acc = sums[id] || (sums[id] = [0, 0, 0]);
        acc[0] += 1; acc[1] += X[inView[w]]; acc[2] += Y[inView[w]];
      }
      for (var key in sums) {
        var a = sums[key];
        others.push([a[0], a[1] / a[0] * view.s + view.tx, a[2] / a[0] * view.s + view.ty + 24, clusters[key].label]);
      }
      others.sort(function (a, b) { return b[0] - a[0]; });
      placeNames(others);
    }
    for (var p = used; p < pool.length; p++) pool[p].hidden = true;
  }

  function overlaps(box, boxes) {
    for (var b = 0; b < boxes.length; b++) {
      var o = boxes[b];
      if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) return true;
    }
    return false;
  }

  function label(slot, text, cls, x, y) {
    var el = pool[slot];
    if (!el) { el = document.createElement('div'); overlay.appendChild(el); pool.push(el); }
    if (el.textContent !== text) el.textContent = text;
    if (el.className !== cls) el.className = cls;
    el.style.left = x.toFixed(1) + 'px';
    el.style.top = y.toFixed(1) + 'px';
    el.hidden = false;
  }

  /** Indices of points inside the viewport, or null once there are more than `limit`. */
  function visiblePoints(limit) {
    var u0 = -view.tx / view.s, v0 = -view.ty / view.s;
    var u1 = (view.w - view.tx) / view.s, v1 = (view.h - view.ty) / view.s;
    var found = [];
    for (var cx = Math.floor(u0 / CELL); cx <= Math.floor(u1 / CELL); cx++) {
      for (var cy = Math.floor(v0 / CELL); cy <= Math.floor(v1 / CELL); cy++) {
        var bucket = grid.get(cellKey(cx, cy));
        if (!bucket) continue;
        for (var b = 0; b < bucket.length; b++) {
          var i = bucket[b];
          if (X[i] >= u0 && X[i] <= u1 && Y[i] >= v0 && Y[i] <= v1) {
            found.push(i);
            if (found.length > limit) return null;
          }
        }
      }
    }
    return found;
  }

  /** The point nearest to (px, py) within a few pixels, or -1. */
  function pick(px, py) {
    var u = (px - view.tx) / view.s, v = (py - view.ty) / view.s;
    var radius = Math.max(6, 1.7 * Math.pow(view.s / view.base, 0.4) + 4) / view.s;
    var best = -1, bestD = radius * radius;
    for (var cx = Math.floor((u - radius) / CELL); cx <= Math.floor((u + radius) / CELL); cx++) {
      for (var cy = Math.floor((v - radius) / CELL); cy <= Math.floor((v + radius) / CELL); cy++) {
        var bucket = grid.get(cellKey(cx, cy));
        if (!bucket) continue;
        for (var b = 0; b < bucket.length; b++) {
          var i = bucket[b], du = X[i] - u, dv = Y[i] - v, d = du * du + dv * dv;
          if (d <= bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  // MARK: - Names, links and the tooltip

  function featureId(i) { return 'f' + String(i).padStart(meta.idWidth, '0'); }
  function featureHref(i) { return 'features/' + featureId(i) + '.html'; }
  function colourOf(i) {
    var slot = slotOf(i);
    return slot >= colours.length ? meta.unclustered : colours[slot];
  }
  function clusterPath(i) {
    var names = [];
    for (var l = 0; l < levelIds.length; l++) {
      var c = levelIds[l][i];
      var cl = c >= 0 ? meta.levels[l].clusters[c] : null;
      names.push(cl ? cl.label : 'unclustered');
    }
    return names.join(' › ');
  }

  function showTip(i, px, py) {
    if (i < 0) { tip.hidden = true; return; }
    tip.textContent = '';
    var head = div('tip-id');
    var sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = colourOf(i);
    sw.style.borderRadius = '50%';
    sw.style.display = 'inline-block';
    head.appendChild(sw);
    head.appendChild(document.createTextNode(featureId(i)));
    tip.appendChild(head);
    tip.appendChild(div('tip-label', L[i]));
    tip.appendChild(div('tip-meta', 'density ' + D[i] + ' · max activation ' + M[i]));
    if (T[i]) tip.appendChild(div('tip-meta', 'top tokens: ' + T[i]));
    tip.appendChild(div('tip-meta', 'evidence ' + (E[i] >= 0 ? E[i].toFixed(2) : E[i] === -1 ? 'insufficient (too few held-out firings)' : 'untested')
      + (S[i] >= 0 && meta.sources[S[i]] !== undefined ? ' · over-represented in ' + meta.sources[S[i]] : '')));
    tip.appendChild(div('tip-path', clusterPath(i)));
    if (F[i] & 1) tip.appendChild(div('tip-warn', 'label contradicted by its evidence'));
    if (F[i] & 2) tip.appendChild(div('tip-warn', 'dead feature'));
    tip.hidden = false;
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    var left = px + 16, top = py + 16;
    if (left + tw > view.w - 8) left = px - tw - 16;
    if (top + th > view.h - 8) top = py - th - 16;
    tip.style.left = Math.max(8, left) + 'px';
    tip.style.top = Math.max(8, top) + 'px';
  }

  function div(cls, text) {
    var el = document.createElement('div');
    el.className = cls;
    if (text !== undefined) el.textContent = String(text);
    return el;
  }

  // MARK: - Pointer, wheel and keyboard

  function bindMap() {
    var pointers = new Map(), downAt = null, moved = false, pinch = 0;
    function local(e) { var r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }

    map.addEventListener('wheel', function (e) {
      e.preventDefault();
      var p = local(e);
      var delta = e.deltaY * (e.deltaMode === 1 ? 30 : e.deltaMode === 2 ? 400 : 1);
      zoomAt(p[0], p[1], Math.exp(-delta * 0.0016));
    }, { passive: false });

    map.addEventListener('pointerdown', function (e) {
      if (e.target.closest && e.target.closest('.map-toolbar')) return;
      pointers.set(e.pointerId, local(e));
      map.setPointerCapture(e.pointerId);
      downAt = local(e); moved = false;
      if (pointers.size === 2) pinch = spread();
    });
    map.addEventListener('pointermove', function (e) {
      var p = local(e);
      if (pointers.has(e.pointerId)) {
        var last = pointers.get(e.pointerId);
        pointers.set(e.pointerId, p);
        if (pointers.size === 2) {
          var now = spread();
          if (pinch > 0) { var c = centre(); zoomAt(c[0], c[1], now / pinch); }
          pinch = now; moved = true;
          return;
        }
        if (downAt && (Math.abs(p[0] - downAt[0]) > 3 || Math.abs(p[1] - downAt[1]) > 3)) moved = true;
        if (moved) { map.classList.add('dragging'); tip.hidden = true; pan(p[0] - last[0], p[1] - last[1]); }
        return;
      }
      var i = pick(p[0], p[1]);
      if (i !== hover) { hover = i; redraw(); }
      map.classList.toggle('pointing', i >= 0);
      showTip(i, p[0], p[1]);
    });
    function end(e) {
      var wasDown = pointers.delete(e.pointerId);
      map.classList.remove('dragging');
      if (pointers.size < 2) pinch = 0;
      if (wasDown && !moved && e.type === 'pointerup') {
        var p = local(e), i = pick(p[0], p[1]);
        if (i >= 0) window.location.href = featureHref(i);
      }
    }
    map.addEventListener('pointerup', end);
    map.addEventListener('pointercancel', end);
    map.addEventListener('pointerleave', function () { if (hover >= 0) { hover = -1; redraw(); } tip.hidden = true; });
    function spread() { var ps = Array.from(pointers.values()); return Math.hypot(ps[0][0] - ps[1][0], ps[0][1] - ps[1][1]); }
    function centre() { var ps = Array.from(pointers.values()); return [(ps[0][0] + ps[1][0]) / 2, (ps[0][1] + ps[1][1]) / 2]; }

    map.addEventListener('keydown', function (e) {
      if (e.target !== map || e.altKey || e.ctrlKey || e.metaKey) return;
      var step = 80, handled = true;
      switch (e.key) {
        case '+': case '=': zoomAt(view.w / 2, view.h / 2, 1.4); break;
        case '-': case '_': zoomAt(view.w / 2, view.h / 2, 1 / 1.4); break;
        case '0': resetView(); break;
        case 'ArrowLeft': pan(step, 0); break;
        case 'ArrowRight': pan(-step, 0); break;
        case 'ArrowUp': pan(0, step); break;
        case 'ArrowDown': pan(0, -step); break;
        default: handled = false;
      }
      if (handled) e.preventDefault();
    });
    button('zoom-in', function () { zoomAt(view.w / 2, view.h / 2, 1.5); });
    button('zoom-out', function () { zoomAt(view.w / 2, view.h / 2, 1 / 1.5); });
    button('zoom-reset', resetView);
    var scheme = document.getElementById('colour-by');
    if (scheme) {
      if (scheme.value !== colourBy) setColourBy(scheme.value);
      scheme.addEventListener('change', function () { setColourBy(scheme.value); });
    }
    var toggle = document.getElementById('show-neighbours');
    if (toggle) {
      showNeighbours = toggle.checked;
      toggle.addEventListener('change', function () { showNeighbours = toggle.checked; redraw(); });
    }
  }

  function button(id, action) {
    var b = document.getElementById(id);
    if (b) b.addEventListener('click', function (e) { e.preventDefault(); action(); });
  }

  /** Centres the view on feature i (zooming in somewhat) and marks it. */
  function focusPoint(i) {
    if (i < 0 || !have[i]) return;
    selected = i;
    var zoom = Math.max(view.s, view.base * 4);
    view.s = zoom;
    view.tx = view.w / 2 - X[i] * zoom; view.ty = view.h / 2 - Y[i] * zoom;
    redraw();
  }

  // MARK: - What search.js needs

  FA.api = {
    count: function () { return n; },
    loading: function () { return loadedChunks < meta.chunks; },
    has: function (i) { return i >= 0 && i < n && have[i] === 1; },
    label: function (i) { return L[i]; },
    tokens: function (i) { return T[i] || ''; },
    lowLabel: function (i) { return lowL[i]; },
    lowTokens: function (i) { return lowT[i]; },
    words: function (i) { return K[i] || ''; },
    id: featureId,
    href: featureHref,
    select: function (i) { selected = i; redraw(); },
    colourBy: function (mode) { setColourBy(mode); var el = document.getElementById('colour-by'); if (el) el.value = mode; },
    colourOf: colourOf,
    focus: focusPoint
  };
})();

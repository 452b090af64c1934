/* feature-atlas diff: filters the rows of a status list as the reader types (labels, ids). */
(function () {
  'use strict';
  var input = document.getElementById('filter');
  if (!input) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-search]'));
  var status = document.getElementById('filter-status');
  function apply() {
    var q = input.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var hit = !q || row.getAttribute('data-search').indexOf(q) >= 0;
      row.hidden = !hit;
      if (hit) shown += 1;
    });
    if (status) status.textContent = q ? shown + ' of ' + rows.length + ' shown' : rows.length + ' in this list';
  }
  input.addEventListener('input', apply);
  apply();
})();

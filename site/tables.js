/* feature-atlas: sortable and filterable tables. A <table class="sortable"> gets a button in each column
 * heading that sorts its rows (numbers by the cell's data-sort value, text otherwise; again to reverse);
 * an <input class="table-filter" data-table="ID"> hides the rows of table ID that do not contain every
 * word typed. Text is read with textContent; nothing is written as HTML. */
(function () {
  'use strict';

  function cellValue(row, column) {
    var cell = row.cells[column];
    if (!cell) return '';
    var raw = cell.getAttribute('data-sort');
    if (raw !== null && raw !== '' && !isNaN(Number(raw))) return Number(raw);
    return cell.textContent.trim().toLowerCase();
  }

  function sortBy(table, column, button) {
    var body = table.tBodies[0];
    if (!body) return;
    var descending = button.getAttribute('data-order') === 'asc';
    var heads = table.querySelectorAll('thead button');
    for (var h = 0; h < heads.length; h++) {
      heads[h].removeAttribute('data-order');
      heads[h].parentNode.removeAttribute('aria-sort');
    }
    button.setAttribute('data-order', descending ? 'desc' : 'asc');
    button.parentNode.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
    var rows = Array.prototype.slice.call(body.rows).map(function (row, index) {
      return { row: row, key: cellValue(row, column), index: index };
    });
    rows.sort(function (a, b) {
      var x = a.key, y = b.key, order = 0;
      if (typeof x === 'number' && typeof y === 'number') order = x - y;
      else order = String(x).localeCompare(String(y));
      if (descending) order = -order;
      return order || a.index - b.index;
    });
    for (var r = 0; r < rows.length; r++) body.appendChild(rows[r].row);
  }

  function makeSortable(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    for (var c = 0; c < head.cells.length; c++) {
      var th = head.cells[c];
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      button.title = 'Sort by this column';
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      (function (column, b) { b.addEventListener('click', function () { sortBy(table, column, b); }); })(c, button);
    }
  }

  function bindFilter(input) {
    var table = document.getElementById(input.getAttribute('data-table'));
    if (!table || !table.tBodies[0]) return;
    var count = input.parentNode.parentNode.querySelector('.table-count');
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      for (var r = 0; r < rows.length; r++) {
        var keep = words.every(function (w) { return texts[r].indexOf(w) >= 0; });
        rows[r].hidden = !keep;
        if (keep) shown++;
      }
      if (count) count.textContent = words.length ? shown + ' of ' + rows.length + ' rows' : '';
    }
    input.addEventListener('input', apply);
    apply();
  }

  function start() {
    var tables = document.querySelectorAll('table.sortable');
    for (var t = 0; t < tables.length; t++) makeSortable(tables[t]);
    var filters = document.querySelectorAll('input.table-filter');
    for (var f = 0; f < filters.length; f++) bindFilter(filters[f]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();

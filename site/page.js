/* feature-atlas: behaviour shared by every page. Marks the document as scripted (so controls that need
 * JavaScript appear) and adds keyboard shortcuts: [ and ] for the previous and next feature. */
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var active = document.activeElement;
    if (active && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) return;
    var rel = e.key === '[' ? 'prev' : e.key === ']' ? 'next' : null;
    if (!rel) return;
    var link = document.querySelector('a[rel="' + rel + '"]');
    if (link) { window.location.href = link.href; e.preventDefault(); }
  });
})();

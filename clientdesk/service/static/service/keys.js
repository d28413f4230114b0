// Keyboard shortcuts of the service pages (our own, no library):
// queue: j / k move between rows, o or Enter opens the row; request page: r reply, n note,
// u back to my queue. Keys typed into a field are left alone.
(function () {
  "use strict";
  var current = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-kb-row]")); }
  function mark(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("kb-focus", i === current); });
    var link = all[current].querySelector("a");
    if (link) { link.focus({ preventScroll: false }); }
  }
  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "j") { mark(current + 1); event.preventDefault(); }
    else if (key === "k") { mark(current - 1); event.preventDefault(); }
    else if ((key === "o" || key === "Enter") && current >= 0) {
      var link = rows()[current] && rows()[current].querySelector("a");
      if (link) { window.location.href = link.href; event.preventDefault(); }
    } else if (key === "r" || key === "n") {
      var field = document.querySelector(key === "r" ? "[data-kb-reply]" : "[data-kb-note]");
      if (field) { field.click(); var box = document.getElementById("id_body"); if (box) { box.focus(); } event.preventDefault(); }
    } else if (key === "u") {
      var home = document.querySelector("[data-kb-home]");
      if (home) { window.location.href = home.href; }
    }
  });
  // After htmx refreshes the rows, keep the highlighted position.
  document.body.addEventListener("htmx:afterSwap", function () { if (current >= 0) { mark(current); } });
})();

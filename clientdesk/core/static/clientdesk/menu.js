// The grouped main menu: one group open at a time; a click elsewhere or Escape closes it.
(function () {
  "use strict";
  var groups = document.querySelectorAll(".menu-group details");
  function closeAll(except) {
    groups.forEach(function (group) { if (group !== except) { group.open = false; } });
  }
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () { if (group.open) { closeAll(group); } });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".menu-group")) { closeAll(null); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeAll(null); }
  });
})();

/* Lesson text: a table wider than the screen scrolls sideways in its own box. A scrolling box
   needs keyboard focus and a name (WCAG 2.1.1), which the sanitized lesson HTML cannot carry,
   so they are added here; without JavaScript the table simply sits in the text. */
(function () {
  "use strict";

  function wrap(table) {
    var box = document.createElement("div");
    box.className = "prose-table";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
    return box;
  }

  function update(box, label) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", label);
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }

  document.querySelectorAll(".prose[data-table-label]").forEach(function (prose) {
    var label = prose.getAttribute("data-table-label");
    var boxes = Array.prototype.map.call(prose.querySelectorAll("table"), function (table) {
      return wrap(table);
    });
    var refresh = function () {
      boxes.forEach(function (box) { update(box, label); });
    };
    refresh();
    window.addEventListener("resize", refresh);
  });
})();

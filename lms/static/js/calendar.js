/* Calendar feed addresses: clicking the read-only field selects the whole address, and a
   "Copy address" button is added where the browser can copy. Without JavaScript the field
   is still there to select and copy by hand. */
(function () {
  "use strict";

  function addCopyButton(input) {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    var row = document.createElement("div");
    row.className = "feed-copy";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-quiet";
    button.textContent = input.getAttribute("data-copy-label") || "Copy";
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        status.textContent = input.getAttribute("data-copied-label") || "Copied";
        window.setTimeout(function () { status.textContent = ""; }, 4000);
      });
    });
    row.appendChild(button);
    row.appendChild(status);
    input.insertAdjacentElement("afterend", row);
  }

  document.querySelectorAll("input[data-copy]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", function () { input.select(); });
    addCopyButton(input);
  });
})();

/* Live preview for the Markdown editor, and a confirmation before deleting.
 *
 * The text is sent to the server (debounced), which renders it with the same sanitizing
 * renderer that publishing uses and answers {html, problems, questions}. Only that
 * server-sanitized HTML is ever put into the page as HTML; everything else is text.
 * Without JavaScript the "Preview" button does the same with a full page load.
 */
(function () {
  "use strict";

  var DELAY_MS = 400;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function showProblems(box, problems) {
    var list = box.querySelector("ul");
    list.replaceChildren();
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.textContent = problem;
      list.appendChild(item);
    });
    box.hidden = problems.length === 0;
  }

  function showQuiz(note, questions) {
    if (!note) {
      return;
    }
    note.hidden = !questions;
    note.textContent = questions ? note.dataset.text.replace("{n}", String(questions)) : "";
  }

  function setUp(source) {
    var region = document.getElementById(source.dataset.previewSource);
    if (!region || !region.dataset.previewUrl) {
      return;
    }
    var problems = document.getElementById("preview-problems");
    var quizNote = document.getElementById("preview-quiz");
    var timer = null;
    var controller = null;
    var lastSent = null;

    function update() {
      var text = source.value;
      if (text === lastSent) {
        return;
      }
      lastSent = text;
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      region.setAttribute("aria-busy", "true");
      fetch(region.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: new URLSearchParams({ body: text }),
        signal: controller.signal,
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("preview failed: " + response.status);
          }
          return response.json();
        })
        .then(function (result) {
          // Sanitized on the server by the publishing renderer (an allow-list).
          region.innerHTML = result.html;
          showProblems(problems, result.problems || []);
          showQuiz(quizNote, result.questions || 0);
          region.removeAttribute("aria-busy");
        })
        .catch(function (error) {
          if (error.name === "AbortError") {
            return;
          }
          lastSent = null;
          showProblems(problems, [region.dataset.error]);
          region.removeAttribute("aria-busy");
        });
    }

    source.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, DELAY_MS);
    });
    if (region.dataset.current === "true") {
      // The server rendered the text as it came; text typed before this script ran (it
      // waits for the stylesheets) still needs a preview.
      lastSent = source.defaultValue;
      if (source.value !== lastSent) {
        update();
      }
    } else if (source.value.trim()) {
      update();
    }
  }

  function confirmBeforeSubmit(form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }

  function start() {
    document.querySelectorAll("textarea[data-preview-source]").forEach(setUp);
    document.querySelectorAll("form[data-confirm]").forEach(confirmBeforeSubmit);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

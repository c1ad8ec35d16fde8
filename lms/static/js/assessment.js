/* The self-assessment step: answers are saved as you go, and none are lost when the session ends.
 *
 * Every change of the form is posted to the draft ("utkast") address. Until the server says it
 * has saved it, the answer is also kept in localStorage (per assessment and sub-competence), so
 * a session that timed out, a lost connection or a closed tab does not lose it: the next time
 * the page is opened, an answer that differs from the saved one is put back into the form and
 * saved. The result is told in a polite live region. Without JavaScript the buttons still save.
 */
(function () {
  "use strict";

  var TYPING_DELAY_MS = 1500;
  var FIELDS = ["self_level", "motivation", "comment"];

  var form = document.getElementById("answer-form");
  var status = document.getElementById("autosave-status");
  if (!form || !status || !form.dataset.autosaveUrl || !window.fetch) {
    return;
  }
  var key = form.dataset.backupKey;
  var inFlight = false;
  var pending = false;
  var timer = null;
  var restoredNote = "";

  function say(text, kind) {
    // After a restore, the note stays in front of what follows, so it is not missed.
    var note = restoredNote && text !== restoredNote ? restoredNote + ". " : "";
    status.textContent = note + text;
    status.classList.toggle("is-error", kind === "error");
    status.classList.toggle("is-ok", kind === "ok");
  }

  function message(name, values) {
    var text = status.getAttribute("data-" + name) || "";
    Object.keys(values || {}).forEach(function (placeholder) {
      text = text.replace("{" + placeholder + "}", values[placeholder]);
    });
    return text;
  }

  function currentAnswer() {
    var answer = {};
    FIELDS.forEach(function (name) {
      var element = form.elements[name];
      answer[name] = element ? String(element.value || "") : "";
    });
    return answer;
  }

  function sameAnswer(a, b) {
    return FIELDS.every(function (name) { return (a[name] || "") === (b[name] || ""); });
  }

  function setAnswer(answer) {
    FIELDS.forEach(function (name) {
      var element = form.elements[name];
      if (!element) {
        return;
      }
      if (element instanceof RadioNodeList) {
        Array.prototype.forEach.call(element, function (radio) {
          radio.checked = radio.value === answer[name];
        });
      } else {
        element.value = answer[name] || "";
      }
    });
  }

  function readBackup() {
    try {
      var stored = window.localStorage.getItem(key);
      return stored ? JSON.parse(stored) : null;
    } catch (error) {
      return null;
    }
  }

  function writeBackup(answer) {
    try {
      answer.at = Date.now();
      window.localStorage.setItem(key, JSON.stringify(answer));
    } catch (error) {
      /* Storage full or blocked: the server save still runs. */
    }
  }

  function clearBackup(saved, always) {
    // Only when nothing was changed while the save was on its way.
    var backup = readBackup();
    if (backup && (always || sameAnswer(backup, saved))) {
      try {
        window.localStorage.removeItem(key);
      } catch (error) {
        /* nothing to do */
      }
    }
  }

  function firstError(errors) {
    var names = Object.keys(errors || {});
    for (var i = 0; i < names.length; i += 1) {
      var list = errors[names[i]];
      if (list && list.length) {
        return String(list[0]);
      }
    }
    return "";
  }

  function failed(response, body) {
    // A redirect (to the login page) or a refusal means the answer was not saved.
    if (response.redirected || response.status === 401 || response.status === 403 ||
        (body && body.logged_out)) {
      say(message("logged-out"), "error");
      return;
    }
    var reason = firstError(body && body.errors);
    say(reason ? message("failed", { reason: reason }) : message("error"), "error");
  }

  function readJson(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      return Promise.resolve(null);
    }
    return response.json().catch(function () { return null; });
  }

  function save() {
    if (inFlight) {
      pending = true;  // one request at a time, so an older answer never overwrites a newer one
      return;
    }
    inFlight = true;
    pending = false;
    var answer = currentAnswer();
    var data = new URLSearchParams(new FormData(form));
    data.delete("action");
    var token = form.elements.csrf_token ? form.elements.csrf_token.value : "";
    if (!restoredNote) {
      say(message("saving"));
    }
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      body: data,
    })
      .then(function (response) {
        return readJson(response).then(function (body) {
          if (response.ok && !response.redirected && body && body.saved) {
            clearBackup(answer);
            say(message("saved", { time: body.saved_at }), "ok");
          } else {
            failed(response, body);
          }
        });
      })
      .catch(function () {
        say(message("offline"), "error");
      })
      .then(function () {
        restoredNote = "";
        inFlight = false;
        if (pending) {
          save();
        }
      });
  }

  function changed() {
    writeBackup(currentAnswer());
    window.clearTimeout(timer);
    save();
  }

  function typed() {
    writeBackup(currentAnswer());
    window.clearTimeout(timer);
    timer = window.setTimeout(save, TYPING_DELAY_MS);
  }

  // Put back an answer the server never got (the session had ended, the tab was closed), unless
  // the server has a newer one (saved later, perhaps on another computer).
  var backup = readBackup();
  var savedAt = Number(form.dataset.savedAt || 0);
  if (backup) {
    if (sameAnswer(backup, currentAnswer()) || Number(backup.at || 0) < savedAt) {
      clearBackup(backup, true);
    } else {
      setAnswer(backup);
      restoredNote = message("restored");
      say(restoredNote, "ok");
      window.setTimeout(save, 0);
    }
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target && event.target.name === "comment") {
      typed();
    }
  });
  form.addEventListener("submit", function () {
    // The button saves it now; a backup written while typing stays until a save confirms it.
    window.clearTimeout(timer);
  });
})();

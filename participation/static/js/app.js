// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The CSRF token for scripts that call the JSON API (sent as X-CSRFToken).
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.participation = {
    csrfToken: meta ? meta.getAttribute("content") : "",
  };

  // Rating forms: with JavaScript, a choice is saved at once through the JSON API, with the
  // same server rules and messages as the plain form (which still works as it is). After a
  // save, the parts of the page that depend on it (progress, next item, withdraw button, live
  // results; marked data-refresh) are taken from the page as the server now renders it.
  function refreshFromServer(form) {
    return fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(document.querySelectorAll("[data-refresh][id]"), function (old) {
          var replacement = fresh.getElementById(old.id);
          if (replacement) {
            old.replaceWith(document.importNode(replacement, true));
          }
        });
        markSaved(form);
      });
  }

  function saveButton(form) {
    return form.querySelector('button[name="action"][value="save"]');
  }

  // The save button says that the choice is saved, until the next change.
  function markSaved(form) {
    var button = saveButton(form);
    if (button && button.getAttribute("data-saved-label")) {
      button.textContent = button.getAttribute("data-saved-label");
      button.classList.add("is-saved");
    }
  }

  // One question's choice is sent at a time and the last choice wins: a request waits for the
  // one before it, so answers cannot overtake each other. Arrow keys move through a radio group
  // and choose at every step: those choices are sent once the keys rest (KEY_PAUSE ms) or focus
  // leaves the form, so a screen reader hears one "saved", not one per step.
  var KEY_PAUSE = 700;

  function enhanceRatingForm(form) {
    var status = form.querySelector(".rating-status");
    var initialLabel = saveButton(form) ? saveButton(form).textContent : "";
    var wanted = {}; // question -> value not sent yet
    var sending = {}; // question -> a request is on its way
    var timers = {};
    var byKeys = false;

    function send(question) {
      window.clearTimeout(timers[question]);
      if (sending[question] || !Object.prototype.hasOwnProperty.call(wanted, question)) {
        return;
      }
      var value = wanted[question];
      delete wanted[question];
      sending[question] = true;
      fetch(form.getAttribute("data-rating-url"), {
        method: "PUT",
        credentials: "same-origin",
        keepalive: true, // a choice made just before leaving the page still arrives
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": window.participation.csrfToken,
        },
        body: JSON.stringify({ question: question, value: value }),
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          var later = Object.prototype.hasOwnProperty.call(wanted, question);
          if (result.ok && !later) {
            status.textContent = result.data.message;
            form.setAttribute("data-saved", "true");
            markSaved(form);
            // The rating is saved; a failed refresh only leaves the other parts as they were.
            return refreshFromServer(form).catch(function () {});
          }
          if (!result.ok) {
            status.textContent = result.data.error.message;
            status.classList.add("is-error");
          }
        })
        .catch(function () {
          status.textContent = form.getAttribute("data-offline-message") || "";
          status.classList.add("is-error");
        })
        .then(function () {
          sending[question] = false;
          send(question); // a choice made meanwhile
        });
    }

    form.addEventListener("keydown", function (event) {
      byKeys = /^Arrow/.test(event.key || "");
    });
    form.addEventListener("pointerdown", function () {
      byKeys = false;
    });
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!input || input.type !== "radio") {
        return;
      }
      status.classList.remove("is-error");
      var button = saveButton(form);
      if (button) {
        button.textContent = initialLabel;
        button.classList.remove("is-saved");
      }
      wanted[input.name] = parseInt(input.value, 10);
      window.clearTimeout(timers[input.name]);
      if (byKeys) {
        timers[input.name] = window.setTimeout(function () { send(input.name); }, KEY_PAUSE);
      } else {
        send(input.name);
      }
    });
    form.addEventListener("focusout", function (event) {
      if (!form.contains(event.relatedTarget)) {
        Object.keys(wanted).forEach(send);
      }
    });
  }

  // Text areas with a limit: show how many characters are left while typing. The visible
  // count follows every key; screen readers hear it (aria-live) once typing pauses.
  function addCharacterCounter(textarea) {
    var limit = parseInt(textarea.getAttribute("maxlength"), 10);
    var template = textarea.getAttribute("data-counter");
    if (!limit || !template) {
      return;
    }
    var visible = document.createElement("p");
    visible.className = "char-count";
    visible.setAttribute("aria-hidden", "true");
    var spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    var after = textarea; // the hint and any error stand above the field (GOV.UK order)
    after.parentNode.insertBefore(spoken, after.nextSibling);
    after.parentNode.insertBefore(visible, after.nextSibling);
    var timer = null;
    function text() {
      return template.replace("{num}", String(Math.max(0, limit - textarea.value.length)));
    }
    function update() {
      visible.textContent = text();
      visible.classList.toggle("is-low", limit - textarea.value.length <= limit / 10);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        spoken.textContent = text();
      }, 1000);
    }
    visible.textContent = text();
    textarea.addEventListener("input", update);
  }

  // "Helpful" toggles: with JavaScript the mark is set or taken back through the JSON API and
  // the button and count change in place; on any failure the plain form is sent instead.
  function enhanceHelpfulForm(form) {
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[aria-pressed]");
      var field = form.querySelector('input[name="helpful"]');
      var actions = form.parentNode;
      var count = actions ? actions.querySelector("[data-helpful-count]") : null;
      if (!button || !field || form.getAttribute("data-busy")) {
        return;
      }
      event.preventDefault();
      form.setAttribute("data-busy", "true");
      var marking = field.value !== "0";
      fetch(form.getAttribute("data-api-url"), {
        method: marking ? "POST" : "DELETE",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": window.participation.csrfToken },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          form.removeAttribute("data-busy");
          button.setAttribute("aria-pressed", data.marked ? "true" : "false");
          field.value = data.marked ? "0" : "1";
          if (count) {
            count.textContent = String(data.helpful_count);
          }
        })
        .catch(function () {
          form.submit(); // the server answers with its message
        });
    });
  }

  // After a failed submission, move focus to the error summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.rating-form[data-rating-url]"), enhanceRatingForm);
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-counter]"), addCharacterCounter);
    Array.prototype.forEach.call(document.querySelectorAll("form.helpful-form[data-api-url]"), enhanceHelpfulForm);
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  });
})();

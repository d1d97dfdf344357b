// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The CSRF token for scripts that call the JSON API (sent as X-CSRFToken).
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.participation = {
    csrfToken: meta ? meta.getAttribute("content") : "",
  };

  // Rating forms: with JavaScript, a choice is saved at once through the JSON API, with the
  // same server rules and messages as the plain form (which still works as it is).
  function enhanceRatingForm(form) {
    var status = form.querySelector(".rating-status");
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!input || input.type !== "radio") {
        return;
      }
      status.classList.remove("is-error");
      fetch(form.getAttribute("data-rating-url"), {
        method: "PUT",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": window.participation.csrfToken,
        },
        body: JSON.stringify({ question: input.name, value: parseInt(input.value, 10) }),
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok) {
            status.textContent = result.data.message;
            form.setAttribute("data-saved", "true");
          } else {
            status.textContent = result.data.error.message;
            status.classList.add("is-error");
          }
        })
        .catch(function () {
          status.textContent = form.getAttribute("data-offline-message") || "";
          status.classList.add("is-error");
        });
    });
  }

  // After a failed submission, move focus to the error summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.rating-form[data-rating-url]"), enhanceRatingForm);
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  });
})();

// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The CSRF token for scripts that call the JSON API (sent as X-CSRFToken).
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.participation = {
    csrfToken: meta ? meta.getAttribute("content") : "",
  };

  // After a failed submission, move focus to the error summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  });
})();

// The proposal editor: while typing, the word diff below each text follows the proposed text.
// Progressive enhancement: without this file the server shows the same diff ("Show changes").
(function () {
  "use strict";

  function tokens(text) {
    return (text || "").replace(/\r\n/g, "\n").match(/\s+|[^\s]+/g) || [];
  }

  // Longest common subsequence over words; returns [op, text] chunks like worddiff.py.
  function wordDiff(oldText, newText) {
    var a = tokens(oldText), b = tokens(newText);
    var n = a.length, m = b.length, i, j;
    var table = [];
    for (i = 0; i <= n; i++) {
      table.push(new Uint32Array(m + 1));
    }
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
      }
    }
    // Segments as in worddiff.py: ["equal", text] or ["change", removed, inserted]; changes
    // separated only by whitespace become one change.
    var segments = [];
    function push(op, removed, inserted) {
      var last = segments[segments.length - 1];
      if (op === "equal") {
        if (last && last[0] === "equal") { last[1] += removed; } else { segments.push(["equal", removed]); }
        return;
      }
      if (last && last[0] === "change") {
        last[1] += removed;
        last[2] += inserted;
        return;
      }
      var before = segments[segments.length - 2];
      if (last && before && before[0] === "change" && !last[1].trim()) {
        segments.pop();
        before[1] += last[1] + removed;
        before[2] += last[1] + inserted;
        return;
      }
      segments.push(["change", removed, inserted]);
    }
    i = 0;
    j = 0;
    while (i < n && j < m) {
      if (a[i] === b[j]) {
        push("equal", a[i], "");
        i++;
        j++;
      } else if (table[i + 1][j] >= table[i][j + 1]) {
        push("change", a[i++], "");
      } else {
        push("change", "", b[j++]);
      }
    }
    while (i < n) { push("change", a[i++], ""); }
    while (j < m) { push("change", "", b[j++]); }
    var chunks = [];
    segments.forEach(function (segment) {
      if (segment[0] === "equal") {
        chunks.push(["equal", segment[1]]);
        return;
      }
      if (segment[1]) { chunks.push(["delete", segment[1]]); }
      if (segment[2]) { chunks.push(["insert", segment[2]]); }
    });
    return chunks;
  }

  function render(target, chunks, labels) {
    while (target.firstChild) {
      target.removeChild(target.firstChild);
    }
    if (chunks.every(function (chunk) { return chunk[0] === "equal"; })) {
      var same = document.createElement("span");
      same.className = "muted";
      same.textContent = labels.unchanged;
      target.appendChild(same);
      return;
    }
    chunks.forEach(function (chunk) {
      if (chunk[0] === "equal") {
        target.appendChild(document.createTextNode(chunk[1]));
        return;
      }
      var mark = document.createElement(chunk[0] === "insert" ? "ins" : "del");
      var label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = (chunk[0] === "insert" ? labels.added : labels.removed) + " ";
      mark.appendChild(label);
      mark.appendChild(document.createTextNode(chunk[1]));
      target.appendChild(mark);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.proposal-form");
    if (!form) {
      return;
    }
    var labels = {
      added: form.getAttribute("data-added-label") || "+",
      removed: form.getAttribute("data-removed-label") || "-",
      unchanged: form.getAttribute("data-unchanged-label") || "",
    };
    Array.prototype.forEach.call(form.querySelectorAll("[data-diff]"), function (field) {
      var target = document.getElementById(field.getAttribute("data-diff"));
      if (!target) {
        return;
      }
      var timer = null;
      field.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          render(target, wordDiff(field.getAttribute("data-current"), field.value), labels);
        }, 250);
      });
    });
  });
})();

// Ketupat Pecel — the little JavaScript the pages need. No inline scripts (strict CSP),
// no eval: htmx runs with allowEval=false, so behaviour is wired here by data attributes.
(function () {
  "use strict";

  function openModals(root) {
    (root || document).querySelectorAll("dialog[data-open-modal]").forEach(function (dialog) {
      if (!dialog.open) dialog.showModal();
    });
  }

  // A re-login dialog (or any dialog) swapped into #modal opens itself.
  document.addEventListener("htmx:afterSwap", function (event) {
    openModals(event.detail.target);
  });
  document.addEventListener("DOMContentLoaded", function () { openModals(document); });

  // A page answering a refused form (e.g. an import with bad rows) marks what to fix with
  // data-focus-on-load (and tabindex="-1"): focus moves there, so the page does not reopen at
  // the top with the errors out of sight, and a screen reader starts reading them.
  function focusMarked(root) {
    var target = (root || document).querySelector("[data-focus-on-load]");
    if (!target) return;
    target.removeAttribute("data-focus-on-load");
    target.focus();
    target.scrollIntoView({block: "start"});
  }
  document.addEventListener("DOMContentLoaded", function () { focusMarked(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusMarked(event.detail.target); });

  // A re-login dialog already open keeps what was typed into it: a second refused request
  // (two searches in flight when the session ended) must not replace it. A refusal of a request
  // sent before the session was renewed is stale too: it must not reopen the dialog.
  var renewedAt = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    event.detail.xhr.kpSentAt = Date.now();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.target || detail.target.id !== "modal" || detail.xhr.status < 400) return;
    if (detail.pathInfo && detail.pathInfo.requestPath.indexOf("/masuk/ulang") !== -1) return;
    var stale = (detail.xhr.kpSentAt || 0) <= renewedAt;
    if (document.getElementById("relogin-dialog") || stale) detail.shouldSwap = false;
  });

  // After re-login the server hands the page its new CSRF token; the page and what the
  // user typed stay as they were, so they can simply send again.
  document.body && document.body.addEventListener("kp:session-renewed", function (event) {
    var token = event.detail && event.detail.csrf;
    if (!token) return;
    renewedAt = Date.now();
    document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": token}));
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) { input.value = token; });
    var dialog = document.getElementById("relogin-dialog");
    if (dialog) {
      dialog.close();
      dialog.remove();
    }
  });

  // A plain (non-htmx) form asks first when it carries data-confirm (hx-confirm only covers htmx).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) dialog.close();
    }
    var printer = event.target.closest("[data-print]");
    if (printer) {
      event.preventDefault();
      window.print();
    }
  });

  // A "select all" checkbox (data-select-all) ticks or clears the data-select-item boxes of its form.
  document.addEventListener("change", function (event) {
    var all = event.target.closest && event.target.closest("[data-select-all]");
    if (!all || !all.form) return;
    all.form.querySelectorAll("[data-select-item]").forEach(function (box) { box.checked = all.checked; });
  });

  // A failed request (network down, server error) says so instead of failing silently.
  // The text comes translated from <body data-network-error> (base.html).
  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var message = document.createElement("p");
    message.className = "flash flash-error";
    message.setAttribute("role", "alert");
    message.textContent = document.body.getAttribute("data-network-error") || "";
    flash.replaceChildren(message);
  });
})();

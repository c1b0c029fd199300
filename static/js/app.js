// Sesame console behaviour. Loaded as a file (the CSP allows no inline
// script); everything here is progressive enhancement on server-rendered HTML.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="text"> or data-copy-target="#id".
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy],[data-copy-target]");
    if (!btn) return;
    ev.preventDefault();
    var text = btn.getAttribute("data-copy");
    if (text === null) {
      var el = document.querySelector(btn.getAttribute("data-copy-target"));
      text = el ? (el.value !== undefined ? el.value : el.textContent) : "";
    }
    var done = function () {
      var label = btn.getAttribute("data-copied-label") || "Copied";
      var old = btn.getAttribute("aria-label") || btn.textContent;
      btn.classList.add("copied");
      btn.setAttribute("data-state", "copied");
      btn.setAttribute("title", label);
      setTimeout(function () {
        btn.classList.remove("copied");
        btn.removeAttribute("data-state");
        btn.setAttribute("title", old);
      }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
    function fallback() {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "offscreen";
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
      document.body.removeChild(ta);
      done();
    }
  });

  // File inputs with a size limit say so before a long upload is refused:
  // <input type="file" data-max-bytes="…" data-too-large="message">.
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var limit = Number(input.getAttribute("data-max-bytes"));
    var file = input.files && input.files[0];
    input.setCustomValidity(file && file.size > limit ? input.getAttribute("data-too-large") : "");
    input.reportValidity();
  });

  // Forms that ask first: <form data-confirm="Delete this?"
  // data-confirm-button="Delete">. The question is an in-page dialog that
  // names the action, not the browser's OK/Cancel box.
  var confirmed = null;
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (!msg || confirmed === form) {
      confirmed = null;
      return;
    }
    ev.preventDefault();
    var submitter = ev.submitter || null;
    var dlg = document.getElementById("confirm-dialog");
    if (!dlg) {
      dlg = document.createElement("dialog");
      dlg.id = "confirm-dialog";
      dlg.className = "confirm-dialog";
      dlg.setAttribute("aria-labelledby", "confirm-dialog-text");
      dlg.innerHTML = '<p id="confirm-dialog-text"></p><form method="dialog" class="form-actions">' +
        '<button value="cancel" class="btn" data-testid="confirm-cancel">Keep it</button>' +
        '<button value="ok" class="btn btn-danger" data-testid="confirm-ok"></button></form>';
      document.body.appendChild(dlg);
    }
    dlg.querySelector("#confirm-dialog-text").textContent = msg;
    dlg.querySelector("[value=ok]").textContent = form.getAttribute("data-confirm-button") || "Confirm";
    dlg.returnValue = "";
    dlg.onclose = function () {
      if (dlg.returnValue !== "ok") return;
      confirmed = form;
      if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
    };
    dlg.showModal();
  }, true);

  // Time zone fields: <input data-zone-list list="…">. The list offers
  // every IANA zone the browser knows, and an empty field starts with the
  // browser's own zone.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-zone-list]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      if (list && Intl.supportedValuesOf) {
        list.textContent = "";
        Intl.supportedValuesOf("timeZone").forEach(function (z) {
          var o = document.createElement("option");
          o.value = z;
          list.appendChild(o);
        });
      }
      if (!input.value) input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    });
  });

  // Buttons pressed as the page opens: <button data-press-on-open>, such
  // as the template editor's Preview when the form holds content.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-press-on-open]").forEach(function (b) { b.click(); });
  });

  // Buttons that insert text at the cursor of a field:
  // <button type="button" data-insert="text" data-insert-target="#id">.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-insert]");
    if (!btn) return;
    var field = document.querySelector(btn.getAttribute("data-insert-target"));
    if (!field) return;
    var text = btn.getAttribute("data-insert");
    var at = field.selectionStart != null ? field.selectionStart : field.value.length;
    var end = field.selectionEnd != null ? field.selectionEnd : at;
    field.value = field.value.slice(0, at) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(at + text.length, at + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();

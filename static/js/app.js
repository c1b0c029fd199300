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

  // Forms that ask first: <form data-confirm="Delete this?">.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);
})();

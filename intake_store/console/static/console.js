// A little behaviour for the console: highlight the message an extracted field came
// from, and ask before irreversible decisions. Pages work without it.
(function () {
  "use strict";

  function clearHighlights() {
    document.querySelectorAll(".highlight").forEach(function (el) { el.classList.remove("highlight"); });
  }

  function showSource(msgId, row, scroll) {
    var msg = document.getElementById(msgId);
    if (!msg) { return; }
    clearHighlights();
    msg.classList.add("highlight");
    if (row) { row.classList.add("highlight"); }
    if (scroll) {
      var list = msg.parentElement;
      // Scroll inside the transcript only, so the fields stay where they are.
      if (list && list.scrollHeight > list.clientHeight) {
        list.scrollTop = msg.offsetTop - list.offsetTop - 16;
      } else {
        msg.scrollIntoView({ block: "nearest" });
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".field-row[data-msg]").forEach(function (row) {
      var id = row.getAttribute("data-msg");
      row.addEventListener("mouseenter", function () { showSource(id, row, false); });
      row.addEventListener("focusin", function () { showSource(id, row, true); });
    });
    document.querySelectorAll(".source-link[data-msg]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var id = link.getAttribute("data-msg");
        showSource(id, link.closest(".field-row"), true);
        history.replaceState(null, "", "#" + id);
        var msg = document.getElementById(id);
        if (msg) { msg.focus({ preventScroll: true }); }
      });
    });
    if (location.hash.indexOf("#msg-") === 0) {
      showSource(location.hash.slice(1), null, true);
    }
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    // After an error, bring the first error box into view.
    var error = document.querySelector(".action-form .alert-error, .panel .alert-error");
    if (error) { error.scrollIntoView({ block: "center" }); }
  });
})();

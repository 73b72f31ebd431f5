// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A toast floats at the bottom of the window, one at a time, and goes after a while. Flash messages rendered
  // with the page stay where they are, in the page under the header.
  function showToast(message, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    box.querySelectorAll(".toast-floating").forEach(function (old) { old.remove(); });
    var toast = document.createElement("p");
    toast.className = "toast toast-floating toast-" + (level || "info");
    toast.textContent = message;
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }
  // Server-sent toasts arrive as an HX-Trigger event, also on 4xx answers to htmx requests.
  document.addEventListener("chorus:toast", function (event) {
    showToast(event.detail.message, event.detail.level);
  });
  // A click dismisses a toast at once.
  document.addEventListener("click", function (event) {
    if (event.target.classList && event.target.classList.contains("toast-floating")) event.target.remove();
  });
  // A network failure or 5xx on an htmx request says so instead of doing nothing.
  document.addEventListener("htmx:sendError", function () { showToast("Could not reach the server. Check your connection.", "error"); });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) showToast("Something went wrong on our side. Please try again.", "error");
  });
  // A "Copy" button next to a read-only field (share links); without JS the field can be selected by hand.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(function () {});
    showToast("Link copied.", "success");
  });
  // A form that does what cannot be undone (refund, merge, mark paid) asks first: <form data-confirm="...">.
  // htmx forms use hx-confirm instead. Without JS the form posts straight away, as before.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
  // Survey questions (templates/surveys/_questions.html): a conditional question shows only while the answer to
  // its earlier question is one of its values. Controllers come first, so one pass in page order handles chains.
  function applySurveyConditions(container) {
    container.querySelectorAll("[data-show-if]").forEach(function (question) {
      var name = question.getAttribute("data-show-if");
      var wanted = JSON.parse(question.getAttribute("data-show-values") || "[]");
      var inputs = Array.prototype.slice.call(container.querySelectorAll("[name='" + name + "']"));
      var box = inputs.length ? inputs[0].closest(".survey-question") : null;
      var shown = !!box && !box.hidden && inputs.some(function (input) {
        var chosen = (input.type === "radio" || input.type === "checkbox") ? input.checked : true;
        return chosen && wanted.indexOf(input.value.trim()) >= 0;
      });
      question.hidden = !shown;
    });
  }
  function applyAllSurveyConditions() {
    document.querySelectorAll("[data-survey-questions]").forEach(applySurveyConditions);
  }
  // A table larger than its box scrolls inside .table-scroll (sideways on a phone; a chart's figures downwards
  // too): while it does, the box takes keyboard focus (arrow keys scroll it) and is a region named after its
  // table, so a keyboard or screen-reader user can reach the hidden cells. A box that does not scroll stays out
  // of the tab order. Without JS, browsers that make
  // scroll containers focusable themselves (Chromium 130+, Firefox) still let the keyboard scroll it.
  function scrollBoxName(box) {
    var caption = box.querySelector("caption");
    var figure = box.closest("figure");
    var figcaption = figure ? figure.querySelector("figcaption") : null;
    var source = caption || figcaption;
    var text = source ? source.textContent.replace(/\s+/g, " ").trim() : "";
    return text || "Table";
  }
  function markScrollBoxes() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.hasAttribute("tabindex") && !box.hasAttribute("data-scroll-marked")) {
        return;  // focusable in the markup already (a chart's numbers): leave it so
      }
      if (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", scrollBoxName(box));
        box.setAttribute("data-scroll-marked", "");
      } else if (box.hasAttribute("data-scroll-marked")) {
        box.removeAttribute("data-scroll-marked");
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  var resizeTimer = null;
  document.addEventListener("DOMContentLoaded", markScrollBoxes);
  window.addEventListener("load", markScrollBoxes);  // after images and fonts have settled the layout
  document.addEventListener("toggle", markScrollBoxes, true);  // a details element opened: its tables now have a size
  document.addEventListener("htmx:afterSettle", markScrollBoxes);
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(markScrollBoxes, 150);
  });
  document.addEventListener("DOMContentLoaded", applyAllSurveyConditions);
  document.addEventListener("htmx:afterSettle", applyAllSurveyConditions);
  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var container = event.target.closest && event.target.closest("[data-survey-questions]");
      if (container) applySurveyConditions(container);
    });
  });
  // Scoring (templates/challenges/design.html, <form data-score-keys>): the keys 0-5 score at once and B toggles
  // "I'd buy it"; a tap or click on a score does the same. Never while typing (comments), nor with a modifier key.
  function typingIn(element) {
    if (!element) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && ["radio", "checkbox", "button", "submit", "reset"].indexOf(element.type) < 0;
  }
  function sendScore(form, radio) {
    radio.checked = true;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingIn(event.target)) return;
    var form = document.querySelector("form[data-score-keys]");
    if (!form) return;
    if (event.key === "b" || event.key === "B") {
      var buy = form.querySelector("input[name='would_buy']");
      if (!buy) return;
      buy.checked = !buy.checked;
      event.preventDefault();
      return;
    }
    var radio = /^[0-5]$/.test(event.key) ? form.querySelector("input[name='value'][value='" + event.key + "']") : null;
    if (!radio) return;
    event.preventDefault();
    sendScore(form, radio);
  });
  // A pointer click on a score sends it (event.detail is 0 for the clicks arrow keys make in a radio group, which
  // only move the choice: keyboard users send it with Enter or the button).
  document.addEventListener("click", function (event) {
    var radio = event.target.closest ? event.target.closest("form[data-score-keys] input[name='value']") : null;
    if (radio && event.detail > 0) sendScore(radio.form, radio);
  });
})();

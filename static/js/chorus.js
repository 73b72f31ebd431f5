// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function showToast(message, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("p");
    toast.className = "toast toast-" + (level || "info");
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
    if (event.target.classList && event.target.classList.contains("toast")) event.target.remove();
  });
  // Flash messages rendered with the page fade after a while.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 8000);
    });
  });
  // A network failure or 5xx on an htmx request says so instead of doing nothing.
  document.addEventListener("htmx:sendError", function () { showToast("Could not reach the server. Check your connection.", "error"); });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) showToast("Something went wrong on our side. Please try again.", "error");
  });
})();

// Moderation (templates/moderation/queue.html and item.html, <form data-decision-keys>): a key picks a decision.
// Each radio names its key (data-key, also in aria-keyshortcuts and beside its label): H hide, D dismiss (keep),
// R remove. The key only picks; the reason field then takes the focus, and the moderator sends the form as usual.
// Never while typing in a field, nor with a modifier key. Progressive enhancement: the radios work without it.
(function () {
  "use strict";
  function typingIn(element) {
    if (!element) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && ["radio", "checkbox", "button", "submit", "reset"].indexOf(element.type) < 0;
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingIn(event.target) || event.key.length !== 1) return;
    var form = document.querySelector("form[data-decision-keys]");
    if (!form) return;
    var key = event.key.toLowerCase();
    var radio = null;
    form.querySelectorAll("input[name='decision'][data-key]").forEach(function (input) {
      if (input.getAttribute("data-key") === key) radio = input;
    });
    if (!radio) return;
    event.preventDefault();
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    var reason = form.querySelector("input[name='reason']");
    if (reason) reason.focus();
  });
})();

// Mina's page behaviour lives here (no inline scripts: the CSP forbids them). It stays
// small: pages work without it, and htmx does the in-place updates.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function flash(message) {
    var region = document.getElementById("flash");
    if (!region) return;
    var alert = document.createElement("p");
    alert.className = "alert error";
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    region.replaceChildren(alert);
  }

  // Copy an invitation link: <button data-copy="id-of-an-input">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.dataset.copy);
    if (!input) return;
    var label = button.textContent;
    var copied = function () {
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = label; }, 2000);
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(copied, function () { input.select(); });
    } else if (document.execCommand("copy")) {
      copied();
    }
  });

  // Menus (<details class="menu">) close on a click elsewhere or on Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // 4xx answers bring their own readable alert (swapped into #flash); these do not.
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("flash");
    if (region) region.replaceChildren();
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) flash("Something went wrong on our side. Try again in a moment.");
    // A refused in-place edit: put the controls back to what the server holds.
    var form = event.detail.elt.closest("form");
    if (form && form.method === "post") form.reset();
  });
  document.addEventListener("htmx:sendError", function () {
    flash("Mina cannot be reached. Check your connection and try again.");
  });
})();

// The web check-in form: only the chosen kind's fields are shown (operations/forms.py
// CheckinForm).  Each kind-specific widget names its kinds in data-kinds, and the window
// select maps each window to its kind in data-window-kinds.  A hidden field is disabled
// too, so that what is not shown is not sent.  Without this script every field is shown
// and the server refuses a value the kind does not carry.
(function () {
  "use strict";
  function setUp() {
    var select = document.querySelector("select[data-window-kinds]");
    if (!select) return;
    var kinds = {};
    try { kinds = JSON.parse(select.getAttribute("data-window-kinds")) || {}; } catch (e) { return; }
    var fields = Array.prototype.slice.call(select.form.querySelectorAll("[data-kinds]"));
    function apply() {
      var kind = kinds[select.value] || "";
      fields.forEach(function (field) {
        var shown = !kind || field.getAttribute("data-kinds").split(" ").indexOf(kind) !== -1;
        var group = field.closest(".mb-3") || field.parentElement;
        group.hidden = !shown;
        field.disabled = !shown;
      });
      select.form.setAttribute("data-kind", kind);
    }
    select.addEventListener("change", apply);
    apply();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

// A refused form (GOV.UK error pattern): the focus goes to the error summary when the page loads, so a
// screen reader reads what is wrong first; a link in the summary focuses its field. Without an error
// summary (a small form on an object's page), the focus goes to the first field marked invalid.
(function () {
  "use strict";

  function focusField(target) {
    if (!target) {
      return false;
    }
    // A group of radio buttons or checkboxes is named by its legend, any other field by its label.
    var group = /^(radio|checkbox)$/.test(target.type || "") ? target.closest("fieldset") : null;
    var legend = group ? group.querySelector("legend") : null;
    var label = target.id ? document.querySelector('label[for="' + target.id + '"]') : null;
    (legend || label || target).scrollIntoView();
    target.focus({ preventScroll: true });
    return true;
  }

  function start() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest('a[href^="#"]');
        if (link && focusField(document.getElementById(link.getAttribute("href").slice(1)))) {
          event.preventDefault();
        }
      });
      return;
    }
    focusField(document.querySelector('main [aria-invalid="true"]'));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// The demand form offers only the service types of the chosen category: a select marked
// data-category-from="<id of the category select>" hides (and disables) the options whose
// data-category is another category's, and the groups left empty. The server checks the pair anyway.
(function () {
  "use strict";

  function follow(types) {
    var categories = document.getElementById(types.getAttribute("data-category-from"));
    if (!categories) {
      return;
    }
    // What a refused form brought back stays chosen, even when it is of another category: its
    // message at the field says why, and the person decides.
    var kept = types.value;

    function filter() {
      var chosen = categories.value;
      Array.prototype.forEach.call(types.querySelectorAll("option[data-category]"), function (option) {
        var other = chosen !== "" && option.getAttribute("data-category") !== chosen && option.value !== kept;
        option.hidden = other;
        option.disabled = other;
      });
      Array.prototype.forEach.call(types.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      var selected = types.options[types.selectedIndex];
      if (!selected || selected.hidden) {
        var first = types.querySelector("option:not([hidden])");
        types.value = first ? first.value : "";
      }
    }

    categories.addEventListener("change", function () {
      kept = null;
      filter();
    });
    filter();
  }

  Array.prototype.forEach.call(document.querySelectorAll("select[data-category-from]"), follow);
})();

// Tables on a phone: each row becomes a card whose cells carry the name of their column. This names
// every body cell after its column's header (data-label, shown by app.css below 576 px) and marks the
// table as stackable; without JavaScript a table scrolls sideways in its frame as before.
(function () {
  "use strict";

  function headers(table) {
    var names = [];
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) {
      return null;
    }
    Array.prototype.forEach.call(row.cells, function (cell) {
      var span = cell.colSpan || 1;
      var name = cell.textContent.replace(/\s+/g, " ").trim();
      for (var i = 0; i < span; i += 1) {
        names.push(span === 1 ? name : "");
      }
    });
    return names;
  }

  function label(table) {
    var names = headers(table);
    if (!names || table.classList.contains("table-keep")) {
      return;
    }
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var span = cell.colSpan || 1;
          if (span === 1 && names[column]) {
            cell.setAttribute("data-label", names[column]);
          }
          column += span;
        });
      });
    });
    table.classList.add("table-stack");
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), label);
  });
})();

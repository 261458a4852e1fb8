// The bid form's total as it is typed: units × unit price, exact to the haléř (half up, as the server
// counts it), written the Czech way and announced by its aria-live region. Numbers are typed the
// Czech way too ("1 234,50"). BigInt keeps it exact where floating point would not.
(function () {
  "use strict";

  var NBSP = "\u00a0";

  // "1 234,5" -> {digits: 12345n, places: 1}; null when it is not a number.
  function parse(text) {
    var clean = text.replace(/[\s\u00a0\u202f]/g, "").replace(/Kč$/, "").replace(",", ".");
    var match = /^(\d+)(?:\.(\d*))?$/.exec(clean);
    if (!match) {
      return null;
    }
    var fraction = match[2] || "";
    return { digits: BigInt(match[1] + fraction), places: fraction.length };
  }

  // digits / 10^places rounded half up to haléře (a BigInt of haléře).
  function toHaler(digits, places) {
    if (places <= 2) {
      return digits * 10n ** BigInt(2 - places);
    }
    var divisor = 10n ** BigInt(places - 2);
    return (digits * 2n + divisor) / (divisor * 2n);
  }

  function money(haler) {
    var koruny = (haler / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
    var rest = (haler % 100n).toString().padStart(2, "0");
    return koruny + "," + rest + NBSP + "Kč";
  }

  function start(output) {
    var price = document.getElementById(output.getAttribute("data-price"));
    var units = document.getElementById(output.getAttribute("data-units"));
    var vat = document.getElementById(output.getAttribute("data-vat"));
    if (!price || !units) {
      return;
    }
    output.hidden = false;

    function update() {
      var p = parse(price.value);
      var u = parse(units.value);
      if (!p || !u) {
        output.textContent = "Celková cena: doplňte cenu za jednotku a počet jednotek.";
        return;
      }
      var total = toHaler(p.digits * u.digits, p.places + u.places);
      var text = "Celková cena: " + money(total) + " bez DPH";
      var rate = vat ? BigInt(parseInt(vat.value, 10) || 0) : 0n;
      if (rate > 0n) {
        text += ", " + money(toHaler(total * (100n + rate), 2 + 2)) + " s DPH";
      }
      output.textContent = text + ".";
    }

    [price, units, vat].forEach(function (input) {
      if (input) {
        input.addEventListener("input", update);
        input.addEventListener("change", update);
      }
    });
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-bid-total]"), start);
})();

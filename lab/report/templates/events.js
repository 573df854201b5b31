(function () {
  "use strict";
  var type = document.getElementById("ev-type");
  var entry = document.getElementById("ev-entry");
  var count = document.getElementById("ev-count");
  var rows = document.querySelectorAll("#events tbody tr");
  if (!type || !entry || !count) {
    return;
  }
  function filter() {
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!type.value || r.getAttribute("data-type") === type.value) &&
        (!entry.value || r.getAttribute("data-entry") === entry.value);
      r.hidden = !ok;
      if (ok) {
        shown++;
      }
    }
    count.textContent = shown + " of " + rows.length + " events";
  }
  type.addEventListener("change", filter);
  entry.addEventListener("change", filter);
  filter();
})();

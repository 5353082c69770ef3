(function () {
  "use strict";
  var id = document.currentScript.getAttribute("data-form");
  var form = document.getElementById(id);
  if (form) form.submit();
})();

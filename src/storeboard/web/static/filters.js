// The filter form submits when a select changes; a preset clears the custom dates first.
// A file of its own, not onchange="…" attributes: the Content-Security-Policy allows no inline script.
(function () {
  document.querySelectorAll("select[data-submit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.dataset.submit === "clear-dates") {
        select.form.start.value = "";
        select.form.end.value = "";
      }
      select.form.submit();
    });
  });
})();

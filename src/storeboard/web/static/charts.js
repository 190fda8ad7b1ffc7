// Draws every chart whose Vega-Lite spec is embedded in the page (see web/charts.py).
window.addEventListener("DOMContentLoaded", function () {
  var spec = document.getElementById("chart-spec");
  var target = document.getElementById("chart");
  if (!spec || !target || typeof window.vegaEmbed !== "function") { return; }
  window.vegaEmbed(target, JSON.parse(spec.textContent), { actions: false, renderer: "svg" })
    .then(function () { target.setAttribute("data-rendered", "true"); })
    .catch(function (err) { target.textContent = "Chart could not be drawn: " + err; });
});

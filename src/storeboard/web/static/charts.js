// Draws every chart whose Vega-Lite spec is embedded in the page (see storeboard/presentation/charts.py).
// `ast: true` evaluates chart expressions with vega-embed's interpreter instead of compiling
// them with `new Function`, so the Content-Security-Policy needs no 'unsafe-eval'.
window.addEventListener("DOMContentLoaded", function () {
  var targets = document.querySelectorAll(".chart[data-spec]");
  if (!targets.length || typeof window.vegaEmbed !== "function") { return; }
  targets.forEach(function (target) {
    var spec = JSON.parse(document.getElementById(target.getAttribute("data-spec")).textContent);
    window.vegaEmbed(target, spec, { actions: false, renderer: "svg", ast: true })
      .then(function () { target.setAttribute("data-rendered", "true"); })
      .catch(function (err) { target.textContent = "Chart could not be drawn: " + err; });
  });
});

// Draw every chart of the page from the figure JSON the server embedded, and submit the
// pickers on change. Everything works without this script too: each chart has a data table
// and each picker a submit button.
(function () {
  "use strict";

  function drawCharts() {
    if (!window.Plotly) {
      return;
    }
    document.querySelectorAll(".js-plot[data-figure]").forEach(function (element) {
      var source = document.getElementById(element.dataset.figure);
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        displayModeBar: false,
        responsive: true,
      });
    });
  }

  function autosubmitPickers() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        select.form.submit();
      });
    });
  }

  // The attainment bars get their width here: the Content-Security-Policy refuses inline style attributes.
  function sizeBars() {
    document.querySelectorAll(".bar .fill[data-width]").forEach(function (fill) {
      fill.style.width = fill.dataset.width + "%";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    sizeBars();
    autosubmitPickers();
    drawCharts();
  });
})();

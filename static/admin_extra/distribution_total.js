// Keep the distribution's "total %" in step with the 12 month inputs while typing.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
  const inputs = months.map((m) => document.getElementById(`id_${m}`)).filter(Boolean);
  const total = document.getElementById("distribution-total");
  if (!total || inputs.length !== 12) {
    return;
  }
  const update = () => {
    // Sum in hundredths to avoid floating-point noise (2 decimals per month).
    const cents = inputs.reduce((sum, input) => sum + Math.round((parseFloat(input.value) || 0) * 100), 0);
    total.textContent = (cents / 100).toFixed(2);
    total.classList.toggle("errornote", cents !== 10000);
  };
  inputs.forEach((input) => input.addEventListener("input", update));
  update();
});

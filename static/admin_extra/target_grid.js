// Update the quota grid's row and column totals while typing (the server computes them on load).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("target-grid");
  if (!table || table.dataset.additive !== "1") {
    return;
  }
  const format = (cents) =>
    (cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const cents = (input) => {
    const value = input.value.trim();
    return /^\d+(\.\d{1,2})?$/.test(value) ? Math.round(parseFloat(value) * 100) : 0;
  };
  const update = () => {
    const rows = Array.from(table.tBodies[0].rows);
    const columns = new Array(12).fill(0);
    let grand = 0;
    rows.forEach((row) => {
      const inputs = Array.from(row.querySelectorAll("input.grid-cell"));
      let sum = 0;
      inputs.forEach((input, i) => {
        const c = cents(input);
        sum += c;
        columns[i] += c;
      });
      grand += sum;
      row.querySelector(".row-total").textContent = format(sum);
    });
    const foot = table.tFoot;
    if (foot) {
      const cells = foot.rows[0].querySelectorAll("td");
      columns.forEach((c, i) => (cells[i].textContent = format(c)));
      cells[12].textContent = format(grand);
    }
  };
  table.addEventListener("input", update);
});

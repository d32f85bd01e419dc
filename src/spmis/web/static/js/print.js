// "Print" buttons (data-print): shown once this script runs, they open the browser's print
// dialog; the print stylesheet (site.css, @media print) leaves out the menu, buttons and forms.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

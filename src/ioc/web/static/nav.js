// Menu groups (<details class="nav-menu">): one open at a time, closed by a click outside or Esc.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details.nav-menu[open]")) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.nav-menu[open]")) menu.removeAttribute("open");
});
document.addEventListener("toggle", (event) => {
  const menu = event.target;
  if (!(menu instanceof HTMLDetailsElement) || !menu.open || !menu.classList.contains("nav-menu")) return;
  for (const other of document.querySelectorAll("details.nav-menu[open]")) {
    if (other !== menu) other.removeAttribute("open");
  }
}, true);

// <form data-confirm="Question?">: ask before submitting (instead of an inline onsubmit, which
// the Content-Security-Policy blocks). The question is read as text, never as markup or code.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

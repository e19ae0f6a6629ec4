// The console's only script besides htmx (no inline scripts: the CSP forbids them).
// Buttons marked data-confirm ask before they submit.
document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('[data-confirm]') : null;
  if (target && !window.confirm(target.getAttribute('data-confirm') || 'Sure?')) event.preventDefault();
});

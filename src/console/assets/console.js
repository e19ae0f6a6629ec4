// The console's only script besides htmx (no inline scripts: the CSP forbids them).
// Buttons marked data-confirm ask before they submit.
document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('[data-confirm]') : null;
  if (target && !window.confirm(target.getAttribute('data-confirm') || 'Sure?')) event.preventDefault();
});
// Buttons that call /api/v1 themselves (hx-post / hx-delete with data-api; htmx sends the session's CSRF token
// from the layout's hx-headers): the API answers JSON, never HTML to swap. On success go to data-then (if any);
// on a refusal show the API's message in the page's #api-error.
document.addEventListener('htmx:afterRequest', (event) => {
  const elt = event.detail && event.detail.elt;
  if (!(elt instanceof Element) || !elt.hasAttribute('data-api')) return;
  if (event.detail.successful) {
    const then = elt.getAttribute('data-then');
    if (then) window.location.assign(then);
    return;
  }
  let message = 'The request failed (' + event.detail.xhr.status + ').';
  try {
    const body = JSON.parse(event.detail.xhr.responseText);
    if (body && typeof body.message === 'string') message = body.message;
  } catch (err) {
    // not JSON: keep the status
  }
  const box = document.getElementById('api-error');
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
});

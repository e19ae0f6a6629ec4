// The console's only script besides htmx (an ES module; no inline scripts: the CSP forbids them).
// The forms that change something call /api/v1 with the session, as scripts do with a key: the form becomes
// the API's JSON body (forms.js), its answer a new page, or its 400's issues next to their fields.
import { apiIssues, enrichmentFromForm, formData, placeEnrichmentIssues, placeIssues, toDefinition } from './forms.js';

// Buttons marked data-confirm ask before they submit.
document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('[data-confirm]') : null;
  if (target && !window.confirm(target.getAttribute('data-confirm') || 'Sure?')) event.preventDefault();
});

function showApiError(message) {
  const box = document.getElementById('api-error');
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
}

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
  showApiError(message);
});

/** The session's CSRF token, as the layout gives it to htmx. */
function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
  } catch (err) {
    return '';
  }
}

/** Sends a JSON body to the API with the session; resolves to {status, body}. */
async function callApi(method, url, body) {
  const res = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken() },
    body: JSON.stringify(body),
  });
  let json = null;
  try {
    json = await res.json();
  } catch (err) {
    // no JSON body
  }
  return { status: res.status, body: json };
}

/** The form's fields as the server's form parser gives them (a name sent twice: a list). */
function fieldsOf(form) {
  const fields = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value !== 'string') continue;
    const before = fields[name];
    fields[name] = before === undefined ? value : [].concat(before, value);
  }
  return fields;
}

/** Empties the form's error slots (`[data-error]`) and the page's general error box. */
function clearErrors(form) {
  for (const slot of form.querySelectorAll('[data-error]')) {
    slot.textContent = '';
    slot.hidden = true;
  }
  const box = document.getElementById('api-error');
  if (box) box.hidden = true;
}

/** Shows placed issues: each in its slot, what has no slot (and the API's message) in the general box. */
function showErrors(form, placed, message) {
  const general = [...placed.general];
  for (const [key, text] of Object.entries(placed.errors)) {
    const slot = form.querySelector(`[data-error="${CSS.escape(key)}"]`);
    if (slot) {
      slot.textContent = text;
      slot.hidden = false;
    } else general.push(`${key}: ${text}`);
  }
  const list = form.querySelector('[data-error="general"]');
  const lines = general.length ? general : Object.keys(placed.errors).length ? [] : [message];
  if (list) {
    list.textContent = lines.join('\n');
    list.hidden = lines.length === 0;
  } else if (lines.length) showApiError(lines.join('\n'));
}

const since = (button, fields) => (button && button.getAttribute('data-since')) || fields.period || '30d';

/**
 * What each form sends: {method, url, body, then(answer) -> the page to open, place(issues) -> placed}.
 * `action` is the submit button's data-action.
 */
const REQUESTS = {
  rule(fields, action, button) {
    const d = formData(fields);
    const definition = toDefinition(d);
    const place = (issues) => placeIssues(d, issues);
    if (action === 'simulate') {
      return { method: 'POST', url: '/api/v1/simulations', body: { definition, since: since(button, fields) }, then: (b) => `/ui/simulations/${b.id}`, place };
    }
    const baseVersion = /^\d+$/.test(fields.baseVersion || '') ? Number(fields.baseVersion) : undefined;
    const editing = fields.mode === 'edit';
    return {
      method: editing ? 'PUT' : 'POST',
      url: editing ? `/api/v1/rules/${encodeURIComponent(d.id)}` : '/api/v1/rules',
      body: { definition, ...(editing && baseVersion ? { baseVersion } : {}) },
      then: (b) => `/ui/rules/${encodeURIComponent(b.id)}?notice=${encodeURIComponent(`Saved as version ${b.version}`)}`,
      place,
    };
  },
  // The simulator's "save this rule": the draft's definition, a new rule or a new version of the rule.
  draft(fields) {
    const definition = JSON.parse(fields.definition);
    const existing = fields.exists === 'true';
    return {
      method: existing ? 'PUT' : 'POST',
      url: existing ? `/api/v1/rules/${encodeURIComponent(definition.id)}` : '/api/v1/rules',
      body: { definition },
      then: (b) => `/ui/rules/${encodeURIComponent(b.id)}?notice=${encodeURIComponent(`Saved as version ${b.version}`)}`,
      place: (issues) => ({ errors: {}, general: issues.map((i) => `${i.path}: ${i.message}`) }),
    };
  },
  simulate(fields, _action, button) {
    return {
      method: 'POST',
      url: '/api/v1/simulations',
      body: { ruleId: fields.ruleId, since: since(button, fields) },
      then: (b) => `/ui/simulations/${b.id}`,
      place: (issues) => ({ errors: {}, general: issues.map((i) => `${i.path}: ${i.message}`) }),
    };
  },
  enrichment(fields) {
    const { rules, rows } = enrichmentFromForm(fields);
    const baseVersion = /^[1-9]\d*$/.test(fields.baseVersion || '') ? Number(fields.baseVersion) : undefined;
    return {
      method: 'PUT',
      url: '/api/v1/enrichment',
      body: { rules, ...(baseVersion ? { baseVersion } : {}) },
      then: (b) => `/ui/enrichment?notice=${encodeURIComponent(`Saved as version ${b.version}`)}`,
      place: (issues) => placeEnrichmentIssues(rows, issues),
    };
  },
};

// Forms marked data-api-form="<kind>" are sent to the API by this script, never posted to /ui.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-api-form')) return;
  event.preventDefault();
  const make = REQUESTS[form.getAttribute('data-api-form')];
  if (!make) return;
  const button = event.submitter instanceof HTMLElement ? event.submitter : null;
  const fields = fieldsOf(form);
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => (b.disabled = true));
  try {
    clearErrors(form);
    const request = make(fields, button && button.getAttribute('data-action'), button);
    const answer = await callApi(request.method, request.url, request.body);
    if (answer.status >= 200 && answer.status < 300) return window.location.assign(request.then(answer.body));
    const message = (answer.body && answer.body.message) || `The request failed (${answer.status}).`;
    if (answer.status === 400) showErrors(form, request.place(apiIssues(answer.body)), message);
    else showApiError(message);
  } catch (err) {
    showApiError(`The request failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
});

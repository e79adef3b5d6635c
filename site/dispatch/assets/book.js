// The booking form: the API validates, and names each bad field; we show it next to the field.
import { api, ApiError } from '/shared/app.js';

const form = document.getElementById('booking');
const day = form.preferred_date;
day.min = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
// One id per filled-in form: pressing "Book" twice, or a retried request, books once.
const requestId = crypto.randomUUID().replaceAll('-', '');

// Each sentence the API sent goes next to its field; one about no field of the form (a stale
// page's request id) goes above the button. Returns the fields shown.
function showErrors(fields, formError) {
  const shown = [];
  for (const el of form.querySelectorAll('[data-error-for]')) {
    const message = fields[el.dataset.errorFor];
    el.textContent = message || '';
    el.hidden = !message;
    const input = form.elements[el.dataset.errorFor];
    if (input) input.setAttribute('aria-invalid', message ? 'true' : 'false');
    if (message) shown.push(el.dataset.errorFor);
  }
  const rest = Object.keys(fields).filter((name) => !shown.includes(name)).map((name) => fields[name]);
  formError.textContent = rest.join(' ');
  formError.hidden = rest.length === 0;
  return shown;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = form.querySelector('button');
  const formError = document.getElementById('form-error');
  formError.hidden = true;
  button.disabled = true;
  const body = Object.fromEntries(new FormData(form).entries());
  body.request_id = requestId;
  body.texts = form.texts.checked;  // a JSON boolean: the API takes no "on"
  if (!body.email) delete body.email;
  if (!body.preferred_date) delete body.preferred_date;
  try {
    const booked = await api('/api/bookings', { method: 'POST', body });
    showErrors({}, formError);
    form.hidden = true;
    document.getElementById('job-id').textContent = booked.job_id;
    const link = document.getElementById('tracking-link');
    link.href = booked.tracking_url;
    link.textContent = booked.tracking_url;
    document.getElementById('booked').hidden = false;
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && Object.keys(err.fields).length) {
      const [first] = showErrors(err.fields, formError);
      if (first && form.elements[first]) form.elements[first].focus();
    } else {
      formError.textContent = err.message;
      formError.hidden = false;
    }
  } finally {
    button.disabled = false;
  }
});

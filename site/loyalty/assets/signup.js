import { api, ApiError } from '/shared/app.js';

const form = document.getElementById('signup');

function showErrors(fields) {
  for (const el of form.querySelectorAll('[data-error-for]')) {
    const message = fields[el.dataset.errorFor];
    el.textContent = message || '';
    el.hidden = !message;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = Object.fromEntries(new FormData(form).entries());
  if (!body.email) delete body.email;
  body.texts = form.texts.checked;  // the API takes true or false, not a checkbox's "on"
  const error = document.getElementById('form-error');
  error.hidden = true;
  try {
    const joined = await api('/api/members', { method: 'POST', body });
    showErrors({});
    form.hidden = true;
    document.getElementById('joined').hidden = false;
    document.getElementById('check-mail').hidden = !joined.confirmation_sent;
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) showErrors(err.fields);
    else { error.textContent = err.message; error.hidden = false; }
  }
});

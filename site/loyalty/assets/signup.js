import { api, ApiError } from '/shared/app.js';

const form = document.getElementById('signup');

function showErrors(fields) {
  for (const el of form.querySelectorAll('[data-error-for]')) {
    const message = fields[el.dataset.errorFor];
    el.textContent = message || '';
    el.hidden = !message;
  }
}

// The reward ladder and how points are earned, from the owner's rules.txt.
async function showProgram() {
  let program;
  try {
    program = await api('/api/program');
  } catch {
    return;  // the form works without it
  }
  // rules.txt counts in dollars ("points per dollar", "minimum spend").
  const from = Number(program.minimum_spend) > 0 ? ` on a visit of $${program.minimum_spend} or more` : '';
  const per = program.points_per_dollar === '1' ? '1 point' : `${program.points_per_dollar} points`;
  document.getElementById('earning').textContent = `${per} for every dollar you spend${from}. Give your number at the counter and they add up.`;
  const ladder = document.getElementById('ladder');
  ladder.replaceChildren(...program.rewards.map((r) => {
    const li = document.createElement('li');
    li.textContent = `${r.cost} points — ${r.name}`;
    return li;
  }));
  document.getElementById('program').hidden = false;
}
showProgram();

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = Object.fromEntries(new FormData(form).entries());
  if (!body.email) delete body.email;
  body.texts = form.texts.checked;  // the API takes true or false, not a checkbox's "on"
  const error = document.getElementById('form-error');
  error.hidden = true;
  try {
    // The same answer for a new member and a number that is one already: the form never says which.
    const joined = await api('/api/members', { method: 'POST', body });
    showErrors({});
    form.hidden = true;
    document.getElementById('joined-message').textContent = joined.message;
    document.getElementById('joined').hidden = false;
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) showErrors(err.fields);
    else { error.textContent = err.message; error.hidden = false; }
  }
});

// The dispatcher's board: a column per status of the flow the API serves, cards dragged (or,
// on a phone, moved with their menu) to the next status. A move another dispatcher made first
// comes back as a conflict, shown here, and the board reloads.
import { api, ApiError, escapeHtml, localTime, requireStaff, signOut } from '/shared/app.js';

const root = document.getElementById('app');
let flow;
let timeZone; // the business's, from the API: every time on the board is shown in it

// The card's last move, "moved to Ready for pickup by Ben, 09:12", or who entered a job taken by phone.
function lastChange(job) {
  const move = job.last_move;
  if (move) return `moved to ${flow.labels[move.to] || move.to}${move.by_name ? ` by ${move.by_name}` : ''}, ${localTime(move.at, timeZone)}`;
  return job.by_name ? `entered by ${job.by_name}, ${localTime(job.created_at, timeZone)}` : '';
}

function money(cents) {
  return cents == null ? '' : `$${(cents / 100).toFixed(2)}`;
}

function cardHtml(job) {
  const moves = flow.moves[job.job_status];
  const options = moves.map((s) => `<option value="${s}">${escapeHtml(flow.labels[s])}</option>`).join('');
  return `
    <article class="job" draggable="${moves.length > 0}" data-job="${escapeHtml(job.job_id)}" data-status="${escapeHtml(job.job_status)}">
      <h3>${escapeHtml(job.name)} <small class="muted">${escapeHtml(job.job_id)}</small></h3>
      <p>${escapeHtml(job.preferred_date)} · ${escapeHtml(job.window)} ${money(job.price_cents)}</p>
      <p>${escapeHtml(job.address)}</p>
      <p class="muted">${escapeHtml(job.items)}</p>
      <p><a href="${escapeHtml(job.tracking_url)}" target="_blank" rel="noopener" class="tracking">tracking link</a> · <a href="tel:${escapeHtml(job.phone)}">${escapeHtml(job.phone_display)}</a></p>
      ${lastChange(job) ? `<p class="muted last-change">${escapeHtml(lastChange(job))}</p>` : ''}
      ${moves.length ? `<select aria-label="Move ${escapeHtml(job.job_id)} to"><option value="">Move to…</option>${options}</select>` : ''}
    </article>`;
}

function banner(kind, message) {
  const el = root.querySelector('#banner');
  el.className = `banner ${kind}`;
  el.textContent = message;
  el.hidden = false;
}

async function move(jobId, from, to) {
  try {
    await api(`/api/jobs/${encodeURIComponent(jobId)}/status`, { method: 'POST', body: { from, to } });
    root.querySelector('#banner').hidden = true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) banner('conflict', err.message);
    else banner('bad', err.message);
  }
  await load();
}

function wireDragAndDrop() {
  for (const card of root.querySelectorAll('.job[draggable=true]')) {
    card.addEventListener('dragstart', (event) => {
      event.dataTransfer.setData('text/plain', JSON.stringify({ job: card.dataset.job, from: card.dataset.status }));
      for (const column of root.querySelectorAll('.column')) {
        if (flow.moves[card.dataset.status].includes(column.dataset.status)) column.classList.add('drop-ok');
      }
    });
    card.addEventListener('dragend', () => root.querySelectorAll('.drop-ok').forEach((c) => c.classList.remove('drop-ok')));
    card.querySelector('select').addEventListener('change', (event) => {
      if (event.target.value) move(card.dataset.job, card.dataset.status, event.target.value);
    });
  }
  for (const column of root.querySelectorAll('.column')) {
    column.addEventListener('dragover', (event) => event.preventDefault());
    column.addEventListener('drop', (event) => {
      event.preventDefault();
      const { job, from } = JSON.parse(event.dataTransfer.getData('text/plain'));
      if (from !== column.dataset.status) move(job, from, column.dataset.status);
    });
  }
}

async function load() {
  const { jobs, time_zone: zone } = await api('/api/jobs');
  timeZone = zone;
  const board = root.querySelector('#board');
  board.innerHTML = flow.statuses.map((s) => {
    const cards = jobs.filter((j) => j.job_status === s.status);
    return `<section class="column" data-status="${s.status}" aria-label="${escapeHtml(s.label)}">
      <h2>${escapeHtml(s.label)} <span class="muted">${cards.length}</span></h2>${cards.map(cardHtml).join('')}</section>`;
  }).join('');
  wireDragAndDrop();
}

function newJobForm() {
  return `
    <details class="card new-job"><summary>New job (taken by phone)</summary>
      <form id="new-job" novalidate>
        <div class="grid2">
          <div><label for="nj-name">Name</label><input id="nj-name" name="name"><p class="field-error" data-error-for="name" hidden></p></div>
          <div><label for="nj-phone">Phone</label><input id="nj-phone" name="phone" type="tel"><p class="field-error" data-error-for="phone" hidden></p></div>
          <div><label for="nj-email">E-mail</label><input id="nj-email" name="email" type="email"><p class="field-error" data-error-for="email" hidden></p></div>
          <div><label for="nj-price">Quoted price ($)</label><input id="nj-price" name="price" inputmode="decimal"><p class="field-error" data-error-for="price_cents" hidden></p></div>
        </div>
        <label class="check" for="nj-texts"><input id="nj-texts" name="texts" type="checkbox"> Customer agreed to texts</label><p class="field-error" data-error-for="texts" hidden></p>
        <label for="nj-address">Address</label><input id="nj-address" name="address"><p class="field-error" data-error-for="address" hidden></p>
        <label for="nj-items">Items</label><input id="nj-items" name="items"><p class="field-error" data-error-for="items" hidden></p>
        <div class="grid2">
          <div><label for="nj-date">Day</label><input id="nj-date" name="preferred_date" type="date"><p class="field-error" data-error-for="preferred_date" hidden></p></div>
          <div><label for="nj-window">Time of day</label><select id="nj-window" name="window"><option value="any">Any time</option><option value="morning">Morning</option><option value="afternoon">Afternoon</option><option value="evening">Evening</option></select><p class="field-error" data-error-for="window" hidden></p></div>
        </div>
        <label for="nj-notes">Notes</label><textarea id="nj-notes" name="notes" rows="2"></textarea><p class="field-error" data-error-for="notes" hidden></p>
        <p class="error" role="alert" id="new-job-error" hidden></p>
        <button type="submit">Add job</button>
      </form>
    </details>`;
}

// Dollars as typed ("95", "95.50", "$1,200") to cents, or null when it is not an amount.
function cents(typed) {
  const plain = typed.replace(/[$,\s]/g, '');
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(plain)) return null;
  const [dollars, part = ''] = plain.split('.');
  return Number(dollars) * 100 + Number(part.padEnd(2, '0'));
}

// Each sentence the API sent goes next to its field (the price's next to the price typed in
// dollars); one about no field of the form goes above the button.
function showErrors(form, fields) {
  const shown = [];
  for (const el of form.querySelectorAll('[data-error-for]')) {
    const name = el.dataset.errorFor;
    const message = fields[name];
    el.textContent = message || '';
    el.hidden = !message;
    const input = form.elements[name === 'price_cents' ? 'price' : name];
    if (input) input.setAttribute('aria-invalid', message ? 'true' : 'false');
    if (message) shown.push(input);
  }
  const rest = Object.keys(fields).filter((name) => !form.querySelector(`[data-error-for="${name}"]`)).map((name) => fields[name]);
  const formError = form.querySelector('#new-job-error');
  formError.textContent = rest.join(' ');
  formError.hidden = rest.length === 0;
  if (shown[0]) shown[0].focus();
}

function wireNewJob() {
  const form = root.querySelector('#new-job');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(form).entries());
    body.texts = form.texts.checked;  // a JSON boolean: the API takes no "on"
    const price = body.price.trim();
    delete body.price;
    if (price) {
      body.price_cents = cents(price);
      if (body.price_cents === null) {
        showErrors(form, { price_cents: 'Please give the price in dollars, like 95 or 95.50.' });
        return;
      }
    }
    if (!body.email) delete body.email;
    if (!body.preferred_date) delete body.preferred_date;
    try {
      await api('/api/jobs', { method: 'POST', body });
      form.reset();
      showErrors(form, {});
      await load();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && Object.keys(err.fields).length) showErrors(form, err.fields);
      else banner('bad', err.message);
    }
  });
}

requireStaff(root, async () => {
  const served = await api('/api/flow');
  flow = { ...served, labels: Object.fromEntries(served.statuses.map((s) => [s.status, s.label])) };
  root.innerHTML = `<p id="banner" role="alert" hidden></p>${newJobForm()}<div class="board" id="board"></div>`;
  wireNewJob();
  const out = document.getElementById('sign-out');
  out.hidden = false;
  out.addEventListener('click', signOut);
  await load();
});

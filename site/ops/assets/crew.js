// A crew member's magic link: the token is in the address's fragment (#t=...), which browsers
// never send to servers; this page hands it to the API in X-Crew-Token.
import { escapeHtml } from '/shared/app.js';

const root = document.getElementById('app');
const token = new URLSearchParams(window.location.hash.slice(1)).get('t') || '';

// What the page says when the API has no sentence of its own (a network failure, a proxy's page).
const FALLBACK = {
  link_expired: 'This link has expired. Ask the office for a new one.',
  link_revoked: 'This link was replaced or withdrawn. Ask the office for a new one.',
  link_invalid: 'This link is not valid. Use the newest link from your e-mail.',
};
const LINK_PROBLEMS = new Set(Object.keys(FALLBACK));

async function call(path, method = 'GET', body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { 'X-Crew-Token': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw Object.assign(new Error('We could not reach the office. Check your connection and try again.'), { code: 'offline' });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = data.message || FALLBACK[data.error] || 'Something went wrong on our side. Try again in a minute.';
    throw Object.assign(new Error(message), { code: data.error, status: response.status });
  }
  return data;
}

// A link that no longer works replaces the page; anything else is said next to what was tried.
function problem(err) {
  const titles = { link_expired: 'This link has expired', link_revoked: 'This link no longer works', link_invalid: 'This link is not valid' };
  root.innerHTML = `<section class="card"><h1 id="problem">${escapeHtml(titles[err.code] || 'Something went wrong')}</h1>
    <p id="problem-message">${escapeHtml(err.message)}</p></section>`;
}

function failed(err) {
  if (LINK_PROBLEMS.has(err.code) || !root.querySelector('#notice')) return problem(err);
  const notice = root.querySelector('#notice');
  notice.textContent = err.message;
  notice.hidden = false;
}

function render(view) {
  const crew = view.crew.map((m) => `<li>${escapeHtml(m.name)} · ${escapeHtml(m.role)}</li>`).join('');
  const items = view.checklist.map((c, i) => `
    <label class="check"><input type="checkbox" data-item="${escapeHtml(c.item)}" id="item-${i}" ${c.done ? 'checked' : ''}> ${escapeHtml(c.item)}</label>`).join('');
  root.innerHTML = `
    <p class="error" id="notice" role="alert" hidden></p>
    <section class="card">
      <h1>Charter on ${escapeHtml(view.date)}</h1>
      <p><strong>${escapeHtml(view.start_time)}–${escapeHtml(view.end_time)}</strong>, ${view.guest_count} guests.<br>
         Meet at ${escapeHtml(view.meeting_point)}.</p>
      <p>You: ${escapeHtml(view.name)}, ${escapeHtml(view.role)}.</p>
      <p id="ack">${view.acknowledged_at
        ? `Confirmed ${escapeHtml(new Date(view.acknowledged_at).toLocaleString())}.`
        : '<button type="button" id="acknowledge">I\'m on it</button>'}</p>
    </section>
    <section class="card"><h2>Checklist</h2><div class="checklist">${items}</div></section>
    <section class="card"><h2>Crew</h2><ul>${crew}</ul></section>
    <p class="muted">This link works until ${escapeHtml(new Date(view.link_expires_at).toLocaleString())}.</p>`;
  const button = root.querySelector('#acknowledge');
  if (button) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        render(await call('/api/crew/acknowledge', 'POST', { acknowledged: true }));
      } catch (err) {
        button.disabled = false;
        failed(err);
      }
    });
  }
  for (const box of root.querySelectorAll('input[data-item]')) {
    box.addEventListener('change', async () => {
      try {
        render(await call('/api/crew/checklist', 'POST', { item: box.dataset.item, done: box.checked }));
      } catch (err) {
        box.checked = !box.checked; // it was not saved
        failed(err);
      }
    });
  }
}

call('/api/crew/assignment').then(render).catch(problem);

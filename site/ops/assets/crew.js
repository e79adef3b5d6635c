// A crew member's magic link: the token is in the address's fragment (#t=...), which browsers
// never send to servers; this page hands it to the API in X-Crew-Token.
import { escapeHtml } from '/shared/app.js';

const root = document.getElementById('app');
const token = new URLSearchParams(window.location.hash.slice(1)).get('t') || '';

async function call(path, method = 'GET', body) {
  const response = await fetch(path, {
    method,
    headers: { 'X-Crew-Token': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.message || 'Something went wrong.'), { code: data.error, status: response.status });
  return data;
}

function problem(err) {
  const titles = { link_expired: 'This link has expired', link_revoked: 'This link no longer works', link_invalid: 'This link is not valid' };
  root.innerHTML = `<section class="card"><h1 id="problem">${escapeHtml(titles[err.code] || 'Something went wrong')}</h1>
    <p>${escapeHtml(err.message)}</p></section>`;
}

function render(view) {
  const crew = view.crew.map((m) => `<li>${escapeHtml(m.name)} · ${escapeHtml(m.role)}</li>`).join('');
  const items = view.checklist.map((c, i) => `
    <label class="check"><input type="checkbox" data-item="${escapeHtml(c.item)}" id="item-${i}" ${c.done ? 'checked' : ''}> ${escapeHtml(c.item)}</label>`).join('');
  root.innerHTML = `
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
  if (button) button.addEventListener('click', async () => render(await call('/api/crew/acknowledge', 'POST', { acknowledged: true })));
  for (const box of root.querySelectorAll('input[data-item]')) {
    box.addEventListener('change', async () => {
      try {
        render(await call('/api/crew/checklist', 'POST', { item: box.dataset.item, done: box.checked }));
      } catch (err) { problem(err); }
    });
  }
}

call('/api/crew/assignment').then(render).catch(problem);

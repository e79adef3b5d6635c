// The charter calendar for staff: a month of charters, one opened in full with its crew, whose
// links can be withdrawn or sent again.
import { api, escapeHtml, requireStaff } from '/shared/app.js';

const root = document.getElementById('app');
const today = new Date().toISOString().slice(0, 7);

async function showEvent(eventId) {
  const { event, crew } = await api(`/api/charters/events/${encodeURIComponent(eventId)}`);
  const panel = root.querySelector('#event');
  const rows = crew.map((m) => `
    <tr data-crew="${escapeHtml(m.crew_id)}"><td>${escapeHtml(m.name)}</td><td>${escapeHtml(m.role)}</td><td>${escapeHtml(m.email)}</td>
      <td>${m.acknowledged_at ? 'confirmed' : '—'}</td>
      <td><button type="button" data-act="reissue">Send a new link</button> <button type="button" data-act="revoke">Withdraw link</button></td></tr>`).join('');
  panel.innerHTML = `
    <section class="card">
      <h2>${escapeHtml(event.date)} ${escapeHtml(event.start_time)} · ${escapeHtml(event.guest_name)}</h2>
      <p>${event.guest_count} guests · from ${escapeHtml(event.source)} (${escapeHtml(event.external_id)}) · revenue ${escapeHtml(event.gross_revenue)}${event.captain_fee ? `, captain's fee ${escapeHtml(event.captain_fee)}` : ''}</p>
      <p>Meet at ${escapeHtml(event.meeting_point)}. Guest code ${escapeHtml(event.guest_code)}.</p>
      ${event.notes ? `<p class="muted">${escapeHtml(event.notes)}</p>` : ''}
      <table><thead><tr><th>Crew</th><th>Role</th><th>E-mail</th><th>Status</th><th></th></tr></thead><tbody>${rows}</tbody></table>
      <p class="muted" id="crew-result" role="status"></p>
    </section>`;
  for (const button of panel.querySelectorAll('button[data-act]')) {
    button.addEventListener('click', async () => {
      const crewId = button.closest('tr').dataset.crew;
      const result = await api(`/api/charters/events/${encodeURIComponent(eventId)}/crew/${crewId}/${button.dataset.act}`, { method: 'POST' });
      panel.querySelector('#crew-result').textContent = button.dataset.act === 'revoke'
        ? 'Link withdrawn: the old link no longer opens the crew page.' : `A new link was sent (version ${result.link_version}).`;
    });
  }
}

async function load(month) {
  const { events } = await api(`/api/charters/events?month=${month}`);
  const rows = events.map((e) => `<tr><td><a href="#${escapeHtml(e.event_id)}">${escapeHtml(e.date)} ${escapeHtml(e.start_time)}–${escapeHtml(e.end_time)}</a></td><td>${escapeHtml(e.title)}</td></tr>`).join('');
  root.innerHTML = `
    <section class="card"><h1>Charters</h1>
      <label for="month">Month</label><input id="month" type="month" value="${month}"></section>
    <table><thead><tr><th>When</th><th>Charter</th></tr></thead><tbody>${rows || '<tr><td colspan="2" class="muted">No charters this month.</td></tr>'}</tbody></table>
    <div id="event"></div>`;
  root.querySelector('#month').addEventListener('change', (e) => load(e.target.value));
  if (window.location.hash) await showEvent(window.location.hash.slice(1));
}

window.addEventListener('hashchange', () => showEvent(window.location.hash.slice(1)));
requireStaff(root, () => load(today));

// The charter calendar for staff: a month of charters, one opened with its crew, whose links can
// be withdrawn or sent again (each saying who did it last, and when). The money of a charter is
// the owner's: it is asked for separately, and shown only to an owner. Every failure is said in
// the API's own words.
import { api, ApiError, escapeHtml, localTime, requireStaff } from '/shared/app.js';

const root = document.getElementById('app');
const today = new Date().toISOString().slice(0, 7);

// "link withdrawn by Carl, 14:02" / "link re-issued by Carl, 14:02".
function linkChange(change, timeZone) {
  if (!change) return '';
  const what = change.action === 'reissued' ? 'link re-issued' : 'link withdrawn';
  return `${what} by ${change.by_name}, ${localTime(change.at, timeZone)}`;
}

// The charter's revenue, fee and notes for an owner; nothing for anyone else (403).
async function moneyHtml(eventId) {
  let money;
  try {
    money = await api(`/api/charters/events/${encodeURIComponent(eventId)}/money`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return '';
    return `<p class="error" role="alert">${escapeHtml(say(err))}</p>`;
  }
  return `<p id="event-money">Revenue ${escapeHtml(money.gross_revenue)}${money.captain_fee ? `, captain's fee ${escapeHtml(money.captain_fee)}` : ''}</p>
      ${money.notes ? `<p class="muted">${escapeHtml(money.notes)}</p>` : ''}`;
}

// The API's sentence when it sent one; a plain one when the network or a proxy failed.
function say(err) {
  if (err && err.code) return err.message;
  if (err && err.status >= 500) return 'Something went wrong on our side. Try again in a minute.';
  return 'We could not reach the server. Check your connection and try again.';
}

async function showEvent(eventId) {
  const panel = root.querySelector('#event');
  if (!panel || !eventId) return;
  let event;
  let crew;
  let timeZone;
  let money;
  try {
    [{ event, crew, time_zone: timeZone }, money] = await Promise.all([
      api(`/api/charters/events/${encodeURIComponent(eventId)}`), moneyHtml(eventId)]);
  } catch (err) {
    panel.innerHTML = `<p class="error" role="alert" id="event-error">${escapeHtml(say(err))}</p>`;
    return;
  }
  const rows = crew.map((m) => `
    <tr data-crew="${escapeHtml(m.crew_id)}"><td>${escapeHtml(m.name)}</td><td>${escapeHtml(m.role)}</td><td>${escapeHtml(m.email)}</td>
      <td>${m.phone_shown ? `<a href="tel:${escapeHtml(m.phone)}">${escapeHtml(m.phone_shown)}</a>` : '—'}</td>
      <td>${m.acknowledged_at ? 'confirmed' : '—'}</td>
      <td><button type="button" data-act="reissue">Send a new link</button> <button type="button" data-act="revoke">Withdraw link</button>
        <p class="muted link-changed">${escapeHtml(linkChange(m.link_changed, timeZone))}</p></td></tr>`).join('');
  panel.innerHTML = `
    <section class="card">
      <h2>${escapeHtml(event.date)} ${escapeHtml(event.start_time)} · ${escapeHtml(event.guest_name)}</h2>
      <p>${escapeHtml(event.guest_count)} guests · from ${escapeHtml(event.source)} (${escapeHtml(event.external_id)})</p>
      <p>Meet at ${escapeHtml(event.meeting_point)}. Guest code ${escapeHtml(event.guest_code)}.</p>
      ${money}
      <table><thead><tr><th>Crew</th><th>Role</th><th>E-mail</th><th>Phone</th><th>Status</th><th></th></tr></thead><tbody>${rows}</tbody></table>
      <p class="muted" id="crew-result" role="status"></p>
    </section>`;
  const result = panel.querySelector('#crew-result');
  for (const button of panel.querySelectorAll('button[data-act]')) {
    button.addEventListener('click', async () => {
      const crewId = button.closest('tr').dataset.crew;
      button.disabled = true;
      try {
        const answer = await api(`/api/charters/events/${encodeURIComponent(eventId)}/crew/${encodeURIComponent(crewId)}/${button.dataset.act}`, { method: 'POST' });
        button.closest('tr').querySelector('.link-changed').textContent = linkChange(answer.link_changed, answer.time_zone);
        result.className = 'muted';
        result.textContent = button.dataset.act === 'revoke'
          ? 'Link withdrawn: the old link no longer opens the crew page.'
          : answer.mailed ? `A new link was sent (version ${answer.link_version}).`
            : 'The old link was withdrawn, but the new one could not be sent yet. Try "Send a new link" again.';
      } catch (err) {
        result.className = 'error';
        result.textContent = say(err);
      } finally {
        button.disabled = false;
      }
    });
  }
}

async function load(month) {
  let events;
  try {
    ({ events } = await api(`/api/charters/events?month=${encodeURIComponent(month)}`));
  } catch (err) {
    root.innerHTML = `<section class="card"><h1>Charters</h1><p class="error" role="alert" id="load-error">${escapeHtml(say(err))}</p></section>`;
    return;
  }
  const rows = events.map((e) => `<tr><td><a href="#${escapeHtml(e.event_id)}">${escapeHtml(e.date)} ${escapeHtml(e.start_time)}–${escapeHtml(e.end_time)}</a></td><td>${escapeHtml(e.title)}</td></tr>`).join('');
  root.innerHTML = `
    <section class="card"><h1>Charters</h1>
      <label for="month">Month</label><input id="month" type="month" value="${escapeHtml(month)}"></section>
    <table><thead><tr><th>When</th><th>Charter</th></tr></thead><tbody>${rows || '<tr><td colspan="2" class="muted">No charters this month.</td></tr>'}</tbody></table>
    <div id="event"></div>`;
  root.querySelector('#month').addEventListener('change', (e) => load(e.target.value || today));
  if (window.location.hash) await showEvent(window.location.hash.slice(1));
}

window.addEventListener('hashchange', () => showEvent(window.location.hash.slice(1)));
requireStaff(root, () => load(today));

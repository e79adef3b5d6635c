// My points: phone → one-time code → the member's own points. The session token lives in this
// tab only (sessionStorage) and travels in request bodies, never in a URL. A balance mail's
// personal link carries its token after '#', which no server sees; it is taken off the address bar at once.
import { api, ApiError, escapeHtml } from '/shared/app.js';

const ask = document.getElementById('ask');
const verify = document.getElementById('verify');
const panel = document.getElementById('member');
const SESSION = 'points-session';
let phone = '';

function show(el, text) { el.textContent = text || ''; el.hidden = !text; }

function fieldErrors(form, fields = {}) {
  for (const el of form.querySelectorAll('[data-error-for]')) show(el, fields[el.dataset.errorFor]);
}

function problem(err, form, box) {
  if (err instanceof ApiError && err.status === 422) { fieldErrors(form, err.fields); show(box, ''); }
  else { fieldErrors(form); show(box, err.message); }
}

async function askCode(event) {
  event?.preventDefault();
  const button = ask.querySelector('button');
  button.disabled = true;
  try {
    const answer = await api('/api/points/code', { method: 'POST', body: { phone: ask.phone.value } });
    phone = ask.phone.value;
    fieldErrors(ask); show(document.getElementById('ask-error'), '');
    document.getElementById('sent').textContent = answer.message;
    ask.hidden = true;
    verify.hidden = false;
    verify.code.focus();
  } catch (err) {
    problem(err, ask, document.getElementById('ask-error'));
  } finally {
    button.disabled = false;
  }
}

function memberHtml(m) {
  const rewards = m.rewards.map((r) => `<li class="${r.claimable ? '' : 'locked'}"><span>${escapeHtml(r.name)}</span>
    <span>${r.claimable ? '<strong>ready: ask at the counter</strong>' : `${r.needed} more points`}</span></li>`).join('');
  const visits = m.visits.map((v) => `<tr><td>${escapeHtml(new Date(`${v.day}T12:00:00Z`).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }))}</td>
    <td>${v.held ? 'waiting for a look' : `+${v.points} points`}</td></tr>`).join('');
  const d = m.details;
  const address = d.email ? `${escapeHtml(d.email)} ${d.email_confirmed ? '' : '<span class="muted">(not confirmed yet)</span>'}` : '<span class="muted">none</span>';
  return `
    <section class="card">
      <p class="muted">${escapeHtml(m.name)} · <span id="my-phone">${escapeHtml(m.phone)}</span></p>
      <p class="balance" id="balance">${m.balance}</p><p class="muted">points${m.tier ? ` · <span id="tier">${escapeHtml(m.tier)}</span> level` : ''}</p>
      ${m.next_reward ? `<p id="next">${m.next_reward.needed} more points for ${escapeHtml(m.next_reward.name)}.</p>` : ''}
      <ul class="rewards" id="rewards">${rewards}</ul>
    </section>
    <section class="card"><h2>Last visits</h2>
      ${visits ? `<table id="visits"><tbody>${visits}</tbody></table>` : '<p class="muted">No visits yet.</p>'}</section>
    <form class="card" id="details" novalidate>
      <h2>My details</h2>
      <p class="muted">E-mail: ${address}${d.pending_email ? `<br>Waiting for you to confirm <strong>${escapeHtml(d.pending_email)}</strong>: open the link we mailed it.` : ''}</p>
      <label for="d-name">First name</label><input id="d-name" name="name" value="${escapeHtml(m.name)}" autocomplete="given-name">
      <p class="field-error" data-error-for="name" hidden></p>
      <label for="d-email">New e-mail address</label><input id="d-email" name="email" type="email" autocomplete="email">
      <p class="field-error" data-error-for="email" hidden></p>
      <label class="check"><input id="d-texts" name="texts" type="checkbox" ${d.texts ? 'checked' : ''}> Text me when I earn a reward</label>
      <p class="muted">To change your phone number, ask at the counter.</p>
      <p id="details-message" role="status"></p>
      <button type="submit">Save</button>
    </form>`;
}

function render(answer) {
  sessionStorage.setItem(SESSION, answer.token || sessionStorage.getItem(SESSION) || '');
  ask.hidden = true; verify.hidden = true;
  panel.innerHTML = memberHtml(answer.member);
  panel.hidden = false;
  const form = panel.querySelector('#details');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    // form.elements: `form.name` would be the form's own name attribute.
    const body = { token: sessionStorage.getItem(SESSION), texts: form.elements.texts.checked };
    if (form.elements.name.value.trim()) body.name = form.elements.name.value;  // members who joined at the till have none
    if (form.elements.email.value) body.email = form.elements.email.value;
    button.disabled = true;
    try {
      const saved = await api('/api/points/details', { method: 'POST', body });
      render(saved);
      const message = panel.querySelector('#details-message');
      message.textContent = saved.member.details.pending_email ? 'Saved. Open the link we mailed to your new address to confirm it.' : 'Saved.';
      message.className = 'ok';
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return ended(err.message);
      if (err instanceof ApiError && err.status === 422) fieldErrors(form, err.fields);
      else { const message = panel.querySelector('#details-message'); message.textContent = err.message; message.className = 'error'; }
      button.disabled = false;
    }
  });
}

function ended(message) {
  sessionStorage.removeItem(SESSION);
  panel.hidden = true;
  verify.hidden = true;
  ask.hidden = false;
  show(document.getElementById('page-error'), message);
}

verify.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = verify.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    render(await api('/api/points/verify', { method: 'POST', body: { phone, code: verify.code.value.trim() } }));
  } catch (err) {
    problem(err, verify, document.getElementById('verify-error'));
  } finally {
    button.disabled = false;
  }
});
ask.addEventListener('submit', askCode);
document.getElementById('again').addEventListener('click', () => { verify.hidden = true; ask.hidden = false; verify.code.value = ''; });

async function start() {
  const linkToken = new URLSearchParams(window.location.hash.slice(1)).get('t');
  if (linkToken) {
    history.replaceState(null, '', window.location.pathname);  // the token leaves the address bar and the history
    try { render(await api('/api/points/link', { method: 'POST', body: { token: linkToken } })); } catch (err) { ended(err.message); }
    return;
  }
  const token = sessionStorage.getItem(SESSION);
  if (!token) return;
  try { render(await api('/api/points/me', { method: 'POST', body: { token } })); } catch { sessionStorage.removeItem(SESSION); }
}
start();

// The owner's staff page: everyone with an account and their roles; add people, change roles,
// disable and re-enable accounts, see who is signed in and end a session. Owners only: anyone
// else gets the API's 403 message (requireStaff shows it).
import { api, ApiError, escapeHtml, requireStaff } from '/shared/app.js';

const root = document.getElementById('app');
let notice = ''; // what the last change did, shown once the page has reloaded the list

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

// "Safari on iPhone": enough to tell one's phone from one's laptop (the full text is its title).
// Order matters: an iPhone's agent also says "Mac OS X", Chrome's says "Safari", Android's "Linux".
const BROWSERS = [[/Edg\//, 'Edge'], [/OPR\//, 'Opera'], [/Firefox\/|FxiOS/, 'Firefox'], [/Chrome\/|CriOS/, 'Chrome'], [/Safari\//, 'Safari']];
const SYSTEMS = [[/iPhone/, 'iPhone'], [/iPad/, 'iPad'], [/Android/, 'Android'], [/Windows/, 'Windows'], [/CrOS/, 'ChromeOS'],
  [/Macintosh|Mac OS X/, 'Mac'], [/Linux/, 'Linux']];

function browser(agent) {
  const pick = (table) => (table.find(([pattern]) => pattern.test(agent || '')) || [])[1];
  const name = pick(BROWSERS);
  const system = pick(SYSTEMS);
  if (name && system) return `${name} on ${system}`;
  return name || system || 'an unknown browser';
}

function state(account) {
  if (!account.enabled) return { key: 'disabled', text: 'Disabled' };
  if (account.invited) return { key: 'invited', text: 'Invited: has not chosen a password yet' };
  return { key: 'active', text: 'Active' };
}

function roleBoxes(roles, chosen, name, locked = '') {
  return roles.map((role) => {
    const lock = role === locked ? ' disabled title="You cannot take away your own owner role: ask another owner."' : '';
    return `<label><input type="checkbox" name="${name}" value="${escapeHtml(role)}"${chosen.includes(role) ? ' checked' : ''}${lock}> ${escapeHtml(role)}</label>`;
  }).join('');
}

function checkedRoles(container, name) {
  return [...container.querySelectorAll(`input[name="${name}"]`)].filter((box) => box.checked).map((box) => box.value);
}

function personCard(account, data) {
  const me = account.id === data.me;
  const shown = state(account);
  const signedIn = data.sessions.filter((s) => s.user_id === account.id).length;
  const toggle = me ? ''
    : account.enabled ? '<button type="button" class="staff-danger" data-ask="disable">Disable</button>'
      : '<button type="button" data-ask="enable">Re-enable</button>';
  return `
    <li class="card staff-person" data-id="${escapeHtml(account.id)}" data-email="${escapeHtml(account.email)}" data-state="${shown.key}">
      <div class="staff-head">
        <strong data-name>${escapeHtml(account.name)}</strong>${me ? ' <small class="muted">(you)</small>' : ''}
        <span class="staff-state staff-state-${shown.key}" data-state-text>${escapeHtml(shown.text)}</span>
      </div>
      <div class="muted staff-email">${escapeHtml(account.email)}</div>
      <small class="muted">Added ${when(account.created_at)}${signedIn ? ` · signed in on ${signedIn} browser${signedIn > 1 ? 's' : ''}` : ''}</small>
      <fieldset class="checks staff-roles">
        <legend>Roles</legend>
        ${roleBoxes(data.roles, account.roles, `roles-${escapeHtml(account.id)}`, me ? 'owner' : '')}
      </fieldset>
      <div class="staff-actions">
        <button type="button" data-save-roles disabled>Save roles</button>
        ${account.invited && account.enabled ? '<button type="button" data-invite>Send a new invitation</button>' : ''}
        ${toggle}
      </div>
      <div class="staff-confirm" data-confirm hidden></div>
      <p class="error" role="alert" hidden></p>
    </li>`;
}

function sessionRow(session) {
  const end = session.current ? '<span class="staff-state staff-state-active">This browser</span>'
    : '<button type="button" data-end-session>End session</button>';
  return `
    <li class="staff-session" data-account="${escapeHtml(session.user_id)}" data-session="${escapeHtml(session.session_id)}">
      <div><strong>${escapeHtml(session.name)}</strong> <span class="muted">${escapeHtml(session.email)}</span></div>
      <div class="muted">Since ${when(session.created_at)} · <span title="${escapeHtml(session.agent)}">${escapeHtml(browser(session.agent))}</span>${session.address ? ` · ${escapeHtml(session.address)}` : ''}</div>
      ${end}
      <p class="error" role="alert" hidden></p>
    </li>`;
}

function render(data) {
  const said = notice;
  notice = '';
  root.innerHTML = `
    <section class="card">
      <h1>Staff</h1>
      <p class="muted">Everyone who may sign in to the business's pages, and what each may do. The owner role may do
        everything; a change of roles signs that person out, so the new roles hold from their next sign-in.</p>
      ${said ? `<p class="staff-notice" role="status" data-notice>${escapeHtml(said)}</p>` : ''}
    </section>
    <form class="card" id="add-staff" novalidate>
      <h2>Add staff</h2>
      <label for="new-name">Name</label>
      <input id="new-name" name="name" autocomplete="off" maxlength="80" required>
      <label for="new-email">E-mail</label>
      <input id="new-email" name="email" type="email" autocomplete="off" required>
      <fieldset class="checks staff-roles"><legend>Roles</legend>${roleBoxes(data.roles, [], 'new-roles')}</fieldset>
      <p class="muted">Cognito mails them a temporary password; they choose their own when they first sign in.</p>
      <p class="error" role="alert" hidden></p>
      <button type="submit">Add staff</button>
    </form>
    <h2>People</h2>
    <ul class="staff-list" id="people">${data.staff.map((a) => personCard(a, data)).join('')}</ul>
    <section class="card" id="signed-in">
      <h2>Signed in now</h2>
      ${data.sessions.length ? `<ul class="staff-list">${data.sessions.map(sessionRow).join('')}</ul>` : '<p class="muted">Nobody.</p>'}
    </section>`;
  wireAdd(root.querySelector('#add-staff'));
  root.querySelectorAll('.staff-person').forEach((card) => wirePerson(card, data));
  root.querySelectorAll('[data-end-session]').forEach((button) => wireEndSession(button));
}

async function load() {
  render(await api('/api/staff'));
}

// One request at a time per button: it stays disabled while the request runs, so a double click
// does one thing. Success reloads the list with `done(result)` as the notice; a failure shows the
// API's message next to the button; an ended session goes back to the sign-in form.
async function act(button, error, request, done) {
  if (button.disabled) return;
  button.disabled = true;
  error.hidden = true;
  let result;
  try {
    result = await request();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      start();
      return;
    }
    error.textContent = err.message;
    error.hidden = false;
    button.disabled = false;
    return;
  }
  notice = done(result);
  try {
    await load();
  } catch (err) {
    root.insertAdjacentHTML('afterbegin', `<p class="card error" role="alert">${escapeHtml(err.message)}</p>`);
  }
}

function wireAdd(form) {
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const { name, email } = form.elements;
    const body = { name: name.value, email: email.value.trim(), roles: checkedRoles(form, 'new-roles') };
    act(button, form.querySelector('.error'), () => api('/api/staff', { method: 'POST', body }),
      ({ account }) => `Added ${account.name} (${account.email}). Cognito has mailed them a temporary password; `
        + 'they choose their own when they first sign in.');
  });
}

function wirePerson(card, data) {
  const id = card.dataset.id;
  const account = data.staff.find((a) => a.id === id);
  const error = card.querySelector('.error');
  const save = card.querySelector('[data-save-roles]');
  const name = `roles-${id}`;
  const changed = () => checkedRoles(card, name).sort().join() !== [...account.roles].sort().join();
  card.querySelectorAll(`input[name="${name}"]`).forEach((box) => box.addEventListener('change', () => { save.disabled = !changed(); }));
  save.addEventListener('click', () => {
    const roles = checkedRoles(card, name);
    act(save, error, () => api(`/api/staff/${encodeURIComponent(id)}/roles`, { method: 'PUT', body: { roles } }),
      ({ account: saved }) => (saved.id === data.me ? `Your roles are now: ${saved.roles.join(', ')}.`
        : `${saved.name}'s roles are now: ${saved.roles.join(', ')}. They were signed out; the new roles hold from their next sign-in.`));
  });
  const invite = card.querySelector('[data-invite]');
  if (invite) {
    invite.addEventListener('click', () => act(invite, error,
      () => api(`/api/staff/${encodeURIComponent(id)}/invite`, { method: 'POST' }), (sent) => sent.message));
  }
  const ask = card.querySelector('[data-ask]');
  if (!ask) return;
  const confirm = card.querySelector('[data-confirm]');
  const disabling = ask.dataset.ask === 'disable';
  ask.addEventListener('click', () => {
    confirm.innerHTML = disabling
      ? `<p>Disable ${escapeHtml(account.name)}? They are signed out everywhere at once and cannot sign in until re-enabled.</p>
         <button type="button" class="staff-danger" data-yes>Yes, disable</button> <button type="button" class="staff-quiet" data-no>Cancel</button>`
      : `<p>Re-enable ${escapeHtml(account.name)}? They can sign in again with their password.</p>
         <button type="button" data-yes>Yes, re-enable</button> <button type="button" class="staff-quiet" data-no>Cancel</button>`;
    confirm.hidden = false;
    ask.hidden = true;
    const yes = confirm.querySelector('[data-yes]');
    yes.addEventListener('click', () => act(yes, error, () => api(`/api/staff/${encodeURIComponent(id)}/${ask.dataset.ask}`, { method: 'POST' }),
      ({ account: done }) => (disabling ? `${done.name} is disabled and signed out everywhere.` : `${done.name} can sign in again.`)));
    confirm.querySelector('[data-no]').addEventListener('click', () => {
      confirm.hidden = true;
      confirm.innerHTML = '';
      ask.hidden = false;
    });
  });
}

function wireEndSession(button) {
  const row = button.closest('[data-session]');
  const who = row.querySelector('strong').textContent;
  button.addEventListener('click', () => act(button, row.querySelector('.error'),
    () => api(`/api/staff/${encodeURIComponent(row.dataset.account)}/sessions/${encodeURIComponent(row.dataset.session)}`,
      { method: 'DELETE' }),
    () => `${who}'s session has ended; they must sign in again on that browser.`));
}

// 401 and 403 are requireStaff's to answer (the sign-in form, the API's "owners only" message).
function start() {
  return requireStaff(root, () => load().catch((err) => {
    if (err instanceof ApiError && [401, 403].includes(err.status)) throw err;
    root.innerHTML = `<p class="card error" role="alert">${escapeHtml(err.message)}</p>`;
  }));
}

start();

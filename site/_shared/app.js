// Shared by the pages of every site: the site's config, its APIs, and staff sign-in.
// The session is an HttpOnly cookie; this code only learns who is signed in (GET /api/session).

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.code = body && body.error;
    this.fields = (body && body.fields) || {};
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Who is signed in ({ id, name, email, roles }), or null.
export async function currentStaff() {
  const state = await api('/api/session');
  return state && state.signed_in ? state : null;
}

export async function signedIn() {
  return Boolean(await currentStaff());
}

export function siteConfig() {
  return fetch('/site.json', { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}));
}

// Shows the sign-in form in `root` until someone signs in, then calls `onReady`. The form also
// takes a first sign-in (a new password in place of the mailed one) and a forgotten password (a
// code by mail). Once signed in, the page header names the person and offers to sign out; an API
// that refuses them (403) or a session that has ended (401) is handled here, not by each page.
export async function requireStaff(root, onReady) {
  const staff = await currentStaff();
  if (!staff) return signInForm(root, onReady);
  showWho(root, staff);
  return run(root, onReady);
}

export async function signOut() {
  await api('/api/session', { method: 'DELETE' });
  window.location.reload();
}

async function run(root, onReady) {
  try {
    return await onReady();
  } catch (err) {
    if (!(err instanceof ApiError) || ![401, 403].includes(err.status)) throw err;
    if (err.status === 401) return signInForm(root, onReady, { notice: 'Your session has ended: sign in again.' });
    root.innerHTML = `<p class="card error" role="alert">${escapeHtml(err.message)}</p>`;
  }
}

function signedInAs(root, onReady, staff) {
  root.innerHTML = '';
  showWho(root, staff);
  return run(root, onReady);
}

// The signed-in person's name and a "Sign out" button, in the page's header bar (next to the
// page's own sign-out button, `#sign-out`, where it has one).
function showWho(root, staff) {
  document.querySelector('.staff-who')?.remove();
  const who = document.createElement('span');
  who.className = 'staff-who';
  who.style.marginLeft = 'auto'; // to the header's far end
  who.innerHTML = `<span data-staff-name>${escapeHtml(staff.name)}</span>`;
  const own = document.getElementById('sign-out');
  if (own) return own.before(who);
  who.insertAdjacentHTML('beforeend', `<button type="button" data-sign-out style="margin: 0 0 0 .75rem">Sign out</button>`);
  const header = document.querySelector('header');
  if (header) header.append(who); else root.before(who);
  const button = who.querySelector('[data-sign-out]');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await signOut();
    } catch (err) {
      button.disabled = false;
      button.title = err.message;
    }
  });
}

// Runs `action` on submit: one request at a time (its buttons disabled meanwhile), and what
// went wrong, in the API's words, shown in the form.
function onSubmit(form, action) {
  const error = form.querySelector('.error');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    if (buttons.some((b) => b.disabled)) return;
    error.hidden = true;
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await action();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

// A secondary action ("Forgot password?") looks like a link on every site's style sheet; it is a
// button because it changes the form, not the address (some pages route on the address's #).
const QUIET = 'style="background: none; border: 0; padding: 0; margin: .75rem 0 0 1rem; color: inherit; text-decoration: underline"';

function samePasswords(first, second) {
  if (!first) throw new Error('Enter a new password.');
  if (first !== second) throw new Error('The two new passwords are not the same: type them again.');
}

function card(title, fields, submit, extra = '', notice = '') {
  return `
    <form class="card sign-in" novalidate>
      <h2>${title}</h2>
      ${notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''}
      ${fields}
      <p class="error" role="alert" hidden></p>
      <button type="submit">${submit}</button>
      ${extra}
    </form>`;
}

function signInForm(root, onReady, { email = '', notice = '' } = {}) {
  document.querySelector('.staff-who')?.remove(); // nobody is signed in (any more)
  root.innerHTML = card('Staff sign-in', `
      <label for="staff-email">E-mail</label>
      <input id="staff-email" name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}">
      <label for="staff-password">Password</label>
      <input id="staff-password" name="password" type="password" autocomplete="current-password" required>`,
  'Sign in', `<button type="button" data-forgot ${QUIET}>Forgot password?</button>`, notice);
  const form = root.querySelector('form');
  onSubmit(form, async () => {
    const body = { email: form.email.value.trim(), password: form.password.value };
    try {
      signedInAs(root, onReady, await api('/api/session', { method: 'POST', body }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'new_password_required') return newPasswordForm(root, onReady, body, err.message);
      throw err;
    }
  });
  form.querySelector('[data-forgot]').addEventListener('click', () => forgotForm(root, onReady, form.email.value.trim()));
}

// First sign-in with the mailed temporary password: the person chooses their own.
function newPasswordForm(root, onReady, { email, password }, message) {
  root.innerHTML = card('Choose your password', `
      <p>${escapeHtml(message)}</p>
      <input name="email" type="email" autocomplete="username" value="${escapeHtml(email)}" hidden readonly>
      <label for="staff-new-password">New password</label>
      <input id="staff-new-password" name="new_password" type="password" autocomplete="new-password" required>
      <label for="staff-new-password-again">New password again</label>
      <input id="staff-new-password-again" name="again" type="password" autocomplete="new-password" required>`,
  'Set password and sign in');
  const form = root.querySelector('form');
  onSubmit(form, async () => {
    samePasswords(form.new_password.value, form.again.value);
    const body = { email, password, new_password: form.new_password.value };
    signedInAs(root, onReady, await api('/api/session', { method: 'POST', body }));
  });
}

function forgotForm(root, onReady, email) {
  root.innerHTML = card('Forgotten password', `
      <p class="muted">We mail a code to your address; with it you choose a new password.</p>
      <label for="reset-email">E-mail</label>
      <input id="reset-email" name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}">`,
  'Mail me a code', `<button type="button" data-back ${QUIET}>Back to sign-in</button>`);
  const form = root.querySelector('form');
  onSubmit(form, async () => {
    const address = form.email.value.trim();
    const sent = await api('/api/session/reset', { method: 'POST', body: { email: address } });
    resetForm(root, onReady, address, sent.message);
  });
  form.querySelector('[data-back]').addEventListener('click', () => signInForm(root, onReady, { email: form.email.value.trim() }));
}

function resetForm(root, onReady, email, message) {
  root.innerHTML = card('Choose a new password', `
      <input name="email" type="email" autocomplete="username" value="${escapeHtml(email)}" hidden readonly>
      <label for="reset-code">Code from the mail</label>
      <input id="reset-code" name="code" autocomplete="one-time-code" inputmode="numeric" required>
      <label for="reset-password">New password</label>
      <input id="reset-password" name="new_password" type="password" autocomplete="new-password" required>
      <label for="reset-password-again">New password again</label>
      <input id="reset-password-again" name="again" type="password" autocomplete="new-password" required>`,
  'Set new password', `<button type="button" data-back ${QUIET}>Back to sign-in</button>`, message);
  const form = root.querySelector('form');
  onSubmit(form, async () => {
    samePasswords(form.new_password.value, form.again.value);
    const body = { email, code: form.code.value.trim(), new_password: form.new_password.value };
    const changed = await api('/api/session/reset/confirm', { method: 'POST', body });
    signInForm(root, onReady, { email, notice: changed.message });
  });
  form.querySelector('[data-back]').addEventListener('click', () => signInForm(root, onReady, { email }));
}

// A time as the business reads it: in its time zone (the API says which), with the day when it is
// not today there ("14:02", "Nov 20, 14:02").
export function localTime(iso, timeZone) {
  if (!iso) return '';
  const at = new Date(iso);
  const day = (d) => d.toLocaleDateString('en-CA', { timeZone });
  const time = at.toLocaleTimeString([], { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return day(at) === day(new Date()) ? time : `${at.toLocaleDateString([], { timeZone, month: 'short', day: 'numeric' })}, ${time}`;
}

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

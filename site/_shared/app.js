// Shared by the pages of every site: the site's config, its APIs, and staff sign-in.
// The session is an HttpOnly cookie; this code only ever learns whether it is signed in.

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

export async function signedIn() {
  const state = await api('/api/session');
  return Boolean(state && state.signed_in);
}

export function siteConfig() {
  return fetch('/site.json', { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}));
}

// Shows the sign-in form in `root` until the passcode is accepted, then calls `onReady`.
export async function requireStaff(root, onReady) {
  if (await signedIn()) return onReady();
  root.innerHTML = `
    <form class="card sign-in" novalidate>
      <h2>Staff sign-in</h2>
      <label for="passcode">Passcode</label>
      <input id="passcode" name="passcode" type="password" autocomplete="current-password" required>
      <p class="error" role="alert" hidden></p>
      <button type="submit">Sign in</button>
    </form>`;
  const form = root.querySelector('form');
  const error = form.querySelector('.error');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await api('/api/session', { method: 'POST', body: { passcode: form.passcode.value } });
      root.innerHTML = '';
      onReady();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
}

export async function signOut() {
  await api('/api/session', { method: 'DELETE' });
  window.location.reload();
}

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

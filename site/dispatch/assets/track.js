// A tracking link: the token is in the address; the status comes from /api/track/{token}
// (never cached), and the page asks again every 10 seconds while it is open.
import { api, ApiError, escapeHtml } from '/shared/app.js';

const root = document.getElementById('tracking');
const token = decodeURIComponent(window.location.pathname.split('/')[2] || '');
const REFRESH_MS = 10000;

function render(view) {
  const steps = view.steps.map((s) => `<li class="${s.state}" data-status="${escapeHtml(s.status)}">${escapeHtml(s.label)}</li>`).join('');
  root.innerHTML = `
    <p class="muted">Your pickup on ${escapeHtml(view.date)} (${escapeHtml(view.window)})</p>
    <h1 class="status-big" id="status" data-status="${escapeHtml(view.status)}">${escapeHtml(view.label)}</h1>
    <p>${escapeHtml(view.meaning)}</p>
    <ol class="steps">${steps}</ol>
    <p class="muted">Last update ${escapeHtml(new Date(view.updated_at).toLocaleString())}. This page updates itself.</p>`;
}

function notFound() {
  root.innerHTML = `
    <h1 class="status-big">We could not find that pickup</h1>
    <p>Check the link in your confirmation, or call us and we will look it up.</p>`;
}

async function refresh() {
  if (!token) return notFound();
  try {
    render(await api(`/api/track/${encodeURIComponent(token)}`));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) notFound();
  }
}

await refresh();
setInterval(() => { if (document.visibilityState === 'visible') refresh(); }, REFRESH_MS);
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') refresh(); });

// The confirmation link carries its token in the fragment, which never reaches a server log.
import { api } from '/shared/app.js';

const result = document.getElementById('result');
const token = new URLSearchParams(window.location.hash.slice(1)).get('t') || '';
try {
  await api('/api/confirm', { method: 'POST', body: { token } });
  result.innerHTML = '<h1 id="outcome">Your e-mail is confirmed</h1><p>Your points and the odd treat will come to it. Every mail has a one-click way out.</p>';
} catch (err) {
  result.innerHTML = '<h1 id="outcome">We could not confirm that</h1>';
  result.append(Object.assign(document.createElement('p'), { textContent: err.message }));
}

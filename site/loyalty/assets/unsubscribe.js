import { api } from '/shared/app.js';

const result = document.getElementById('result');
const token = new URLSearchParams(window.location.hash.slice(1)).get('t') || '';
document.getElementById('unsubscribe').addEventListener('click', async () => {
  try {
    await api('/api/unsubscribe', { method: 'POST', body: { token } });
    result.innerHTML = '<h1 id="outcome">You are unsubscribed</h1><p>No more offers or balance mails. Your points stay yours.</p>';
  } catch (err) {
    result.innerHTML = '<h1 id="outcome">That did not work</h1>';
    result.append(Object.assign(document.createElement('p'), { textContent: err.message }));
  }
});

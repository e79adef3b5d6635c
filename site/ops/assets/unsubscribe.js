import { api } from '/shared/app.js';

const result = document.getElementById('result');
const token = new URLSearchParams(window.location.hash.slice(1)).get('t') || '';
const button = document.getElementById('unsubscribe');
button.addEventListener('click', async () => {
  button.disabled = true;
  try {
    const answer = await api('/api/unsubscribe', { method: 'POST', body: { token } });
    const from = answer.from ? ` from ${answer.from}` : '';
    result.replaceChildren(
      Object.assign(document.createElement('h1'), { id: 'outcome', textContent: 'You are unsubscribed' }),
      Object.assign(document.createElement('p'), { textContent: `No more offers or news${from}. Mail about something you booked or bought still reaches you.` }),
    );
  } catch (err) {
    button.disabled = false;
    result.replaceChildren(
      Object.assign(document.createElement('h1'), { id: 'outcome', textContent: 'That did not work' }),
      Object.assign(document.createElement('p'), { textContent: err.message }),
    );
  }
});

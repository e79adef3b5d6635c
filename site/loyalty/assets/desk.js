// The redeem desk: look a member up by phone, redeem a claimable reward, reverse a mistake.
import { api, ApiError, escapeHtml, localTime, requireStaff } from '/shared/app.js';

const root = document.getElementById('app');

// "redeemed by Ana, 14:02" (rows from before staff accounts name nobody: just the time).
function done(what, name, iso, timeZone) {
  return name ? `${what} by ${name}, ${localTime(iso, timeZone)}` : `${what} ${localTime(iso, timeZone)}`;
}

function memberHtml(m) {
  const rewards = m.rewards.map((r) => `
    <li class="${r.claimable ? '' : 'locked'}" data-reward="${escapeHtml(r.id)}">
      <span>${escapeHtml(r.name)} <small class="muted">${r.cost} pts</small></span>
      ${r.claimable ? `<button type="button" data-redeem="${escapeHtml(r.id)}">Redeem</button>` : '<span class="muted">not yet</span>'}
    </li>`).join('');
  const history = m.redemptions.map((r) => `
    <tr data-redemption="${escapeHtml(r.redemption_id)}"><td>${escapeHtml(r.reward)}</td><td>${r.points} pts</td>
      <td class="muted redeemed-by">${escapeHtml(done('redeemed', r.by_name, r.at, m.time_zone))}</td>
      <td>${r.reversed ? `<span class="reversed-by">${escapeHtml(done('reversed', r.reversed_by_name, r.reversed_at, m.time_zone))}</span>`
    : `<button type="button" class="quiet" data-reverse="${escapeHtml(r.redemption_id)}">Reverse</button>`}</td></tr>`).join('');
  return `
    <section class="card">
      <p class="muted">${escapeHtml(m.name || '')} · <span id="member-phone">${escapeHtml(m.phone)}</span> · ${m.visits} visits</p>
      <p class="balance" id="balance">${m.balance}</p><p class="muted">points</p>
      <ul class="rewards">${rewards}</ul>
      <p id="desk-message" role="status"></p>
    </section>
    ${history ? `<section class="card"><h2>Recent redemptions</h2><table><tbody>${history}</tbody></table></section>` : ''}`;
}

// The member is looked up with a POST: a phone number in a URL would land in access logs.
async function show(phone) {
  const panel = root.querySelector('#member');
  const message = (text, kind = 'ok') => {
    const el = panel.querySelector('#desk-message');
    if (el) { el.textContent = text; el.className = kind; }
  };
  let member;
  try {
    member = await api('/api/members/lookup', { method: 'POST', body: { phone } });
    panel.innerHTML = memberHtml(member);
  } catch (err) {
    panel.innerHTML = `<p class="error" id="lookup-error">${escapeHtml(err.message)}</p>`;
    return;
  }
  for (const button of panel.querySelectorAll('[data-redeem]')) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const redeemed = await api('/api/redeem', { method: 'POST', body: { phone: member.member_id, reward_id: button.dataset.redeem, request_id: crypto.randomUUID().replaceAll('-', '') } });
        await show(member.member_id);
        message(`${done('Redeemed', redeemed.by_name, redeemed.at, redeemed.time_zone)}. New balance ${redeemed.balance}.`);
      } catch (err) {
        message(err.message, 'error');
        button.disabled = false;
      }
    });
  }
  for (const button of panel.querySelectorAll('[data-reverse]')) {
    button.addEventListener('click', async () => {
      const reason = window.prompt('Why is this reversed?');
      if (!reason) return;
      try {
        const reversed = await api(`/api/redemptions/${encodeURIComponent(button.dataset.reverse)}/reverse`, { method: 'POST', body: { reason } });
        await show(member.member_id);
        message(`${done('Reversed', reversed.by_name, reversed.at, reversed.time_zone)}: the points are back.`);
      } catch (err) {
        message(err instanceof ApiError ? err.message : 'That did not work.', 'error');
      }
    });
  }
}

requireStaff(root, () => {
  root.innerHTML = `
    <form class="card" id="lookup"><label for="phone">Member's phone</label>
      <input id="phone" name="phone" type="tel" autocomplete="off" required><button type="submit">Look up</button></form>
    <div id="member"></div>`;
  root.querySelector('#lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    show(root.querySelector('#phone').value);  // read on the server, in the shop's country
  });
});

// The desk: look a member up by phone, redeem a claimable reward, reverse a mistake; review held
// sales; enrol a customer; correct a member's details; (the owner) adjust points. Every button
// is disabled while it saves and sends a request id made once per press, so a double-click does one thing.
import { api, ApiError, currentStaff, escapeHtml, localTime, requireStaff } from '/shared/app.js';

const root = document.getElementById('app');
const requestId = () => crypto.randomUUID().replaceAll('-', '');
let isOwner = false;

// "redeemed by Ana, 14:02" (rows from before staff accounts name nobody: just the time).
function done(what, name, iso, timeZone) {
  return name ? `${what} by ${name}, ${localTime(iso, timeZone)}` : `${what} ${localTime(iso, timeZone)}`;
}

function say(el, text, kind = 'ok') { el.textContent = text; el.className = kind; }

function fieldErrors(form, fields = {}) {
  for (const el of form.querySelectorAll('[data-error-for]')) { el.textContent = fields[el.dataset.errorFor] || ''; el.hidden = !fields[el.dataset.errorFor]; }
}

// Runs `action` with `button` disabled; a 422 goes next to its fields, anything else to `message`.
async function saving(button, form, message, action) {
  button.disabled = true;
  try {
    if (form) fieldErrors(form);
    return await action();
  } catch (err) {
    if (form && err instanceof ApiError && err.status === 422) fieldErrors(form, err.fields);
    else say(message, err.message, 'error');
    return undefined;
  } finally {
    button.disabled = false;
  }
}

function memberHtml(m) {
  const rewards = m.rewards.map((r) => `
    <li class="${r.claimable ? '' : 'locked'}" data-reward="${escapeHtml(r.id)}">
      <span>${escapeHtml(r.name)} <small class="muted">${r.cost} pts</small></span>
      ${r.claimable ? `<button type="button" data-redeem="${escapeHtml(r.id)}">Redeem</button>` : '<span class="muted">not yet</span>'}
    </li>`).join('');
  const redemptions = m.redemptions.map((r) => `
    <tr data-redemption="${escapeHtml(r.redemption_id)}"><td>${escapeHtml(r.reward)}</td><td>${r.points} pts</td>
      <td class="muted redeemed-by">${escapeHtml(done('redeemed', r.by_name, r.at, m.time_zone))}</td>
      <td>${r.reversed ? `<span class="reversed-by">${escapeHtml(done('reversed', r.reversed_by_name, r.reversed_at, m.time_zone))}</span>`
    : `<button type="button" class="quiet" data-reverse="${escapeHtml(r.redemption_id)}">Reverse</button>`}</td></tr>`).join('');
  const history = m.history.map((h) => `<li><span>${escapeHtml(h.what)}, ${escapeHtml(localTime(h.at, m.time_zone))}</span>
    <span class="muted">${h.points ? `${h.points > 0 ? '+' : ''}${h.points}` : ''}</span></li>`).join('');
  const email = m.email ? `${escapeHtml(m.email)}${m.email_confirmed ? '' : ' (not confirmed)'}` : 'none';
  return `
    <section class="card">
      <p class="muted">${escapeHtml(m.name || '')} · <span id="member-phone">${escapeHtml(m.phone)}</span> · ${m.visits} visits</p>
      <p class="balance" id="balance">${m.balance}</p><p class="muted">points</p>
      <ul class="rewards">${rewards}</ul>
      <p id="desk-message" role="status"></p>
    </section>
    ${redemptions ? `<section class="card"><h2>Recent redemptions</h2><div class="scroll"><table><tbody>${redemptions}</tbody></table></div></section>` : ''}
    <section class="card"><h2>History</h2><ul class="history" id="history">${history}</ul></section>
    <form class="card" id="details" novalidate><h2>Details</h2>
      <p class="muted">E-mail: ${email}${m.pending_email ? ` · waiting for confirmation: ${escapeHtml(m.pending_email)}` : ''}</p>
      <label for="details-name">First name</label><input id="details-name" name="name" value="${escapeHtml(m.name || '')}">
      <p class="field-error" data-error-for="name" hidden></p>
      <label for="details-email">New e-mail (gets a confirmation link)</label><input id="details-email" name="email" type="email">
      <p class="field-error" data-error-for="email" hidden></p>
      <label class="check"><input name="texts" type="checkbox" ${m.texts ? 'checked' : ''}> Reward texts</label>
      <label for="details-new-phone">New phone number (moves the points to it)</label><input id="details-new-phone" name="new_phone" type="tel" autocomplete="off">
      <p class="field-error" data-error-for="new_phone" hidden></p>
      <label for="details-reason">Why the number changes</label><input id="details-reason" name="reason" autocomplete="off">
      <p class="field-error" data-error-for="reason" hidden></p>
      <p id="details-message" role="status"></p>
      <button type="submit">Save details</button></form>
    ${isOwner ? `<form class="card" id="adjust" novalidate><h2>Adjust points</h2>
      <label for="adjust-points">Points (a minus sign takes away)</label><input id="adjust-points" name="points" inputmode="numeric">
      <p class="field-error" data-error-for="points" hidden></p>
      <label for="adjust-reason">Reason</label><input id="adjust-reason" name="reason">
      <p class="field-error" data-error-for="reason" hidden></p>
      <p id="adjust-message" role="status"></p>
      <button type="submit">Adjust</button></form>` : ''}`;
}

// The member is looked up with a POST: a phone number in a URL would land in access logs.
async function show(phone) {
  const panel = root.querySelector('#member');
  let member;
  try {
    member = await api('/api/members/lookup', { method: 'POST', body: { phone } });
    panel.innerHTML = memberHtml(member);
  } catch (err) {
    panel.innerHTML = `<p class="error" id="lookup-error">${escapeHtml(err.message)}</p>`;
    return;
  }
  const message = panel.querySelector('#desk-message');
  for (const button of panel.querySelectorAll('[data-redeem]')) {
    const id = requestId();  // one per button as drawn: pressing it again is the same redemption
    button.addEventListener('click', () => saving(button, null, message, async () => {
      const redeemed = await api('/api/redeem', { method: 'POST', body: { phone: member.member_id, reward_id: button.dataset.redeem, request_id: id } });
      await show(member.member_id);
      say(root.querySelector('#desk-message'), `${done('Redeemed', redeemed.by_name, redeemed.at, redeemed.time_zone)}. New balance ${redeemed.balance}.`);
    }));
  }
  for (const button of panel.querySelectorAll('[data-reverse]')) {
    button.addEventListener('click', async () => {
      const reason = window.prompt('Why is this reversed?');
      if (!reason) return;
      await saving(button, null, message, async () => {
        const reversed = await api(`/api/redemptions/${encodeURIComponent(button.dataset.reverse)}/reverse`, { method: 'POST', body: { reason } });
        await show(member.member_id);
        say(root.querySelector('#desk-message'), `${done('Reversed', reversed.by_name, reversed.at, reversed.time_zone)}: the points are back.`);
      });
    });
  }
  const details = panel.querySelector('#details');
  details.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { phone: member.member_id, texts: details.elements.texts.checked };
    if (details.elements.name.value.trim()) body.name = details.elements.name.value;  // members who joined at the till have none
    if (details.elements.email.value) body.email = details.elements.email.value;
    if (details.elements.new_phone.value) {
      body.new_phone = details.elements.new_phone.value;
      body.reason = details.elements.reason.value;
      if (!window.confirm(`Move this membership and its ${member.balance} points to ${body.new_phone}?`)) return;
    }
    saving(details.querySelector('button'), details, details.querySelector('#details-message'), async () => {
      const saved = await api('/api/members/details', { method: 'POST', body });
      root.querySelector('#phone').value = saved.member_id;
      await show(saved.member_id);
      say(root.querySelector('#details-message'), saved.pending_email ? `Saved. ${saved.pending_email} gets a link to confirm it.` : 'Saved.');
    });
  });
  const adjust = panel.querySelector('#adjust');
  if (adjust) {
    let id = requestId();
    adjust.addEventListener('submit', (event) => {
      event.preventDefault();
      const points = Number(adjust.elements.points.value.replace(/\s+/g, ''));
      if (!Number.isInteger(points)) { fieldErrors(adjust, { points: 'Enter a whole number of points, like 20 or -20.' }); return; }
      saving(adjust.querySelector('button'), adjust, adjust.querySelector('#adjust-message'), async () => {
        const adjusted = await api('/api/members/adjust', { method: 'POST', body: { phone: member.member_id, points, reason: adjust.elements.reason.value, request_id: id } });
        id = requestId();
        await show(member.member_id);
        say(root.querySelector('#desk-message'), `${done('Adjusted', adjusted.by_name, adjusted.at, adjusted.time_zone)}. New balance ${adjusted.balance}.`);
      });
    });
  }
}

async function showHeld() {
  const box = root.querySelector('#held');
  const { held, time_zone: timeZone } = await api('/api/held');
  if (!held.length) { box.innerHTML = '<h2>Held sales</h2><p class="muted" id="no-held">No sales are waiting for review.</p>'; return; }
  box.innerHTML = `<h2>Held sales</h2><p id="held-message" role="status"></p><ul class="held">${held.map((s) => `
    <li data-held="${escapeHtml(s.sale_id)}"><div><strong>${escapeHtml(s.name || s.phone)}</strong> <span class="muted">${escapeHtml(s.phone)}</span><br>
      Sale ${escapeHtml(s.sale_id)}: $${escapeHtml(s.total)} → ${s.points} points<br><span class="muted">${escapeHtml(s.reason)} · held ${escapeHtml(localTime(s.held_at, timeZone))}</span></div>
      <div><button type="button" data-release>Release</button> <button type="button" class="quiet" data-reject>Reject</button></div></li>`).join('')}</ul>`;
  const message = box.querySelector('#held-message');
  box.querySelectorAll('[data-held]').forEach((row, i) => {
    const sale = { member_id: held[i].member_id, sale_id: held[i].sale_id };
    row.querySelector('[data-release]').addEventListener('click', (event) => saving(event.target, null, message, async () => {
      const released = await api('/api/held/release', { method: 'POST', body: sale });
      await showHeld();
      say(root.querySelector('#held-message') || root.querySelector('#no-held'), `${done(`Released: ${released.points} points`, released.by_name, released.at, released.time_zone)}.`);
    }));
    row.querySelector('[data-reject]').addEventListener('click', async (event) => {
      const reason = window.prompt('Why is this sale rejected?');
      if (!reason) return;
      await saving(event.target, null, message, async () => {
        const rejected = await api('/api/held/reject', { method: 'POST', body: { ...sale, reason } });
        await showHeld();
        say(root.querySelector('#held-message') || root.querySelector('#no-held'), `${done('Rejected', rejected.by_name, rejected.at, rejected.time_zone)}: no points.`);
      });
    });
  });
}

function enrolForm() {
  const form = root.querySelector('#enrol');
  let id = requestId();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { phone: form.elements.phone.value, name: form.elements.name.value, texts: form.elements.texts.checked,
      consent: form.elements.consent.checked, request_id: id };
    if (form.elements.email.value) body.email = form.elements.email.value;
    saving(form.querySelector('button'), form, form.querySelector('#enrol-message'), async () => {
      const enrolled = await api('/api/members/enrol', { method: 'POST', body });
      id = requestId();
      root.querySelector('#phone').value = form.elements.phone.value;  // the new member is the one looked up
      form.reset();
      say(form.querySelector('#enrol-message'), `${done('Enrolled', enrolled.by_name, enrolled.at, enrolled.time_zone)}.`);
      await show(enrolled.member_id);
    });
  });
}

requireStaff(root, async () => {
  isOwner = ((await currentStaff())?.roles || []).includes('owner');
  root.innerHTML = `
    <form class="card" id="lookup"><label for="phone">Member's phone</label>
      <input id="phone" name="phone" type="tel" autocomplete="off" required><button type="submit">Look up</button></form>
    <div id="member"></div>
    <section class="card" id="held"></section>
    <details class="card"><summary>Enrol a customer</summary>
      <form id="enrol" novalidate>
        <label for="enrol-phone">Mobile number</label><input id="enrol-phone" name="phone" type="tel" autocomplete="off">
        <p class="field-error" data-error-for="phone" hidden></p>
        <label for="enrol-name">First name</label><input id="enrol-name" name="name" autocomplete="off">
        <p class="field-error" data-error-for="name" hidden></p>
        <label for="enrol-email">E-mail (optional: gets a confirmation link)</label><input id="enrol-email" name="email" type="email" autocomplete="off">
        <p class="field-error" data-error-for="email" hidden></p>
        <label class="check"><input name="texts" type="checkbox"> Text them when they earn a reward</label>
        <label class="check"><input id="enrol-consent" name="consent" type="checkbox"> The customer agrees to join</label>
        <p class="field-error" data-error-for="consent" hidden></p>
        <p id="enrol-message" role="status"></p>
        <button type="submit">Enrol</button>
      </form></details>`;
  root.querySelector('#lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    show(root.querySelector('#phone').value);  // read on the server, in the shop's country
  });
  enrolForm();
  await showHeld();
});

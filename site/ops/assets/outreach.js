// Vendor outreach: render a batch, read the preview, approve it once to send.
import { api, ApiError, escapeHtml, localTime, requireStaff, siteConfig } from '/shared/app.js';

const root = document.getElementById('app');
let timeZone; // the business's, from the API: times here are shown in it
const config = await siteConfig();
const sender = (config.names && config.names.referrals) || config.business_name || '';

// "approved by Olive, 14:02" (batches from before staff accounts name nobody).
function approval(b) {
  if (!b.approved_at) return '';
  return b.approved_by ? `approved by ${b.approved_by.by_name}, ${localTime(b.approved_at, timeZone)}` : `approved ${localTime(b.approved_at, timeZone)}`;
}
// Where each field's problem is shown: next to the subject, the note, the vendor list.
const FIELDS = { subject: '#subject', note: '#note', vendor_codes: 'input[name=vendor]' };

// The API names each bad field with a sentence ("vendor_codes.0" is still the vendor list); what
// belongs to no field on the form goes in the form's own error line.
function showErrors(form, err) {
  const fields = err instanceof ApiError ? err.fields : {};
  const byField = {};
  const other = [];
  for (const [key, message] of Object.entries(fields)) {
    const name = key.split('.')[0];
    if (name in FIELDS) byField[name] = byField[name] || message;
    else other.push(message);
  }
  for (const [name, selector] of Object.entries(FIELDS)) {
    const line = form.querySelector(`[data-error-for="${name}"]`);
    line.textContent = byField[name] || '';
    line.hidden = !byField[name];
    for (const input of form.querySelectorAll(selector)) {
      if (byField[name]) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }
  const error = form.querySelector('#form-error');
  const shown = Object.keys(byField).length > 0;
  error.textContent = other.length ? other.join(' ') : shown ? '' : (err ? err.message : '');
  error.hidden = !error.textContent;
  const first = Object.keys(FIELDS).find((name) => byField[name]);
  if (first) form.querySelector(FIELDS[first]).focus();
}

// "held" waits for the end of quiet hours; "partly_sent": a mail failed or was not sent (see each mail).
const STATUS_WORDS = { held: 'held (quiet hours)', partly_sent: 'partly sent', pending_review: 'pending review' };
function statusWords(status) {
  return STATUS_WORDS[status] || status.replace('_', ' ');
}

// How many went, and what became of the others.
function counts(b) {
  return [`${b.sent_count} of ${b.mail_count} sent`, b.held_count ? `${b.held_count} held until quiet hours end` : '',
    b.suppressed_count ? `${b.suppressed_count} not sent` : '', b.failed_count ? `${b.failed_count} failed` : '']
    .filter(Boolean).join(', ');
}

// Each mail's state in the API's words ("held until 08:00 (quiet hours)", "not sent: the address bounced before").
function mailStates(mails) {
  return `<ul class="mail-states" id="mail-states">${mails.map((m) => `
    <li data-code="${escapeHtml(m.code)}"><span>${escapeHtml(m.vendor_name)}</span>
      <span class="state state-${escapeHtml(m.status)}">${escapeHtml(m.state)}</span></li>`).join('')}</ul>`;
}

function batchRow(b) {
  return `<tr data-batch="${escapeHtml(b.id)}">
    <td><a href="#${escapeHtml(b.id)}">${escapeHtml(b.created_at)}</a></td>
    <td>${escapeHtml(b.subject)}</td>
    <td><span class="status status-${escapeHtml(b.status)}">${escapeHtml(statusWords(b.status))}</span></td>
    <td class="muted approved-by">${escapeHtml(approval(b))}</td>
    <td class="num">${b.sent_count}/${b.mail_count}</td></tr>`;
}

// `problem`: what went wrong the last time this batch was acted on, shown under its button.
async function showBatch(id, problem = '') {
  const panel = root.querySelector('#batch');
  if (!id) { panel.innerHTML = ''; return; }
  let batch;
  let mails;
  try {
    ({ batch, mails, time_zone: timeZone } = await api(`/api/referrals/outreach/${encodeURIComponent(id)}`));
  } catch (err) {
    panel.innerHTML = `<section class="card"><p class="error" role="alert">${escapeHtml(err.message)}</p></section>`;
    return;
  }
  const pending = batch.status === 'pending_review';
  panel.innerHTML = `
    <section class="card">
      <h2>Batch ${escapeHtml(batch.id)}</h2>
      <p>Status: <span class="status status-${escapeHtml(batch.status)}" id="batch-status">${escapeHtml(statusWords(batch.status))}</span>,
         <span id="batch-counts">${escapeHtml(counts(batch))}</span>.</p>
      ${pending ? '' : mailStates(mails)}
      <p class="muted" id="batch-people">${escapeHtml([batch.by_name ? `Prepared by ${batch.by_name}, ${localTime(batch.created_at, timeZone)}` : '', approval(batch)].filter(Boolean).join('; '))}</p>
      <iframe class="preview-frame" title="Preview of the mails" src="/api/referrals/outreach/${encodeURIComponent(batch.id)}/preview"></iframe>
      ${pending ? '<button type="button" id="approve">Approve and send</button>' : ''}
      <p class="error" id="batch-error" role="alert" ${problem ? '' : 'hidden'}>${escapeHtml(problem)}</p>
    </section>`;
  const button = panel.querySelector('#approve');
  if (button) {
    button.addEventListener('click', async () => {
      if (!window.confirm(`Send ${batch.mail_count} mails now?`)) return;
      button.disabled = true;
      let failure = '';
      try {
        await api(`/api/referrals/outreach/${encodeURIComponent(batch.id)}/approve`, { method: 'POST' });
      } catch (err) {
        failure = err.message;
      }
      await refresh(batch.id, failure);
    });
  }
}

async function refresh(selected, problem = '') {
  const [{ batches, time_zone: zone }, stats] = await Promise.all([api('/api/referrals/outreach'), api('/api/referrals/stats?days=1')]);
  timeZone = zone;
  const vendors = stats.vendors.filter((v) => !v.orphan);
  root.innerHTML = `
    <form class="card" id="new-batch" novalidate>
      <h1>Vendor outreach</h1>
      <p class="muted">Each vendor gets its own mail from <strong id="sender-name">${escapeHtml(sender)}</strong> with its referral link.
        Nothing is sent until the batch is approved, and nothing during quiet hours: those mails wait for their end.</p>
      <label for="subject">Subject</label>
      <input id="subject" name="subject" value="Your referral link" maxlength="150" required aria-describedby="subject-error">
      <p class="error" id="subject-error" data-error-for="subject" role="alert" hidden></p>
      <label for="note">A note for every vendor (optional)</label>
      <textarea id="note" name="note" rows="3" maxlength="2000" aria-describedby="note-error"></textarea>
      <p class="error" id="note-error" data-error-for="note" role="alert" hidden></p>
      <fieldset aria-describedby="vendors-error"><legend>Vendors</legend><div class="checks">
        ${vendors.map((v) => `<label><input type="checkbox" name="vendor" value="${escapeHtml(v.code)}" checked> ${escapeHtml(v.name)}</label>`).join('')}
      </div>
      <p class="error" id="vendors-error" data-error-for="vendor_codes" role="alert" hidden></p></fieldset>
      <p class="error" id="form-error" role="alert" hidden></p>
      <button type="submit">Prepare for review</button>
    </form>
    <table><thead><tr><th>Created</th><th>Subject</th><th>Status</th><th>Approved</th><th class="num">Sent</th></tr></thead>
      <tbody id="batches">${batches.map(batchRow).join('') || '<tr><td colspan="5" class="muted">No batches yet.</td></tr>'}</tbody></table>
    <div id="batch"></div>`;
  const form = root.querySelector('#new-batch');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const codes = [...form.querySelectorAll('input[name=vendor]:checked')].map((i) => i.value);
      const created = await api('/api/referrals/outreach', {
        method: 'POST', body: { subject: form.subject.value, note: form.note.value, vendor_codes: codes },
      });
      showErrors(form, null);
      window.location.hash = created.batch.id;
      await refresh(created.batch.id);
    } catch (err) {
      showErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  await showBatch(selected || window.location.hash.slice(1), problem);
}

window.addEventListener('hashchange', () => showBatch(window.location.hash.slice(1)));
requireStaff(root, () => refresh().catch((err) => { root.innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`; }));

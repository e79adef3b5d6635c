// Vendor outreach: render a batch, read the preview, approve it once to send.
import { api, escapeHtml, requireStaff } from '/shared/app.js';

const root = document.getElementById('app');

function batchRow(b) {
  return `<tr data-batch="${escapeHtml(b.id)}">
    <td><a href="#${escapeHtml(b.id)}">${escapeHtml(b.created_at)}</a></td>
    <td>${escapeHtml(b.subject)}</td>
    <td><span class="status status-${escapeHtml(b.status)}">${escapeHtml(b.status.replace('_', ' '))}</span></td>
    <td class="num">${b.sent_count}/${b.mail_count}</td></tr>`;
}

async function showBatch(id) {
  const panel = root.querySelector('#batch');
  const { batch } = await api(`/api/referrals/outreach/${encodeURIComponent(id)}`);
  const pending = batch.status === 'pending_review';
  panel.innerHTML = `
    <section class="card">
      <h2>Batch ${escapeHtml(batch.id)}</h2>
      <p>Status: <span class="status status-${escapeHtml(batch.status)}" id="batch-status">${escapeHtml(batch.status.replace('_', ' '))}</span>,
         ${batch.sent_count} of ${batch.mail_count} sent.</p>
      <iframe class="preview-frame" title="Preview of the mails" src="/api/referrals/outreach/${encodeURIComponent(batch.id)}/preview"></iframe>
      ${pending ? '<button type="button" id="approve">Approve and send</button>' : ''}
      <p class="error" role="alert" hidden></p>
    </section>`;
  const button = panel.querySelector('#approve');
  if (button) {
    button.addEventListener('click', async () => {
      if (!window.confirm(`Send ${batch.mail_count} mails now?`)) return;
      button.disabled = true;
      try {
        await api(`/api/referrals/outreach/${encodeURIComponent(batch.id)}/approve`, { method: 'POST' });
      } catch (err) {
        const error = panel.querySelector('.error');
        error.textContent = err.message;
        error.hidden = false;
      }
      await refresh(batch.id);
    });
  }
}

async function refresh(selected) {
  const [{ batches }, stats] = await Promise.all([api('/api/referrals/outreach'), api('/api/referrals/stats?days=1')]);
  const vendors = stats.vendors.filter((v) => !v.orphan);
  root.innerHTML = `
    <form class="card" id="new-batch" novalidate>
      <h1>Vendor outreach</h1>
      <p class="muted">Each vendor gets its own mail with its referral link. Nothing is sent until the batch is approved.</p>
      <label for="subject">Subject</label>
      <input id="subject" name="subject" value="Your referral link" required>
      <label for="note">A note for every vendor (optional)</label>
      <textarea id="note" name="note" rows="3"></textarea>
      <fieldset><legend>Vendors</legend><div class="checks">
        ${vendors.map((v) => `<label><input type="checkbox" name="vendor" value="${escapeHtml(v.code)}" checked> ${escapeHtml(v.name)}</label>`).join('')}
      </div></fieldset>
      <p class="error" role="alert" hidden></p>
      <button type="submit">Prepare for review</button>
    </form>
    <table><thead><tr><th>Created</th><th>Subject</th><th>Status</th><th class="num">Sent</th></tr></thead>
      <tbody id="batches">${batches.map(batchRow).join('') || '<tr><td colspan="4" class="muted">No batches yet.</td></tr>'}</tbody></table>
    <div id="batch"></div>`;
  const form = root.querySelector('#new-batch');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = form.querySelector('.error');
    error.hidden = true;
    try {
      const codes = [...form.querySelectorAll('input[name=vendor]:checked')].map((i) => i.value);
      const created = await api('/api/referrals/outreach', {
        method: 'POST', body: { subject: form.subject.value, note: form.note.value, vendor_codes: codes },
      });
      window.location.hash = created.batch.id;
      await refresh(created.batch.id);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
  const id = selected || window.location.hash.slice(1);
  if (id) await showBatch(id);
}

window.addEventListener('hashchange', () => showBatch(window.location.hash.slice(1)));
requireStaff(root, () => refresh().catch((err) => { root.innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`; }));

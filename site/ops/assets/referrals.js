// Referral statistics: per vendor clicks, unique visitors, bot hits, last click, daily series.
import { api, escapeHtml, requireStaff, siteConfig } from '/shared/app.js';

const root = document.getElementById('app');
const config = await siteConfig();
const program = (config.names && config.names.referrals) || '';  // the referral program's own name

function sparkline(daily, since, days) {
  const byDate = Object.fromEntries(daily.map((d) => [d.date, d.clicks]));
  const start = new Date(`${since}T00:00:00Z`);
  const values = [];
  for (let i = 0; i < days; i += 1) {
    const day = new Date(start.getTime() + i * 86400000).toISOString().slice(0, 10);
    values.push(byDate[day] || 0);
  }
  const max = Math.max(1, ...values);
  const bars = values.map((v) => `<span style="height:${Math.round((v / max) * 100)}%" title="${v}"></span>`).join('');
  return `<div class="spark" aria-label="clicks per day">${bars}</div>`;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

async function load(days) {
  const data = await api(`/api/referrals/stats?days=${days}`);
  const rows = data.vendors.map((v) => `
    <tr class="${v.orphan ? 'orphan' : ''}" data-code="${escapeHtml(v.code)}">
      <td>${escapeHtml(v.name)}<br><small class="muted">${v.orphan ? 'links with no vendor' : `/ref/${escapeHtml(v.code)}`}</small></td>
      <td class="num" data-field="clicks">${v.clicks}</td>
      <td class="num" data-field="unique_visitors">${v.unique_visitors}</td>
      <td class="num" data-field="bot_hits">${v.bot_hits}</td>
      <td class="wide">${when(v.last_click)}</td>
      <td class="wide">${sparkline(v.daily, data.since, data.days)}</td>
    </tr>`).join('');
  root.innerHTML = `
    <section class="card">
      <h1>Referral clicks${program ? ` <small class="muted" id="program-name">${escapeHtml(program)}</small>` : ''}</h1>
      <p class="muted">Clicks and bot hits since the program started; unique visitors and the chart cover
        <select id="days" aria-label="days shown">${[7, 30, 90].map((d) => `<option value="${d}" ${d === data.days ? 'selected' : ''}>the last ${d} days</option>`).join('')}</select>.
        Link previews and crawlers count as bot hits, not clicks.</p>
    </section>
    <table id="stats">
      <thead><tr><th>Vendor</th><th class="num">Clicks</th><th class="num">Unique visitors</th><th class="num">Bot hits</th><th class="wide">Last click</th><th class="wide">Daily clicks</th></tr></thead>
      <tbody>${rows}</tbody>
    </table>`;
  root.querySelector('#days').addEventListener('change', (e) => load(Number(e.target.value)));
}

requireStaff(root, () => load(30).catch((err) => { root.innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`; }));

import { requireStaff, siteConfig, signOut } from '/shared/app.js';

const root = document.getElementById('app');
const config = await siteConfig();
if (config.business_name) document.querySelector('[data-business]').textContent = config.business_name;

requireStaff(root, () => {
  root.innerHTML = `
    <section class="card">
      <h1>Operations</h1>
      <ul>
        <li><a href="/charters/">Charters</a>: the month's charters, crew and their links.</li>
        <li><a href="/referrals/">Referral clicks</a>: which partners send visitors, day by day.</li>
        <li><a href="/referrals/outreach/">Vendor outreach</a>: review the partner mails, then send them.</li>
      </ul>
      <button type="button" id="sign-out">Sign out</button>
    </section>`;
  root.querySelector('#sign-out').addEventListener('click', signOut);
});

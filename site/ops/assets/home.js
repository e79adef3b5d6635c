import { currentStaff, requireStaff, siteConfig } from '/shared/app.js';

const root = document.getElementById('app');
const config = await siteConfig();
if (config.business_name) document.querySelector('[data-business]').textContent = config.business_name;

requireStaff(root, async () => {
  const staff = await currentStaff();
  const owner = Boolean(staff && staff.roles.includes('owner'));
  // Signing out is in the header bar (site/_shared/app.js), on every page.
  root.innerHTML = `
    <section class="card">
      <h1>Operations</h1>
      <ul>
        <li><a href="/charters/">Charters</a>: the month's charters, crew and their links.</li>
        <li><a href="/referrals/">Referral clicks</a>: which partners send visitors, day by day.</li>
        <li><a href="/referrals/outreach/">Vendor outreach</a>: review the partner mails, then send them.</li>
        ${owner ? '<li><a href="/staff/">Staff</a>: who may sign in and with which roles; who is signed in now.</li>' : ''}
      </ul>
    </section>`;
});

// The landing page: the business's name from site.json, and a welcome for referred visitors.
import { siteConfig } from '/shared/app.js';

const config = await siteConfig();
if (config.business_name) {
  document.querySelector('[data-business]').textContent = config.business_name;
  document.title = config.business_name;
}
const source = new URLSearchParams(window.location.search).get('utm_source');
if (source && config.vendors && config.vendors[source]) {
  document.querySelector('[data-referrer]').textContent = config.vendors[source];
  document.querySelector('.referral').hidden = false;
}

// The landing page: the charter company's name from site.json (`names.charters`: the brand site is
// the charters' public face), and a welcome for referred visitors.
import { siteConfig } from '/shared/app.js';

const config = await siteConfig();
const name = (config.names && config.names.charters) || config.business_name;
if (name) {
  document.querySelector('[data-business]').textContent = name;
  document.title = name;
}
const source = new URLSearchParams(window.location.search).get('utm_source');
if (source && config.vendors && config.vendors[source]) {
  document.querySelector('[data-referrer]').textContent = config.vendors[source];
  document.querySelector('.referral').hidden = false;
}

// The page header names the café (site.json `names.loyalty`), not the charter company the stack
// may be named after.
import { siteConfig } from '/shared/app.js';

const config = await siteConfig();
const name = (config.names && config.names.loyalty) || config.business_name;
if (name) for (const el of document.querySelectorAll('[data-system-name]')) el.textContent = name;

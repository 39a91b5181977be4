// The admin panel in Debian's Chromium, signed in: what the panel's browser
// tests begin with. openPanel(adminUrl, user, password, viewport) launches
// the browser, records every dialog (a script that ran where only text was
// meant would show one), signs in through the login form and waits for the
// panel; it returns { browser, page, dialogs }.
'use strict';

const { chromium } = require('playwright-core');

async function openPanel(adminUrl, user, password, viewport) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 30000,
  });
  const page = await (await browser.newContext({ viewport })).newPage();
  page.setDefaultTimeout(10000);
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });

  await page.goto(`${adminUrl}/`);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#top:not([hidden])');
  return { browser, page, dialogs };
}

module.exports = { openPanel };

// The admin panel as each role sees it, in headless Chromium (Debian's
// chromium driven by playwright-core). Run by
// t_admin_panel_shows_only_what_the_role_may_use.sh inside the gateway
// namespace. Prints one line per check; exits 1 if any failed.
'use strict';

const { chromium } = require('playwright-core');
const path = require('path');

const ADMIN = process.env.ADMIN_URL;            // http://127.0.0.1:8080
const SHOTS = process.env.SHOTS;                // screenshot directory
const PASSWORD = process.env.ADMIN_PW;          // the same for every account here

let failures = 0;
function check(cond, what, detail) {
  if (cond) console.log(`  ok   ${what}`);
  else { failures++; console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`); }
}

async function login(browser, name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${ADMIN}/`);
  await page.fill('#login-user', name);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#top:not([hidden])', { timeout: 10000 });
  return { context, page };
}

async function navLinks(page) {
  return page.$$eval('nav a', (as) => as.filter((a) => a.offsetParent !== null).map((a) => a.textContent));
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 30000,
  });

  // a front desk: the sessions and the audit, and the guests' only
  let { context, page } = await login(browser, 'desk');
  check((await page.textContent('#role')) === 'frontdesk', 'front desk: the role is shown');
  const deskLinks = await navLinks(page);
  check(deskLinks.join(',') === 'Sessions,Vouchers,Audit,Terms', 'front desk: only Sessions, Vouchers, Audit and Terms in the navigation', deskLinks.join(','));
  check(page.url().endsWith('#sessions') || await page.locator('#page-sessions').isVisible(),
    'front desk lands on the sessions');
  await page.waitForSelector('#sessions-rows tr', { timeout: 10000 });
  const rows = await page.$$eval('#sessions-rows tr', (trs) => trs.map((tr) => tr.innerText));
  check(rows.some((r) => r.includes('voucher:ab12')), 'front desk: the guest session is listed', rows.join(' | '));
  check(!rows.some((r) => r.includes('alice')), 'front desk: the employee session is not', rows.join(' | '));
  check(await page.getByRole('button', { name: 'Kick' }).first().isVisible(), 'front desk: Kick is offered');
  await page.screenshot({ path: path.join(SHOTS, 'roles-frontdesk.png'), fullPage: true });
  // a page outside the role, asked for by its address, is not shown
  await page.goto(`${ADMIN}/#users`);
  await page.waitForSelector('#page-sessions:not([hidden])', { timeout: 10000 }).catch(() => {});
  check(!(await page.locator('#page-users').isVisible()), 'front desk: #users does not open the users page');
  await context.close();

  // an auditor: every page, no control that changes something
  ({ context, page } = await login(browser, 'audit'));
  check((await page.textContent('#role')) === 'auditor', 'auditor: the role is shown');
  const auditLinks = await navLinks(page);
  check(auditLinks.length === 10, 'auditor: every page in the navigation', auditLinks.join(','));
  await page.goto(`${ADMIN}/#users`);
  await page.waitForSelector('#users-rows tr', { timeout: 10000 });
  check((await page.locator('#users-rows').innerText()).includes('alice'), 'auditor: the users are listed');
  check(!(await page.locator('#user-create').isVisible()), 'auditor: no "Create user" form');
  // the row's buttons are there, hidden (display: none keeps them out of
  // the accessibility tree, so they are found by their class)
  const del = page.locator('#users-rows button.danger');
  check(await del.count() > 0 && !(await del.first().isVisible()), 'auditor: no Delete button shown');
  await page.screenshot({ path: path.join(SHOTS, 'roles-auditor-users.png'), fullPage: true });
  await page.goto(`${ADMIN}/#sessions`);
  await page.waitForSelector('#sessions-rows tr', { timeout: 10000 });
  check((await page.locator('#sessions-rows').innerText()).includes('alice'), 'auditor: every session is listed');
  const kick = page.locator('#sessions-rows button.danger');
  check(await kick.count() === 2 && !(await kick.first().isVisible()), 'auditor: no Kick button shown');
  await page.goto(`${ADMIN}/#portal`);
  await page.waitForSelector('#page-portal:not([hidden])', { timeout: 10000 });
  check(!(await page.locator('#look-form').isVisible()) && !(await page.locator('#logo-form').isVisible()),
    'auditor: the portal\'s look shown, no form to change it');
  await context.close();

  // an admin: everything, with its controls
  ({ context, page } = await login(browser, 'root'));
  check((await navLinks(page)).length === 10, 'admin: every page in the navigation');
  await page.goto(`${ADMIN}/#users`);
  await page.waitForSelector('#users-rows tr', { timeout: 10000 });
  check(await page.locator('#user-create').isVisible(), 'admin: the "Create user" form');
  // a user's devices: the sessions page narrowed to that user
  await page.locator('#users-rows tr', { hasText: 'alice' }).getByRole('button', { name: 'Devices' }).click();
  await page.waitForSelector('#sessions-filter:not([hidden])', { timeout: 10000 });
  check((await page.textContent('#sessions-filter-text')) === 'Devices of alice: 1 signed in.',
    "admin: alice's devices counted", await page.textContent('#sessions-filter-text'));
  const devRows = await page.$$eval('#sessions-rows tr', (trs) => trs.map((tr) => tr.innerText));
  check(devRows.length === 1 && devRows[0].includes('10.201.0.9') && !devRows.join().includes('voucher:'),
    "admin: only alice's sessions listed", devRows.join(' | '));
  await page.click('#sessions-filter-clear');
  await page.waitForFunction(() => document.querySelectorAll('#sessions-rows tr').length === 2);
  check(true, 'admin: every session listed again');
  await context.close();
  await browser.close();
}

main().then(() => process.exit(failures ? 1 : 0), (e) => {
  console.log(`  FAIL the browser run: ${e.message}`);
  process.exit(1);
});

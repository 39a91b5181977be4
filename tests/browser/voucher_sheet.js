// A front desk makes a roll of voucher codes in the admin panel and prints
// the cards (headless Debian chromium driven by playwright-core). Run by
// t_browser_voucher_sheet_prints_qr_codes.sh in the gateway namespace; it
// writes the printed sheet as PNG and PDF for zbarimg, and prints one line
// "CODE roll-number code" per card. Prints one line per check; exits 1 if
// any failed.
'use strict';

const { chromium } = require('playwright-core');
const path = require('path');

const ADMIN = process.env.ADMIN_URL;
const SHOTS = process.env.SHOTS;
const NAME = process.env.ADMIN_NAME;
const PW = process.env.ADMIN_PW;

let failures = 0;
function check(cond, what, detail) {
  if (cond) console.log(`  ok   ${what}`);
  else { failures++; console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`); }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 30000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${ADMIN}/`);
  await page.fill('#login-user', NAME);
  await page.fill('#login-password', PW);
  await page.press('#login-password', 'Enter');
  await page.waitForSelector('#page-sessions:not([hidden])');
  await page.click('nav a[data-page=vouchers]');
  await page.waitForSelector('#page-vouchers:not([hidden])');
  check(true, 'the front desk opens the Vouchers page');
  check(!(await page.locator('nav a[data-page=users]').isVisible()), 'no Users page for a front desk');

  await page.fill('#v-count', '10');
  await page.selectOption('#v-validity', '1d');
  await page.fill('#v-comment', 'browser roll');
  await page.fill('#v-quota', '500');
  await page.fill('#v-devices', '2');
  await page.fill('#v-network', 'Hotel <b>Guest</b>');
  await page.click('#voucher-create button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#voucher-sheet .voucher-card').length === 10);
  check(true, 'ten cards on the sheet');
  check(await page.locator('#voucher-sheet .voucher-qr').count() === 10, 'ten QR codes on the sheet');
  check((await page.textContent('.voucher-network')) === 'Hotel <b>Guest</b>', 'the network name shown as text');
  await page.waitForFunction(() => [...document.querySelectorAll('#voucher-rows tr')].some((tr) => tr.innerText.includes('browser roll')));
  check(true, 'the roll listed with its counts');
  const rowText = await page.$$eval('#voucher-rows tr', (trs) => trs.map((t) => t.innerText).join('\n'));
  check(/browser roll\s+10\s+10\s+0/.test(rowText), 'ten unused codes counted', rowText);
  check(rowText.includes('0 B of 500.0 MB'), 'the roll shows the data used against its quota', rowText);

  const cards = await page.$$eval('#voucher-sheet .voucher-card', (cs) =>
    cs.map((c) => [c.querySelector('.voucher-meta').textContent, c.querySelector('.voucher-code').textContent]));
  for (const [name, code] of cards) console.log(`CODE ${name} ${code}`);

  // what the printer gets: the print styles, the sheet alone
  await page.emulateMedia({ media: 'print' });
  check(!(await page.locator('nav').isVisible()), 'the navigation is not printed');
  check(!(await page.locator('#voucher-create').isVisible()), 'the form is not printed');
  await page.screenshot({ path: path.join(SHOTS, 'voucher-sheet.png'), fullPage: true });
  await page.pdf({ path: path.join(SHOTS, 'voucher-sheet.pdf'), format: 'A4' });
  check(errors.length === 0, 'no script errors', errors.join('; '));
  await browser.close();
}

main().then(() => process.exit(failures ? 1 : 0), (e) => { console.log(`  FAIL ${e.stack}`); process.exit(1); });

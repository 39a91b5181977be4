// A guest with a voucher card, on a phone (Chromium at phone size, driven by
// playwright-core, with no proxy set): asks for a plain http:// page, is
// sent to the portal, types the code from the card and taps "Use the code".
// With CHOICE=1 the code is at its device limit: the guest sees the "sign
// out the oldest device" page and taps its button. Either way the guest
// must end up on the page it asked for. Run by
// t_browser_voucher_sheet_prints_qr_codes.sh inside the namespace of one
// LAN device; screenshots go to SHOTS as voucher-guest-TAG-*.png. Prints
// one line per check; exits 1 if any failed.
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const PAGE_URL = process.env.PAGE_URL;        // the page the guest asks for
const PAGE_TEXT = process.env.PAGE_TEXT;      // a sentence on that page
const PORTAL = process.env.PORTAL;            // http://10.201.0.1:8082
const CODE = process.env.CODE;                // as printed on the card
const CHOICE = process.env.CHOICE === '1';
const TAG = process.env.TAG;
const SHOTS = process.env.SHOTS;

let failures = 0;
function check(cond, what, detail) {
  if (cond) console.log(`  ok   ${what}`);
  else { failures++; console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`); }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `voucher-guest-${TAG}-${name}.png`), fullPage: true });
}

async function tapAndLoad(page, locator) {
  await Promise.all([page.waitForEvent('load', { timeout: 15000 }).catch(() => {}), locator.tap()]);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // the browser's own background fetches would be intercepted too
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-domain-reliability', '--no-pings', '--disable-client-side-phishing-detection'],
  });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
    hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  try {
    await page.goto(PAGE_URL, { timeout: 20000 });
    check(page.url().startsWith(`${PORTAL}/`), 'the plain page request lands on the portal', page.url());
    const field = page.locator('input[name=code]');
    const use = page.locator('button[name=with][value=code]');
    check(await field.isVisible() && await use.isVisible(), 'the code field and its button are visible');
    const box = await use.boundingBox();
    check(box && box.x >= 0 && box.x + box.width <= 390, 'the button fits the phone\'s width', JSON.stringify(box));
    await field.tap();
    await page.keyboard.type(CODE.toLowerCase(), { delay: 20 });
    await shot(page, '1-code-typed');
    await tapAndLoad(page, use);
    if (CHOICE) {
      const end = page.locator('#end-oldest');
      check(await end.isVisible(), 'at the code\'s limit the guest sees the "sign out the oldest" button',
        (await page.content()).slice(0, 400));
      check(/signed in on 2 other devices/.test(await page.textContent('body')),
        'the page says how many devices use the code', (await page.textContent('body')).slice(0, 300));
      await shot(page, '2-choice');
      await tapAndLoad(page, end);
    }
    await page.waitForURL(PAGE_URL, { timeout: 10000 }).catch(() => {});
    await shot(page, '3-online');
    check(page.url() === PAGE_URL, 'the guest lands on the page it asked for', page.url());
    check(await page.getByText(PAGE_TEXT).isVisible(), 'and sees that page\'s text',
      (await page.content()).slice(0, 300));
    check(!consoleLines.some((l) => /Content Security Policy|form-action/.test(l)),
      'no CSP violation on the way', consoleLines.join(' | '));
  } catch (e) {
    check(false, 'the scenario ran', e.stack || e);
    await shot(page, 'error').catch(() => {});
  } finally {
    await browser.close();
  }
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.log(`  FAIL ${e.stack || e}`);
  process.exit(1);
});

// Click-through terms as a guest meets them: Chromium (Debian's, driven by
// playwright-core) with no proxy asks for a plain http:// page, is sent to
// the portal, reads the terms (markup in them shown as text, never run),
// presses Accept and must end up on the page it asked for. Run by
// t_browser_intercept_terms_accepted_lands_on_page.sh in the client
// namespace, once per screen size. Prints one line per check; exits 1 if
// any failed.
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const PAGE_URL = process.env.PAGE_URL;        // the page the guest asks for
const PAGE_TEXT = process.env.PAGE_TEXT;      // a sentence on that page
const PORTAL = process.env.PORTAL;            // http://10.201.0.1:8082
const TERMS_LINE = process.env.TERMS_LINE;    // a line of the terms, with markup in it
const SIZE = process.env.SIZE;                // laptop | phone
const SHOTS = process.env.SHOTS;

const sizes = {
  laptop: { viewport: { width: 1366, height: 768 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

let failures = 0;
function check(cond, what, detail) {
  if (cond) console.log(`  ok   ${what}`);
  else { failures++; console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`); }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `terms-${SIZE}-${name}.png`), fullPage: true });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-domain-reliability', '--no-pings', '--disable-client-side-phishing-detection'],
  });
  const context = await browser.newContext(sizes[SIZE]);
  const page = await context.newPage();
  const consoleLines = [];
  let dialogs = 0;
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('dialog', (d) => { dialogs++; d.dismiss().catch(() => {}); });
  try {
    await page.goto(PAGE_URL, { timeout: 20000 });
    check(page.url().startsWith(`${PORTAL}/`), 'the plain page request lands on the portal', page.url());
    check(await page.getByRole('heading', { name: 'Terms of use' }).isVisible(), 'the terms\' heading is visible');
    const shown = await page.locator('#terms').innerText();
    check(shown.includes(TERMS_LINE), 'the terms are shown, their markup as text', shown);
    check(await page.locator('#terms script').count() === 0, 'no element made from the terms\' markup');
    const button = page.getByRole('button', { name: 'Accept and connect' });
    check(await button.isVisible(), 'the Accept button is visible');
    if (SIZE === 'phone') {
      const box = await button.boundingBox();
      check(box && box.x >= 0 && box.x + box.width <= 390, 'the button fits the phone\'s width', JSON.stringify(box));
    }
    await shot(page, '1-terms');
    await Promise.all([
      page.waitForEvent('load', { timeout: 15000 }).catch(() => {}),
      SIZE === 'phone' ? button.tap() : button.click(),
    ]);
    await page.waitForURL(PAGE_URL, { timeout: 10000 }).catch(() => {});
    await shot(page, '2-after-accept');
    check(page.url() === PAGE_URL, 'after accepting the browser shows the page it asked for', page.url());
    check(await page.getByText(PAGE_TEXT).isVisible(), 'and the guest sees that page\'s text');
    check(dialogs === 0, 'no script from the terms ran (no dialog)');
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

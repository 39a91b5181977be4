// Intercept mode as a person meets it: Chromium (Debian's, driven by
// playwright-core) with no proxy set asks for a plain http:// page, is sent
// to the portal, signs in with the real form (after a wrong password first
// when WRONG_FIRST=1) and must end up on the page it asked for. Run by
// t_browser_intercept_portal_login_lands_on_page.sh in the client namespace,
// once per screen size. Prints one line per check; exits 1 if any failed.
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const PAGE_URL = process.env.PAGE_URL;        // the page the person asks for
const PAGE_TEXT = process.env.PAGE_TEXT;      // a sentence on that page
const PORTAL = process.env.PORTAL;            // http://10.201.0.1:8082
const USER = process.env.PORTAL_USER;
const PASSWORD = process.env.PORTAL_PASSWORD;
const WRONG_FIRST = process.env.WRONG_FIRST === '1';
const SIZE = process.env.SIZE;                // laptop | phone
const SHOTS = process.env.SHOTS;

const sizes = {
  laptop: { viewport: { width: 1366, height: 768 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

let failures = 0;
function check(cond, what, detail) {
  if (cond) {
    console.log(`  ok   ${what}`);
  } else {
    failures++;
    console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`);
  }
}

const tag = `${SIZE}${WRONG_FIRST ? '-after-wrong' : ''}`;
async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `portal-${tag}-${name}.png`), fullPage: true });
}

async function submit(page, user, password) {
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  // what a person does: press the button (a tap on a phone)
  await Promise.all([
    page.waitForEvent('load', { timeout: 15000 }).catch(() => {}),
    SIZE === 'phone' ? page.getByRole('button', { name: 'Sign in' }).tap()
      : page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
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
  const context = await browser.newContext(sizes[SIZE]);
  const page = await context.newPage();
  const consoleLines = [];
  const missing = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('response', (r) => { if (r.status() === 404) missing.push(r.url()); });
  try {
    await page.goto(PAGE_URL, { timeout: 20000 });
    check(page.url().startsWith(`${PORTAL}/`), 'the plain page request lands on the portal', page.url());
    check(await page.getByRole('heading', { name: 'Sign in to the network' }).isVisible(),
      'the portal\'s heading is visible');
    check(await page.getByLabel('Username').isVisible() && await page.getByLabel('Password').isVisible()
      && await page.getByRole('button', { name: 'Sign in' }).isVisible(), 'the form is visible');
    if (SIZE === 'phone') {
      const box = await page.getByRole('button', { name: 'Sign in' }).boundingBox();
      check(box && box.x >= 0 && box.x + box.width <= 390, 'the button fits the phone\'s width',
        JSON.stringify(box));
    }
    await shot(page, '1-form');
    if (WRONG_FIRST) {
      await submit(page, USER, `${PASSWORD}x`);
      check(page.url().startsWith(`${PORTAL}/`), 'a wrong password stays on the portal', page.url());
      check(await page.getByText('Wrong username or password.').isVisible(),
        'the person sees "Wrong username or password."');
      await shot(page, '2-wrong');
    }
    await submit(page, USER, PASSWORD);
    await page.waitForURL(PAGE_URL, { timeout: 10000 }).catch(() => {});
    await shot(page, '3-after-login');
    check(page.url() === PAGE_URL, 'after the login the browser shows the page it asked for', page.url());
    check(await page.getByText(PAGE_TEXT).isVisible(), 'and the person sees that page\'s text',
      (await page.content()).slice(0, 300));
    check(!(await page.getByText('Wrong username or password.').isVisible()),
      'no "Wrong username or password." after the right one');
    check(!consoleLines.some((l) => /Content Security Policy|form-action/.test(l)),
      'no CSP violation on the way', consoleLines.join(' | '));
    check(missing.length === 0, 'nothing the browser asked for was missing (no 404)', missing.join(' '));
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

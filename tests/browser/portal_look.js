// The portal's look and language in headless Chromium (Debian's, driven by
// playwright-core). Run twice by t_browser_portal_look_in_german.sh:
// PART=admin in the gateway namespace (an admin sets the title and colours
// on the panel's Portal page and uploads a logo; a non-image is refused with
// a clear message), then PART=portal in the client namespace at a phone's
// and a laptop's size with Accept-Language de (the German portal with that
// title, the logo loaded, the accent on the button, no CSP violation, no
// horizontal overflow). Prints one line per check; exits 1 if any failed.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const PART = process.env.PART;                // admin | portal
const ADMIN = process.env.ADMIN_URL;          // http://127.0.0.1:8080
const ADMIN_NAME = process.env.ADMIN_NAME;
const ADMIN_PW = process.env.ADMIN_PW;
const PORTAL = process.env.PORTAL;            // http://10.201.0.1:8082
const TITLE = process.env.TITLE;
const ACCENT = process.env.ACCENT;            // #rrggbb
const BACKGROUND = process.env.BACKGROUND;
const LOGO = process.env.LOGO;                // a PNG file
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

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

async function shot(page, name) {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

async function statusText(page, want) {
  await page.waitForFunction((w) => document.getElementById('status').textContent.includes(w), want,
    { timeout: 10000 }).catch(() => {});
  return page.textContent('#status');
}

async function admin(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(`${ADMIN}/`);
  await page.waitForSelector('#page-login:not([hidden])');
  await page.fill('#login-user', ADMIN_NAME);
  await page.fill('#login-password', ADMIN_PW);
  await page.press('#login-password', 'Enter');
  await page.waitForSelector('#page-dashboard:not([hidden])');
  await page.click('nav a[data-page=portal]');
  await page.waitForSelector('#page-portal:not([hidden])');

  // a colour that is no colour: refused, with the rule
  await page.fill('#look-accent', 'red');
  await page.click('#look-form button[type=submit]');
  let st = await statusText(page, '#rrggbb');
  check(st.includes('#rrggbb'), 'a bad colour is refused with the rule', st);

  await page.fill('#look-title', TITLE);
  await page.fill('#look-accent', ACCENT);
  await page.fill('#look-background', BACKGROUND);
  await page.click('#look-form button[type=submit]');
  st = await statusText(page, 'Saved');
  check(st.includes('Saved the portal\'s look.'), 'title and colours saved', st);

  // not images: an SVG with script, a text file named .png
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
  await page.setInputFiles('#logo-file', { name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
  await page.click('#logo-form button[type=submit]');
  st = await statusText(page, 'SVG');
  check(st.includes('SVG is refused'), 'an SVG logo is refused, saying why', st);
  await page.setInputFiles('#logo-file', { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('not a picture\n') });
  await page.click('#logo-form button[type=submit]');
  st = await statusText(page, 'must be a PNG');
  check(st.includes('must be a PNG, JPEG, GIF or WebP image'), 'a text file named .png is refused, saying why', st);
  check((await page.textContent('#look-logo')) === 'none', 'no logo after the refusals');

  await page.setInputFiles('#logo-file', LOGO);
  await page.click('#logo-form button[type=submit]');
  st = await statusText(page, 'Uploaded');
  check(st.includes('as the portal\'s logo'), 'the PNG logo uploaded', st);
  check((await page.textContent('#look-logo')) === 'image/png', 'the page says the logo is a PNG');
  await shot(page, 'admin-portal-page');
  await context.close();
}

async function portal(browser, size) {
  const context = await browser.newContext({ ...sizes[size], locale: 'de-DE',
    extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9,en;q=0.5' } });
  const page = await context.newPage();
  const consoleLines = [];
  const missing = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`); });
  await page.goto(`${PORTAL}/`, { timeout: 20000 });
  await page.waitForLoadState('load');
  check(await page.getAttribute('html', 'lang') === 'de', `${size}: the page is German (lang=de)`);
  check(await page.getByRole('heading', { name: TITLE }).isVisible(), `${size}: the title set in the panel is the heading`);
  check((await page.title()) === TITLE, `${size}: and the window's title`);
  check(await page.getByLabel('Benutzername').isVisible() && await page.getByLabel('Passwort').isVisible(),
    `${size}: the German form`);
  const button = page.getByRole('button', { name: 'Anmelden' });
  check(await button.isVisible(), `${size}: the German button`);
  const logo = await page.$eval('img.logo', (i) => ({ w: i.naturalWidth, complete: i.complete }))
    .catch(() => ({ w: 0 }));
  check(logo.w > 0, `${size}: the logo loaded`, JSON.stringify(logo));
  const colour = await button.evaluate((b) => getComputedStyle(b).backgroundColor);
  check(colour === rgb(ACCENT), `${size}: the accent colour on the button`, colour);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(bg === rgb(BACKGROUND), `${size}: the background colour`, bg);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `${size}: no horizontal overflow`, `${overflow}px wider`);
  check(!consoleLines.some((l) => /Content Security Policy|Refused to/.test(l)), `${size}: no CSP violation`,
    consoleLines.join(' | '));
  check(missing.length === 0, `${size}: nothing the page asked for failed`, missing.join(' '));
  await shot(page, `portal-${size}-de`);
  await context.close();
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-domain-reliability', '--no-pings', '--disable-client-side-phishing-detection'],
  });
  try {
    if (PART === 'admin') await admin(browser);
    else for (const size of ['phone', 'laptop']) await portal(browser, size);
  } catch (e) {
    check(false, 'the scenario ran', e.stack || e);
  } finally {
    await browser.close();
  }
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.log(`  FAIL ${e.stack || e}`);
  process.exit(1);
});

// Explicit-mode client setup as the README describes it for browsers:
// Chromium (Debian's, driven by playwright-core) given only the portal's
// /proxy.pac, answering the gateway's 407 with a username and a password
// full of characters that need percent-encoding in a proxy URL. Run by
// t_browser_pac_proxy_login.sh in the client namespace. Prints one line per
// check; exits 1 if any failed.
'use strict';

const { chromium } = require('playwright-core');

const PAC_URL = process.env.PAC_URL;      // http://10.201.0.1:8082/proxy.pac
const PAGE_URL = process.env.PAGE_URL;    // a page on the origin
const USER = process.env.PROXY_USER;
const PASSWORD = process.env.PROXY_PASSWORD;
// EXTRA_ARGS: more Chromium flags, space-separated (the TLS proxy's
// certificate to trust)

let failures = 0;
function check(cond, what, detail) {
  if (cond) {
    console.log(`  ok   ${what}`);
  } else {
    failures++;
    console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`);
  }
}

async function visit(browser, credentials) {
  const context = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
  const page = await context.newPage();
  try {
    const resp = await page.goto(PAGE_URL, { timeout: 20000 });
    return { status: resp ? resp.status() : 0, body: resp ? await resp.text() : '' };
  } catch (e) {
    return { status: 0, body: String(e) };
  } finally {
    await context.close();
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // the browser's own background fetches (updates, safe browsing) would go
    // to the proxy too: they get its 407, but better not to make them
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-domain-reliability', '--no-pings', '--disable-client-side-phishing-detection',
           `--proxy-pac-url=${PAC_URL}`].concat((process.env.EXTRA_ARGS || '').split(' ').filter(Boolean)),
  });
  try {
    const without = await visit(browser, null);
    // with nothing to answer the challenge with, the browser either shows
    // the 407 page or gives up on the credentials it does not have
    check(without.status === 407 || /ERR_INVALID_AUTH_CREDENTIALS/.test(without.body),
      'without credentials the proxy asks for them', `${without.status} ${without.body.slice(0, 300)}`);
    const good = await visit(browser, { username: USER, password: PASSWORD });
    check(good.status === 200, 'with the password the page loads through the PAC proxy',
      `${good.status} ${good.body.slice(0, 200)}`);
    check(good.body.includes('"body_len"'), 'the origin\'s answer came', good.body.slice(0, 200));
    const bad = await visit(browser, { username: USER, password: `${PASSWORD}x` });
    check(bad.status === 407, 'a wrong password meets the 407 again', bad.status);
  } finally {
    await browser.close();
  }
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.log(`  FAIL ${e.stack || e}`);
  process.exit(1);
});

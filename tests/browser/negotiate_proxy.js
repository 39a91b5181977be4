// Kerberos single sign-on as docs/kerberos.md sets a browser up: Chromium
// (Debian's, driven by playwright-core) with the proxy by its principal's
// host name (a hosts entry of the client namespace) and that name in
// --auth-server-allowlist (the command-line form
// of the AuthServerAllowlist policy), the user's ticket cache in
// KRB5CCNAME. The page must load with no credentials given to the browser:
// it answers the 407 with a Negotiate token of its own.
//
// Chromium hands its authentication policy (the allowlist, which schemes it
// may use) to its network service shortly after it starts; a request made
// in those first milliseconds meets Negotiate as an unsupported scheme,
// falls back to Basic and fails with ERR_INVALID_AUTH_CREDENTIALS (seen in
// its net log: AUTH_HANDLER_CREATE_RESULT negotiate, net_error -339). So a
// first context loads WARM_URL until Negotiate works (bounded); the checked
// navigation is made from a fresh context (its own connections: it meets
// the 407 again) and must succeed on its first try. Run by
// t_browser_negotiate_sso_without_prompt.sh in the client namespace. Prints
// one line per check; exits 1 if any failed.
'use strict';

const { chromium } = require('playwright-core');

const PROXY_NAME = process.env.PROXY_NAME;   // gw.portcullis.test
const PAGE_URL = process.env.PAGE_URL;       // a page on the origin
const WARM_URL = process.env.WARM_URL;       // another page on the origin

let failures = 0;
function check(cond, what, detail) {
  if (cond) {
    console.log(`  ok   ${what}`);
  } else {
    failures++;
    console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`);
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    env: process.env,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-domain-reliability', '--no-pings', '--disable-client-side-phishing-detection',
           `--proxy-server=http://${PROXY_NAME}:3128`,
           `--auth-server-allowlist=${PROXY_NAME}`,
           // the ticket is for the name as configured, not a CNAME's target
           '--disable-auth-negotiate-cname-lookup'],
  });
  let prompted = false;
  try {
    const warm = await browser.newContext();
    const warmPage = await warm.newPage();
    let warmed = false;
    for (let i = 0; i < 20 && !warmed; i++) {
      const r = await warmPage.goto(WARM_URL, { timeout: 5000 }).catch(() => null);
      warmed = r !== null && r.status() === 200;
      if (!warmed) await new Promise((res) => setTimeout(res, 250));
    }
    check(warmed, 'Chromium offers Negotiate once its policy is in force');
    await warm.close();
    const context = await browser.newContext();
    const page = await context.newPage();
    // a credentials prompt would surface as a failed request for auth
    page.on('requestfailed', (r) => {
      if (/ERR_INVALID_AUTH_CREDENTIALS|ERR_UNEXPECTED_PROXY_AUTH/.test(r.failure().errorText)) prompted = true;
    });
    let resp = null;
    let err = '';
    try {
      resp = await page.goto(PAGE_URL, { timeout: 20000 });
    } catch (e) {
      err = String(e);
    }
    const status = resp ? resp.status() : 0;
    const body = resp ? await resp.text() : err;
    check(status === 200, 'the page loads through the proxy with the ticket alone', `${status} ${body.slice(0, 300)}`);
    check(body.includes('"body_len"'), 'the origin\'s answer came', body.slice(0, 200));
    check(!prompted, 'no credentials were asked for');
    await context.close();
  } finally {
    await browser.close();
  }
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.log(`  FAIL ${e.stack || e}`);
  process.exit(1);
});

// The admin panel in headless Chromium (Debian's /usr/bin/chromium driven
// by playwright-core; no browser is ever downloaded). Run by
// t_admin_panel.sh inside the gateway namespace, against the daemon's admin
// listener on the gateway's loopback; the proxy logins it provokes are real
// curl runs in the client namespace. Prints one line per check; exits 1 if
// any failed.
'use strict';

const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const path = require('path');

const ADMIN = process.env.ADMIN_URL;            // http://127.0.0.1:8080
const SHOTS = process.env.SHOTS;                // screenshot directory
const NS_CLIENT = process.env.NS_CLIENT;        // client namespace
const PROXY = process.env.PROXY;                // http://10.201.0.1:3128
const ORIGIN = process.env.ORIGIN;              // 10.202.0.2
const ADMIN_NAME = process.env.ADMIN_NAME;
const ADMIN_PW = process.env.ADMIN_PW;
const SESSION_ADDR = process.env.SESSION_ADDR;  // the fixture session

let checks = 0;
let failures = 0;
function check(cond, what, detail) {
  checks++;
  if (cond) {
    console.log(`  ok   ${what}`);
  } else {
    failures++;
    console.log(`  FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`);
  }
}

// Poll fn (async, returns truthy when done) for at most ms.
async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => false);
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// A proxy request from the client namespace with the given credentials;
// returns the HTTP status the client saw.
function proxyLogin(user, password, userAgent) {
  return execFileSync('ip', ['netns', 'exec', NS_CLIENT, 'curl', '-s', '-o', '/dev/null',
    '-w', '%{http_code}', '--max-time', '10', '-x', PROXY, '-U', `${user}:${password}`,
    '-A', userAgent || 'curl (browser test)', `http://${ORIGIN}/1k`], { timeout: 15000 }).toString();
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// The login form is on screen and nothing of a logged-in panel is.
async function loggedOutView(page, when) {
  check(await page.locator('#login-password').isVisible(), `${when}: the login form is visible`);
  for (const [what, locator] of [
    ['the navigation', page.getByRole('navigation', { name: 'Pages' })],
    ['"Signed in as"', page.getByText('Signed in as')],
    ['the "Log out" button', page.getByRole('button', { name: 'Log out' })],
    ['the Users link', page.getByRole('link', { name: 'Users' })],
  ]) {
    check(!(await locator.isVisible()), `${when}: ${what} is not shown`);
  }
}

async function rowTexts(page, tbody) {
  return page.$$eval(`${tbody} tr`, (trs) => trs.map((tr) => tr.innerText));
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // root in a test namespace: Chromium's sandbox needs user namespaces
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 30000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const dialogs = [];
  const consoleLines = [];
  const blockedRequests = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(ADMIN)) blockedRequests.push(r.url()); });

  // --- log in, by keyboard only: the name field has focus, Tab, Enter
  const resp = await page.goto(`${ADMIN}/`);
  const headers = resp.headers();
  check(/script-src 'self'/.test(headers['content-security-policy'] || '') &&
    /frame-ancestors 'none'/.test(headers['content-security-policy']), 'page served with the CSP');
  check(headers['x-content-type-options'] === 'nosniff', 'page served with nosniff');
  await page.waitForSelector('#page-login:not([hidden])');
  await shot(page, '01-login');
  // what a logged-out visitor sees, not what the DOM says: the header with
  // the navigation, "Signed in as" and "Log out" belongs to a session
  await loggedOutView(page, 'login page');
  await page.keyboard.type(ADMIN_NAME);
  await page.keyboard.press('Tab');
  await page.keyboard.type('not-the-password');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('login-error').textContent !== '');
  check((await page.textContent('#login-error')).includes('Wrong admin name or password'), 'wrong admin password refused');
  await page.fill('#login-password', ADMIN_PW);
  await page.focus('#login-password');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#page-dashboard:not([hidden])');
  check((await page.textContent('#who')) === ADMIN_NAME, 'logged in, the admin name shown');
  const cookies = await context.cookies();
  const sc = cookies.find((c) => c.name === 'portcullis_session');
  check(sc && sc.httpOnly && sc.sameSite === 'Strict', 'session cookie HttpOnly and SameSite=Strict');
  check(await page.evaluate(() => !document.cookie.includes('portcullis_session')), 'the cookie is out of reach of scripts');

  // --- create a user through the Users page
  await page.click('nav a[data-page=users]');
  await page.waitForSelector('#page-users:not([hidden])');
  await page.fill('#nu-name', 'carol');
  await page.fill('#nu-password', 'carol right pw');
  await page.fill('#nu-comment', 'made in the browser test');
  await page.click('#user-create button[type=submit]');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Created carol'));
  const userRows = await rowTexts(page, '#users-rows');
  check(userRows.some((t) => t.includes('carol') && t.includes('enabled') && t.includes('made in the browser test')),
    'new user listed', userRows.join(' | '));
  // a bad field comes back as a readable error, nothing lost
  await page.fill('#nu-name', 'bad:name');
  await page.fill('#nu-password', 'x');
  await page.click('#user-create button[type=submit]');
  await page.waitForFunction(() => document.getElementById('status').classList.contains('error'));
  check((await page.textContent('#status')).includes("field 'name'"), 'invalid name refused with the field named');
  check((await page.inputValue('#nu-name')) === 'bad:name', 'the form keeps what was typed after an error');
  await page.fill('#nu-name', '');
  await page.fill('#nu-password', '');
  await shot(page, '02-users');

  // the user works on the proxy (the change reaches the daemon), then fails
  const okStatus = await waitFor(async () => proxyLogin('carol', 'carol right pw') === '200', 5000);
  check(okStatus, 'user created in the panel can use the proxy');
  check(proxyLogin('carol', 'wrong password') === '407', 'wrong password refused by the proxy');
  // a username that is markup, shown as text, never run
  const evil = '<img src=x onerror=alert(document.domain)>';
  const evil2 = '<script>console.log("xss-ran")</script>';
  check(proxyLogin(evil, 'x') === '407', 'hostile username refused by the proxy');
  const evilAgent = '<svg onload=console.log("xss-ua")>';
  check(proxyLogin(evil2, 'x', evilAgent) === '407', 'second hostile username refused by the proxy');

  // --- the audit page shows the failures
  await page.click('nav a[data-page=audit]');
  await page.waitForSelector('#page-audit:not([hidden])');
  const auditSeen = await waitFor(async () => {
    await page.click('#audit-filter button[type=submit]');
    await page.waitForTimeout(300);
    const rows = await rowTexts(page, '#audit-rows');
    return rows.some((t) => t.includes('carol') && t.includes('wrong_password')) &&
      rows.some((t) => t.includes(evil)) && rows.some((t) => t.includes(evil2)) ? rows : false;
  }, 8000);
  check(auditSeen, 'carol\'s failed proxy login in the audit page', auditSeen ? '' : (await rowTexts(page, '#audit-rows')).join(' | '));
  check(auditSeen && auditSeen.some((t) => t.includes(evil)), 'hostile username visible as literal text');
  check(auditSeen && auditSeen.some((t) => t.includes(evil2)), 'script username visible as literal text');
  check(auditSeen && auditSeen.some((t) => t.includes(evilAgent)), 'hostile User-Agent visible as literal text');
  check((await page.$$('#audit-rows img, #audit-rows script, #audit-rows svg')).length === 0, 'no element was made from what the client sent');
  // filter by user
  await page.fill('#af-user', 'carol');
  await page.click('#audit-filter button[type=submit]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#audit-rows tr')];
    return rows.length && rows.every((r) => r.innerText.includes('carol'));
  });
  const carolRows = await rowTexts(page, '#audit-rows');
  check(carolRows.length === 1 && carolRows[0].includes('explicit') && carolRows[0].includes('10.201.0.2'),
    'filtered by user: one row, explicit, from the client', carolRows.join(' | '));
  const csvHref = await page.getAttribute('#audit-csv', 'href');
  check(csvHref === '/api/audit.csv?user=carol', 'CSV export link carries the filter', csvHref);
  const csv = await page.evaluate(async (u) => (await fetch(u)).text(), csvHref);
  check(csv.split('\r\n').filter((l) => l).length === 2 && csv.includes('"carol"'), 'CSV export holds the filtered row');
  await shot(page, '03-audit');
  await page.fill('#af-user', '');
  await page.click('#audit-filter button[type=submit]');

  // --- the dashboard chart and top lists
  await page.click('nav a[data-page=dashboard]');
  await page.waitForSelector('#page-dashboard:not([hidden])');
  // the page still shows the chart drawn at login until the new one arrives
  await page.waitForFunction(() => document.getElementById('top-users').innerText.includes('carol'));
  const bars = await page.$$eval('#chart rect.bar', (rs) => rs.map((r) => Number(r.getAttribute('data-count'))));
  check(bars.length === 24, '24 hourly bars', bars.length);
  check(bars[23] >= 3, 'the current hour\'s bar counts the failures', bars.join(','));
  const barHeight = await page.$eval('#chart rect.bar:last-of-type', (r) => Number(r.getAttribute('height')));
  check(barHeight > 0, 'the current hour\'s bar is drawn', barHeight);
  const topUsers = await rowTexts(page, '#top-users');
  check(topUsers.some((t) => t.includes('carol')), 'carol among the top failing usernames', topUsers.join(' | '));
  check(topUsers.some((t) => t.includes(evil)), 'hostile username in the top list as text');
  // the shell made two failed logins as the bytes m 0xfc l l e r
  check(topUsers.some((t) => t.replace(/\s+/g, ' ').trim() === 'm\\xfcller 2'),
    'a username that is not UTF-8 in the top list, escaped, counted twice', topUsers.join(' | '));
  const topAddrs = await rowTexts(page, '#top-addrs');
  check(topAddrs.some((t) => t.includes('10.201.0.2')), 'client address among the top failing addresses', topAddrs.join(' | '));
  check(Number(await page.textContent('#c-failures')) >= 3, 'failure counter');
  check(Number(await page.textContent('#c-sessions')) === 1, 'active session counter (the fixture)');
  await shot(page, '04-dashboard');

  // --- whitelist: add and remove
  await page.click('nav a[data-page=whitelist]');
  await page.fill('#wl-cidr', '192.0.2.0/24');
  await page.fill('#wl-comment', 'printers <b>floor 2</b>');
  await page.click('#wl-add button[type=submit]');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Added'));
  let wl = await rowTexts(page, '#wl-rows');
  check(wl.some((t) => t.includes('192.0.2.0/24') && t.includes('printers <b>floor 2</b>')), 'whitelist entry added, comment as text', wl.join(' | '));
  await shot(page, '05-whitelist');
  await page.click('#wl-rows button');
  await page.waitForSelector('#dlg[open]');
  await page.click('#dlg-ok');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Removed'));
  wl = await rowTexts(page, '#wl-rows');
  check(wl.length === 1 && wl[0].includes('empty'), 'whitelist entry removed', wl.join(' | '));

  // --- sessions: the fixture is listed and kicked
  await page.click('nav a[data-page=sessions]');
  await page.waitForSelector('#page-sessions:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#sessions-rows button').length > 0);
  const sess = await rowTexts(page, '#sessions-rows');
  check(sess.length === 1 && sess[0].includes('dora') && sess[0].includes(SESSION_ADDR) && sess[0].includes('02:00:00:00:00:07'),
    'session listed with user, address and MAC', sess.join(' | '));
  check(sess[0].includes('1.2 MB') && sess[0].includes('54.3 kB'), 'session shows the bytes counted down and up',
    sess.join(' | '));
  check(sess[0].includes('1.3 MB of 5.0 MB (day, resets '), 'session shows its use against its quota, the period and its reset',
    sess.join(' | '));
  // the fixture's device is throttled (a used-up quota holds it in slow,
  // not its own class fast): the class it is shaped in now, and why
  check(sess[0].includes('slow (quota)') && !sess[0].includes('fast'),
    'session shows the class a quota throttles it into', sess.join(' | '));
  await shot(page, '06-sessions');
  // Escape cancels the confirmation: nothing is kicked
  await page.click('#sessions-rows button');
  await page.waitForSelector('#dlg[open]');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.getElementById('dlg').open);
  check((await rowTexts(page, '#sessions-rows'))[0].includes('dora'), 'Escape cancels the kick');
  await page.click('#sessions-rows button');
  await page.waitForSelector('#dlg[open]');
  await page.click('#dlg-ok');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Kicked'));
  const after = await rowTexts(page, '#sessions-rows');
  check(after.length === 1 && after[0].includes('No active sessions'), 'session kicked', after.join(' | '));

  // --- users: disable, then delete (by keyboard in the dialog)
  await page.click('nav a[data-page=users]');
  await page.waitForSelector('#users-rows .actions[data-user="carol"]');
  await page.click('#users-rows .actions[data-user="carol"] button:has-text("Disable")');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Disabled carol'));
  check((await rowTexts(page, '#users-rows')).some((t) => t.includes('carol') && t.includes('disabled')), 'user disabled');
  const refused = await waitFor(async () => proxyLogin('carol', 'carol right pw') === '407', 5000);
  check(refused, 'disabled user refused by the proxy');
  await page.click('#users-rows .actions[data-user="carol"] button:has-text("Delete")');
  await page.waitForSelector('#dlg[open]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Deleted carol'));
  check(!(await rowTexts(page, '#users-rows')).some((t) => t.includes('carol')), 'user deleted');

  // --- the admin log: who did what
  await page.click('nav a[data-page=actions]');
  await page.waitForSelector('#page-actions:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#actions-rows tr').length > 3);
  const acts = await rowTexts(page, '#actions-rows');
  for (const a of ['admin.login_failed', 'admin.login', 'user.create', 'whitelist.add', 'whitelist.del', 'session.kick', 'user.delete'])
    check(acts.some((t) => t.includes(a)), `admin log records ${a}`);
  check(acts.some((t) => t.includes('user.create') && t.includes(ADMIN_NAME) && t.includes('carol')), 'admin log names the actor and the target');
  await shot(page, '07-admin-log');

  // --- a phone-sized window reads without sideways scrolling
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${ADMIN}/#dashboard`);
  await phone.waitForSelector('#chart svg');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'dashboard fits a phone\'s width', overflow);
  await phone.screenshot({ path: path.join(SHOTS, '08-dashboard-phone.png'), fullPage: true });
  await phone.goto(`${ADMIN}/#audit`);
  await phone.waitForSelector('#audit-rows tr');
  await phone.screenshot({ path: path.join(SHOTS, '09-audit-phone.png'), fullPage: true });
  await phone.close();

  // --- log out: the session is gone for the API too
  await page.click('#logout');
  await page.waitForSelector('#page-login:not([hidden])');
  check((await page.textContent('#login-error')).includes('logged out'), 'logged out');
  await loggedOutView(page, 'after logout');
  const status = await page.evaluate(async () => (await fetch('/api/users')).status);
  check(status === 401, 'API answers 401 after logout', status);
  await shot(page, '10-logged-out');

  // nothing ran that should not have
  check(dialogs.length === 0, 'no dialog was opened by page content', dialogs.join(' | '));
  const bad = consoleLines.filter((l) => /xss-|Refused to|Content Security Policy|pageerror/i.test(l));
  check(bad.length === 0, 'no script effect and no CSP violation in the console', bad.join(' | '));
  check(blockedRequests.length === 0, 'the page loaded nothing from elsewhere', blockedRequests.join(' | '));

  await browser.close();
}

main().then(() => {
  console.log(`  browser: ${checks} checks, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}, (e) => {
  console.log(`  FAIL browser scenario stopped: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});

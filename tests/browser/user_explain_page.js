// The Users page's "Groups and policy" in headless Chromium (as
// groups_page.js): a local user's groups and policy from the row's Groups
// button, a directory user's by name (the same policy text as the CLI's,
// BOB_POLICY), a markup name as text, an unknown name said so; the rows'
// data use against the quotas (lena's own day quota with her request's
// bytes, resetting at MIDNIGHT; the staff policy's month quota). Run by
// t_browser_user_page_explains_groups_and_policy.sh inside the gateway
// namespace. Prints one line per check; exits 1 if any failed.
'use strict';

const { openPanel } = require('./panel');
const path = require('path');

const ADMIN = process.env.ADMIN_URL;
const SHOTS = process.env.SHOTS;
const BOB_POLICY = process.env.BOB_POLICY;
const MIDNIGHT = process.env.MIDNIGHT;

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

async function explained(page) {
  return page.evaluate(() => ({
    name: document.getElementById('ue-out-name').textContent,
    source: document.getElementById('ue-out-source').textContent,
    groups: document.getElementById('ue-out-groups').textContent,
    policy: document.getElementById('ue-out-policy').textContent,
  }));
}

// Explain name through the form; wait until the result names it.
async function explainByName(page, name) {
  await page.fill('#ue-name', name);
  await page.click('#user-explain button[type=submit]');
  await page.waitForFunction((n) => !document.getElementById('ue-result').hidden &&
    document.getElementById('ue-out-name').textContent === n, name);
  return explained(page);
}

async function main() {
  const { browser, page, dialogs } = await openPanel(ADMIN, 'root', 'panel admin pw',
    { width: 1280, height: 1100 });
  await page.click('nav a[data-page=users]');
  await page.waitForSelector('#page-users:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#users-rows tr').length > 1);

  // the data use column: lena's own day quota with her request's bytes
  // (a 1 kB body and headers), the markup user's from the staff policy
  const use = await page.evaluate(() => {
    const col = [...document.querySelectorAll('#users-rows tr')].map((tr) =>
      [...tr.cells].find((td) => td.dataset.label === 'Data use'));
    const rows = [...document.querySelectorAll('#users-rows tr')];
    const of = (t) => col[rows.findIndex((tr) => tr.textContent.includes(t))].textContent;
    return { lena: of('lena'), markup: of('onerror') };
  });
  const m = /^day: ([0-9.]+) (B|kB) of 5\.0 MB, resets (.*) \(own quota\)$/.exec(use.lena);
  check(m && Number(m[1]) * (m[2] === 'kB' ? 1000 : 1) >= 1024 && Number(m[1]) * (m[2] === 'kB' ? 1000 : 1) < 20000,
    "lena's day use: her request's bytes of her 5 MB", use.lena);
  check(m && m[3] === MIDNIGHT, 'which resets at the next local midnight', `${use.lena} / ${MIDNIGHT}`);
  check(/^month: 0 B of 1\.0 GB, resets \S+ 00:00:00 \(group policy\)$/.test(use.markup),
    "the markup user's month quota from the staff policy", use.markup);

  // lena: the row's Groups button
  await page.click('#users-rows tr:has-text("lena") button:has-text("Groups")');
  await page.waitForFunction(() => document.getElementById('ue-out-name').textContent === 'lena');
  let x = await explained(page);
  check(x.source === 'local (enabled)', "lena's source is the local store", x.source);
  check(x.groups === 'staff (local)', 'her local group', x.groups);
  check(x.policy.startsWith('group staff (its first group with a policy, by priority): may go online') &&
    x.policy.includes('session lifetime: 600s'), 'the policy that applies and why', x.policy);

  // a name that is markup: text, no element made from it
  await page.click('#users-rows tr:has-text("onerror") button:has-text("Groups")');
  await page.waitForFunction(() => document.getElementById('ue-out-name').textContent.includes('<img'));
  x = await explained(page);
  check(x.name === '<img src=x onerror=alert(1)>' && x.groups === 'staff (local)',
    'a markup name is shown as text, with its group', `${x.name} / ${x.groups}`);
  check(await page.locator('#ue-result img').count() === 0, 'no element made from the name');

  // bob, a directory user who asked the proxy: the directory's groups
  x = await explainByName(page, 'bob');
  check(x.source === 'ldap (groups as last read from the directory)', "bob's source is the directory", x.source);
  check(x.groups === 'students (ldap)', "his directory group", x.groups);
  check(x.policy === BOB_POLICY, 'the same policy text as `portcullis user explain`', `${x.policy} / ${BOB_POLICY}`);
  check(x.policy.includes('may NOT go online'), 'which says he may not go online', x.policy);
  await page.screenshot({ path: path.join(SHOTS, 'user-explain.png'), fullPage: true });

  // a name the daemon knows nothing of
  x = await explainByName(page, 'nobody');
  check(x.source.startsWith('not a local user') && x.groups === '(none)' && x.policy.startsWith('none:'),
    'an unknown name: no source, no groups, no policy', `${x.source} / ${x.groups} / ${x.policy}`);
  check(dialogs.length === 0, 'no script ran from the data (no alert)', dialogs.join(' | '));

  await browser.close();
  console.log(`${checks} checks, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.log(`  FAIL ${e.stack || e}`); process.exit(1); });

// The Groups page of the admin panel in headless Chromium (as
// admin_panel.js): the local groups with their members (names that are
// markup shown as text), a policy set with the form (a bad window refused
// by its field, the proxy then refusing the group's member), edited and
// deleted. Run by t_browser_groups_page.sh inside the gateway namespace.
// Prints one line per check; exits 1 if any failed.
'use strict';

const { openPanel } = require('./panel');
const { execFileSync } = require('child_process');
const path = require('path');

const ADMIN = process.env.ADMIN_URL;
const SHOTS = process.env.SHOTS;
const NS_CLIENT = process.env.NS_CLIENT;
const PROXY = process.env.PROXY;
const ORIGIN = process.env.ORIGIN;
const DB = process.env.DB;

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

async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => false);
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// What alice's proxy request gets, as the client sees it.
function aliceStatus() {
  return execFileSync('ip', ['netns', 'exec', NS_CLIENT, 'curl', '-s', '-o', '/dev/null',
    '-w', '%{http_code}', '--max-time', '10', '-x', PROXY, '-U', 'alice:secret',
    `http://${ORIGIN}/1k`], { timeout: 15000 }).toString();
}

async function rowTexts(page, tbody) {
  return page.$$eval(`${tbody} tr`, (trs) => trs.map((tr) => tr.innerText));
}

async function main() {
  const { browser, page, dialogs } = await openPanel(ADMIN, 'root', 'panel admin pw',
    { width: 1280, height: 900 });
  await page.click('nav a[data-page=groups]');
  await page.waitForSelector('#page-groups:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#group-rows tr').length > 0);
  let groups = await rowTexts(page, '#group-rows');
  check(groups.some((t) => t.includes('staff') && t.includes('<img src=x onerror=alert(1)>') && t.includes('alice')),
    'the local group with its members, a markup name as text', groups.join(' | '));
  check(groups.some((t) => t.includes('(the default policy applies)')), 'no policy yet', groups.join(' | '));
  check(await page.locator('#group-rows img').count() === 0, 'no element made from a member name');
  let policies = await rowTexts(page, '#policy-rows');
  check(policies.length === 1 && policies[0].includes('No policies'), 'no policies listed', policies.join(' | '));
  check(aliceStatus() === '200', 'alice passes before the policy');

  // a bad window: refused, by its field, nothing stored
  await page.fill('#pf-group', 'staff');
  await page.fill('#pf-windows', 'mon 25:00-26:00');
  await page.click('#policy-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes("field 'windows'"));
  check(true, "a bad window is refused, naming the field");

  // the policy set with the form
  await page.fill('#pf-windows', '');
  await page.fill('#pf-priority', '10');
  await page.check('#pf-denied');
  await page.fill('#pf-deny', '*.games.example 203.0.113.0/24');
  await page.fill('#pf-class', 'slow');
  await page.fill('#pf-quota-day', '1GiB');
  await page.fill('#pf-devices', '2');
  await page.fill('#pf-quota-class', 'crawl');
  await page.click('#policy-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Saved the policy of staff'));
  policies = await rowTexts(page, '#policy-rows');
  check(policies.some((t) => t.includes('staff') && t.includes('10') && t.includes('no') &&
    t.includes('*.games.example 203.0.113.0/24') && t.includes('slow')), 'the policy is listed', policies.join(' | '));
  check(policies.some((t) => t.includes('- / 1.1 GB / -')), 'the policy lists its day quota (1 GiB)', policies.join(' | '));
  check(policies.some((t) => /1\.1 GB \/ -\s+2\s/.test(t)), 'the policy lists its device limit', policies.join(' | '));
  check(policies.some((t) => /\s2\s+crawl\s/.test(t) && !t.includes('not configured')), 'the policy lists its quota class',
    policies.join(' | '));
  groups = await rowTexts(page, '#group-rows');
  check(groups.some((t) => t.includes('staff') && t.includes('priority 10')), 'the group shows its policy', groups.join(' | '));
  await page.screenshot({ path: path.join(SHOTS, 'groups-page.png'), fullPage: true });
  check(await waitFor(async () => aliceStatus() === '403', 10000), 'the proxy refuses alice: her group may not go online');

  // edit: the form is filled from the row; allow again
  await page.click('#policy-rows button:has-text("Edit")');
  check(await page.inputValue('#pf-group') === 'staff' && await page.isChecked('#pf-denied') &&
    await page.inputValue('#pf-class') === 'slow' &&
    await page.inputValue('#pf-quota-day') === '1073741824' && await page.inputValue('#pf-devices') === '2' &&
    await page.inputValue('#pf-quota-class') === 'crawl',
    'Edit fills the form');
  await page.uncheck('#pf-denied');
  await page.click('#policy-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Saved the policy of staff'));
  check(await waitFor(async () => aliceStatus() === '200', 10000), 'alice passes once the policy allows');

  // delete, through the confirmation dialog
  await page.click('#policy-rows button:has-text("Delete")');
  await page.waitForSelector('#dlg[open]');
  await page.click('#dlg-ok');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Deleted the policy of staff'));
  policies = await rowTexts(page, '#policy-rows');
  check(policies.length === 1 && policies[0].includes('No policies'), 'the policy is deleted', policies.join(' | '));

  // a policy naming a quota class [shaping] classes no longer has (set
  // while it had it): the page says it is not configured
  execFileSync('sqlite3', [DB, "INSERT INTO group_policies (group_name, quota_class, updated_at) VALUES ('lab', 'gone', 0)"]);
  await page.click('nav a[data-page=users]');
  await page.waitForSelector('#page-users:not([hidden])');
  await page.click('nav a[data-page=groups]');
  await page.waitForFunction(() => document.getElementById('policy-rows').innerText.includes('lab'));
  policies = await rowTexts(page, '#policy-rows');
  check(policies.length === 1 && policies[0].includes('gone (not configured)'),
    'a quota class the configuration does not have is shown as not configured', policies.join(' | '));
  check(dialogs.length === 0, 'no script ran from the data (no alert)', dialogs.join(' | '));

  await browser.close();
  console.log(`${checks} checks, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.log(`  FAIL ${e.stack || e}`); process.exit(1); });

// Drives the built-in dashboard in headless Chromium against a liaisond that
// tests/integration/test_dashboard.c fed with a scripted incident, and checks what a person
// would see. Environment (set by that test):
//   LIAISON_URL          the daemon's base URL
//   LIAISON_TOKEN        a token with the read and write scopes
//   EXPECT_BUCKET        the alarming bucket, "dimension:value"
//   EXPECT_ALERT         the name of the firing alert
//   EXPECT_ALERT_BUCKET  a charted bucket that alert covers, "dimension:value"
//   EXPECT_DECISION      the text of a decision already in the incident's log
//   NEW_DECISION         the decision this script records through the form
//   EXPECT_HANDOFF_ROLE  a role of the incident whose holder asked for relief
//   NEW_SCRIBE           the person this script makes scribe through the roles form
//   ARTIFACTS            directory for screenshots
//   CHROMIUM             the browser (default /usr/bin/chromium)
// Exits 0 when every check passed, 1 with the failed check on stderr otherwise.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`dashboard.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const url = env('LIAISON_URL');
const token = env('LIAISON_TOKEN');
const [dimension, value] = env('EXPECT_BUCKET').split(':');
const alertName = env('EXPECT_ALERT');
const alertBucket = env('EXPECT_ALERT_BUCKET');
const oldDecision = env('EXPECT_DECISION');
const newDecision = env('NEW_DECISION');
const artifacts = env('ARTIFACTS');
const handoffRole = env('EXPECT_HANDOFF_ROLE');
const newScribe = env('NEW_SCRIBE');
mkdirSync(artifacts, { recursive: true });

const TIMEOUT_MS = 15000;
let failures = 0;
async function check(what, fn) {
  try {
    await fn();
    console.log(`ok - ${what}`);
  } catch (err) {
    failures++;
    console.error(`not ok - ${what}: ${err.message.split('\n')[0]}`);
  }
}
function expect(cond, message) {
  if (!cond) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const requests = [];
const consoleErrors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.goto(url + '/');
  await check('asks for a token first', async () => {
    await page.locator('#signin-panel').waitFor({ state: 'visible' });
  });
  await check('a wrong token is refused with a message', async () => {
    await page.fill('#token', 'not-a-real-token-0000000');
    await page.press('#token', 'Enter');
    await page.locator('#signin-error').filter({ hasText: /token/i }).waitFor();
  });
  await page.fill('#token', token);
  await page.click('#signin button[type=submit]');

  await check('banner shows the recommended severity and the bucket', async () => {
    await page.locator('#severity').filter({ hasText: /^SEV[1-4]$/ }).waitFor();
    const text = await page.locator('#escalations').innerText();
    expect(text.includes(`${dimension}=${value}`), `escalation list reads "${text}"`);
    const sev = await page.locator('#severity').innerText();
    expect(await page.locator('#banner').getAttribute('class') === `banner sev-${sev}`,
      'banner colour class does not follow the severity');
  });
  await check('bars show the bucket observed above expected and alarming', async () => {
    if (dimension !== 'country') await page.click(`#dimensions button:text-is("${dimension.replace('_', ' ')}")`);
    const row = page.locator(`#bars li[data-value="${value}"]`);
    await row.locator('.badge.alarming').waitFor();
    const label = await row.locator('.track').getAttribute('aria-label');
    const [observed, expected] = label.match(/[\d.]+/g).map(Number);
    expect(observed > expected, `bar label "${label}"`);
  });
  await check('chart plots the bucket with its baseline and the alert marks', async () => {
    const fig = page.locator(`figure[data-bucket="${dimension}:${value}"]`);
    await fig.waitFor();
    const d = await fig.locator('path.observed').getAttribute('d');
    expect(d && d.split('L').length > 10, `observed path has too few points: ${d}`);
    expect(await fig.locator('path.expected').count() === 1, 'no baseline path');
    const covered = page.locator(`figure[data-bucket="${alertBucket}"]`);
    await covered.locator('line.fired').first().waitFor({ state: 'attached' });
    const mark = await covered.locator('line.fired title').first().textContent();
    expect(mark.includes(alertName), `fire mark reads "${mark}"`);
    expect(await fig.locator('line.fired').count() === 0, 'a mark of an alert that does not cover the bucket');
  });
  await check('hotspots list the bucket', async () => {
    await page.locator('#hotspots td').filter({ hasText: `${dimension}=${value}` }).first().waitFor();
  });
  await check('firing alerts list the alert', async () => {
    await page.locator('#alerts li').filter({ hasText: alertName }).waitFor();
  });
  await check('decision log shows the recorded decision', async () => {
    await page.locator('#decisions li').filter({ hasText: oldDecision }).waitFor();
  });
  await check('roles show holders and a due hand-off in words', async () => {
    const row = page.locator(`#roles tr[data-role="${handoffRole}"]`);
    await row.filter({ hasText: 'Hand-off due (relief asked)' }).waitFor();
    expect(await row.getAttribute('class') === 'handoff-due', 'the due row is not highlighted');
    const commander = await page.locator('#roles tr[data-role="commander"]').innerText();
    expect(commander.includes('ic@example.com'), `commander row reads "${commander}"`);
  });
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });

  await check('a role assigned in the form appears in the roles', async () => {
    await page.fill('#role-form input[name=who]', 'ic@example.com');
    await page.selectOption('#role-form select[name=role]', 'scribe');
    await page.fill('#role-form input[name=holder]', newScribe);
    await page.click('#role-form button[type=submit]');
    await page.locator('#roles tr[data-role="scribe"]').filter({ hasText: newScribe }).waitFor();
    await page.locator('#role-status').filter({ hasText: 'scribe handed to' }).waitFor();
  });

  await check('a decision submitted in the form appears in the log', async () => {
    await page.fill('#decision input[name=who]', 'liaison@example.com');
    await page.selectOption('#decision select[name=channel]', 'chat');
    await page.fill('#decision input[name=what]', newDecision);
    await page.fill('#decision textarea[name=why]', 'tickets from the browser test');
    await page.click('#decision button[type=submit]');
    await page.locator('#decisions li').filter({ hasText: newDecision }).waitFor();
  });
  await check('the form is reachable with the keyboard alone', async () => {
    await page.locator('#decision input[name=who]').focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('name'));
    expect(focused === 'channel', `Tab from "who" went to "${focused}"`);
  });
  await check('wall screen mode enlarges the page', async () => {
    const before = await page.evaluate(() => getComputedStyle(document.body).fontSize);
    await page.click('#wall');
    const after = await page.evaluate(() => getComputedStyle(document.body).fontSize);
    expect(parseFloat(after) > parseFloat(before), `font ${before} -> ${after}`);
    await page.screenshot({ path: join(artifacts, 'dashboard-wall.png'), fullPage: true });
  });
  await check('the token never appears in a URL', async () => {
    const leaked = requests.filter((u) => u.includes(token));
    expect(leaked.length === 0, `in ${leaked[0]}`);
  });
  await check('no script errors in the console', async () => {
    const real = consoleErrors.filter((t) => !/status of 401/.test(t));
    expect(real.length === 0, real.join(' | '));
  });
} finally {
  await browser.close();
}
process.exit(failures === 0 ? 0 : 1);

/**
 * The web console end to end: the sandbox fails a standalone task and replaces it, the console (in process)
 * relays the page's calls to the sandbox's API signed with the sandbox credentials, and headless Chromium
 * shows the failed task's timeline, links its replacement, lists a schedule, and a screenshot of each view.
 */
import { join } from 'node:path';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import type { Browser, Page } from 'puppeteer-core';
import { type RunningConsole, startConsole } from '../../src/cli/console';
import { launchBrowser, screenshotsDir, show } from '../support/browser';
import {
  advanceUntil,
  replacementsIn,
  type startTestSandbox as Start,
  SUBNETS,
  startTestSandbox,
} from '../support/sandbox';
import { SANDBOX_SIGNING, sandboxFetch } from '../support/signedFetch';

let env: Awaited<ReturnType<typeof Start>>;
let server: RunningConsole;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  env = await startTestSandbox();
  const apiUrl = env.sandbox.apiUrl as string;
  server = await startConsole(
    {
      stage: 'sandbox',
      apiUrl: async () => apiUrl,
      region: async () => SANDBOX_SIGNING.region,
      credentials: async () => SANDBOX_SIGNING.credentials,
    },
    { port: 0, cluster: 'sandbox' },
  );
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(server.url);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await env?.stop();
});

const shot = (name: string) =>
  page.screenshot({ path: join(screenshotsDir(), `${name}.png`), fullPage: true });

describe('the web console against the sandbox', () => {
  it("shows a failed task's timeline and links its replacement, which shows the chain", async () => {
    const out = await env.clients.ecs.send(
      new RunTaskCommand({
        cluster: 'sandbox',
        taskDefinition: 'sandbox-worker',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
        overrides: {
          containerOverrides: [{ name: 'worker', environment: [{ name: 'SANDBOX_EXIT_CODE', value: '1' }] }],
        },
        tags: [{ key: 'ecs-autopilot:max-attempts', value: '1' }],
      }),
    );
    const originArn = out.tasks?.[0]?.taskArn as string;
    const originId = originArn.split('/').pop() as string;
    const [replacement] = await advanceUntil(env.sandbox, 'a replacement', async () => {
      const r = await replacementsIn(env.sandbox, originArn);
      return r.length > 0 && r;
    });
    const replacementId = replacement?.taskId as string;
    // The history records the decision's replacement once the launch is written back.
    await advanceUntil(env.sandbox, 'the decision to name the replacement', async () => {
      const body = (await (await sandboxFetch(`${env.sandbox.apiUrl}/tasks/${originId}`)).json()) as {
        decision?: { replacementTaskArns?: string[] };
      };
      return body.decision?.replacementTaskArns?.some((a) => a.endsWith(replacementId));
    });

    const text = await show(page, `#/task/${originId}`);
    expect(text).toContain(`Task ${originId}`);
    const transitions = await page.$$eval('[data-transitions] tbody tr', (rows) =>
      rows.map((r) =>
        Array.from(r.querySelectorAll('td'), (td) => (td as { textContent: string | null }).textContent),
      ),
    );
    expect(transitions.map((t) => t[1])).toEqual(
      expect.arrayContaining(['PROVISIONING', 'RUNNING', 'STOPPED']),
    );
    expect(transitions.some((t) => /EssentialContainerExited · worker=1/.test(t[4] ?? ''))).toBe(true);
    expect(text).toContain('Decision at');
    expect(text).toContain('restart');
    // The timeline chart has a bar for each transition of each task in the chain.
    const bars = (await page.evaluate(
      `Chart.getChart(document.querySelector('canvas')).data.datasets.flatMap((d) => d.data.map((p) => p.y))`,
    )) as string[];
    expect(bars.filter((y) => y.includes(originId.slice(0, 8))).length).toBe(transitions.length);
    const link = await page.$eval('a[data-rel="replacement"]', (a) => a.getAttribute('href'));
    expect(link).toBe(`#/task/${replacementId}`);
    await shot('task');

    await page.click('a[data-rel="replacement"]');
    await page.waitForSelector(`[data-task="${replacementId}"]`);
    await page.waitForSelector('#view[data-state="ready"]');
    const chain = await page.$$eval('[data-chain] tbody tr', (rows) =>
      rows.map((r) => r.querySelector('td:nth-child(2)')?.textContent),
    );
    expect(chain).toEqual([originId, replacementId]);
    expect(await page.$eval('a[data-rel="origin"]', (a) => a.getAttribute('href'))).toBe(
      `#/task/${originId}`,
    );
    await shot('task-replacement');
  }, 90_000);

  it('lists a schedule with its next runs and its run history (a run started now)', async () => {
    const created = await sandboxFetch(`${env.sandbox.apiUrl}/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'console-nightly',
        expression: 'cron(30 2 * * ? *)',
        timezone: 'Europe/Paris',
        cluster: 'sandbox',
        taskDefinition: 'sandbox-worker',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      }),
    });
    expect(created.status).toBe(201);
    // One run now, so the history has a row: its request id, its manual trigger.
    const run = await sandboxFetch(`${env.sandbox.apiUrl}/schedules/console-nightly/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    const { requestId } = (await run.json()) as { requestId: string };
    const text = await show(page, '#/schedules');
    expect(text).toContain('console-nightly');
    expect(text).toContain('cron(30 2 * * ? *) (Europe/Paris)');
    expect(text).toMatch(/\d{4}-\d\d-\d\d 0[01]:30:00 UTC/); // 02:30 in Paris
    expect(text).toContain('Runs of console-nightly');
    const runs = await page.$$eval('[data-runs="console-nightly"] tbody tr', (rows) =>
      rows.map((r) => r.querySelector('td:nth-child(2)')?.textContent),
    );
    expect(runs).toEqual(['manual']);
    expect(requestId).toMatch(/^m-console-nightly-/);
    await shot('schedules');
  });

  it('shows the recent tasks of the cluster, and the cluster state as not available until the stage serves it', async () => {
    const text = await show(page, '#/cluster/sandbox');
    expect(text).toContain('Recent tasks');
    expect(await page.$$('[data-tasks] tbody tr')).not.toHaveLength(0);
    await shot('cluster');
    await show(page, '#/actions/sandbox');
    await shot('actions');
  });
});

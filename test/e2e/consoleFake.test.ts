/**
 * The console in headless Chromium against a fake API (no sandbox, a few seconds): the cluster view and the
 * actions view drawn from a realistic ClusterState and CapacityMix, Chart.js's charts built from them, API
 * text kept as text, and a 404 from a stage without the cluster routes shown as "not available".
 */
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { type RunningConsole, startConsole } from '../../src/cli/console';
import { launchBrowser, screenshotsDir, show } from '../support/browser';
import { CAPACITY_MIX, CLUSTER_STATE, startFakeApi } from '../support/fakeApi';

let api: Awaited<ReturnType<typeof startFakeApi>>;
let server: RunningConsole;
let browser: Browser;
let page: Page;
const errors: string[] = [];

const hostile = '<img src=x onerror="window.pwned=1">';

beforeAll(async () => {
  api = await startFakeApi({
    'GET /clusters/prod': { status: 200, body: CLUSTER_STATE },
    'GET /clusters/prod/capacity': { status: 200, body: CAPACITY_MIX },
    'GET /tasks': {
      status: 200,
      body: {
        tasks: [
          {
            taskId: '9f1c2d3e4b5a',
            lastStatus: 'RUNNING',
            classification: 'running',
            taskDefinition: `worker:3 ${hostile}`,
          },
        ],
      },
    },
  });
  const target = {
    stage: 'fake',
    apiUrl: async () => api.url,
    region: async () => 'us-east-1',
    credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
  };
  server = await startConsole(target, { port: 0, cluster: 'prod' });
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await api?.close();
});

describe('the console against a fake API', () => {
  it('draws the cluster state: counts, the capacity charts, services, restarts, breakers, budgets', async () => {
    const text = await show(page, '#/cluster/prod');
    expect(await page.$eval('#stage', (e) => e.textContent)).toBe('· stage fake');
    for (const shown of [
      'Cluster prod',
      '14running',
      'stopped in the last hour',
      'web',
      'on-demand',
      'failed-app',
      'nightly-report',
      'OPEN',
      '12 / 100',
      'FARGATE_SPOT',
      'Spot saved an estimated USD 5.31',
    ]) {
      expect(text).toContain(shown);
    }
    const charts = await page.evaluate(`Array.from(document.querySelectorAll('canvas')).map((c) => {
      const chart = Chart.getChart(c);
      return { type: chart.config.type, labels: chart.data.labels, data: chart.data.datasets.map((d) => d.data) };
    })`);
    expect(charts).toEqual([
      {
        type: 'doughnut',
        labels: [
          'FARGATE_SPOT (Fargate, Spot)',
          'FARGATE (Fargate, on-demand)',
          'ec2-spot (EC2, Spot)',
          'ec2-on-demand (EC2, on-demand)',
        ],
        data: [[7, 4, 2, 1]],
      },
      {
        type: 'bar',
        labels: ['api', 'worker', 'nightly-report'],
        data: [
          [6, 5, 3],
          [0, 2, 0],
        ],
      },
      {
        type: 'bar',
        labels: ['api', 'worker'],
        data: [
          [110, 80],
          [34, 12],
          [6, 2],
        ],
      },
    ]);
    // API text is text: the hostile task definition shows as written and runs nothing.
    expect(text).toContain(hostile);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    await page.screenshot({ path: join(screenshotsDir(), 'fake-cluster.png'), fullPage: true });
  });

  it('lists the recent actions, automatic ones marked, tasks linked', async () => {
    const text = await show(page, '#/actions/prod');
    expect(text).toContain('4 by the automation, 1 by callers of the API.');
    expect(text).toContain('service-fallback');
    expect(text).toContain('arn:aws:iam::123456789012:user/alice');
    expect(
      await page.$$eval('[data-actions] a', (links) => links.map((a) => a.getAttribute('href'))),
    ).toEqual(['#/task/9f1c2d3e4b5a', '#/task/5e4d3c2b1a09', '#/task/7a6b5c4d3e2f']);
    await page.screenshot({ path: join(screenshotsDir(), 'fake-actions.png'), fullPage: true });
  });

  it('shows "not available" for a cluster whose state the API does not serve (404), and still its tasks', async () => {
    const text = await show(page, '#/cluster/other');
    expect(text).toContain('Cluster state: not available (404 NotFound: no route GET /clusters/other)');
    expect(text).toContain('Capacity mix: not available');
    expect(text).toContain('9f1c2d3e4b5a');
    expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});

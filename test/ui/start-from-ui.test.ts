// A sweep started the way a researcher does it in the Temporal UI: headless Chromium on the dev
// server's real Web UI (Start Workflow → SweepWorkflow on `binllm` → JSON spec), then the rows in
// Postgres and the workflow's result; and a bad spec whose readable error (JSON paths) shows on
// the workflow's page. Own stack (.binllm/test-ui, ports 7253/8253/5453), fresh each run, stopped
// at the end.
// Needs a Chromium binary (/usr/bin/chromium, or BINLLM_CHROMIUM); skipped without one.
import { UI_URL, freshHome } from './ui-env.ts'; // first: isolates BINLLM_HOME/ports before stack.ts reads them
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../../db/paths.ts';
import { closeTestDb, ensureStack, query, startInProcessWorker, temporalClient, uniqueId, waitUntil } from '../support/stack.ts';
import type { Client } from '@temporalio/client';
import type { SweepProgress } from '../../workflows/progress.ts';
import { validateSweepSpec } from '../../hypotheses/sweep-spec.ts';
import { planSweep } from '../../hypotheses/cells.ts';

const CHROMIUM = process.env.BINLLM_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set BINLLM_CHROMIUM)`;
const OUT = path.join(repoRoot, 'test-output');
const NAMESPACE = 'default';

// A small real sweep: H1 (hamming kernel) on one bit width and one variant × the preset's 3 seeds.
// Without a built hamming kernel, the noop self-check H0 still proves the UI path.
const hammingBuilt = existsSync(path.join(process.env.BINLLM_KERNEL_BUILD!, 'bin', 'binllm-hamming'));
const GOOD_SPEC = hammingBuilt
  ? '{"preset":"quick","hypotheses":["H1"],"grid":{"H1":{"bits":[64]}},"variants":{"H1":["rhp"]},"report":false}'
  : '{"hypotheses":["H0"],"seeds":[1,2,3],"report":false}';
const hypothesis = hammingBuilt ? 'H1' : 'H0';
const BAD_SPEC = '{"hypotheses":["H1","H9"],"seeds":[]}';

let worker: Awaited<ReturnType<typeof startInProcessWorker>> | undefined;
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) if (/^ui-.*\.png$/.test(f)) rmSync(path.join(OUT, f)); // this test's, from an earlier run
  await freshHome();
  await ensureStack();
  worker = await startInProcessWorker({ concurrency: 2 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  await worker?.stop();
  await closeTestDb();
  if (!skip) await (await import('../../bin/commands/stack.ts')).down();
});

async function newPage(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  // Only the local UI: anything else (fonts, telemetry) is refused so nothing leaves the machine.
  await page.route(/^(?!http:\/\/(localhost|127\.0\.0\.1)[:/]).*/, (r) => r.abort());
  return page;
}

/** Runs `fn`; on failure saves a full-page screenshot (of `showUrl` if given) and names it in the error. */
async function withScreenshot<T>(page: Page, name: string, fn: () => Promise<T>, showUrl?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (showUrl) {
      await page.goto(showUrl).catch(() => {});
      await page.waitForTimeout(3000); // a running workflow's page keeps polling: no network-idle to wait for
    }
    const shot = path.join(OUT, `ui-${name}-failure.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `${e.message}\n(screenshot: ${shot}; page: ${page.url()})`;
    throw e;
  }
}

/** The first WorkflowTaskFailed message in these workflows' histories (a deterministic bug in the workflow code). */
async function failingWorkflowTask(client: Client, ids: string[]): Promise<string | undefined> {
  for (const wid of ids) {
    const history = await client.workflow.getHandle(wid).fetchHistory().catch(() => undefined);
    const failed = history?.events?.find((e) => e.workflowTaskFailedEventAttributes);
    if (failed) return `${wid}: ${failed.workflowTaskFailedEventAttributes!.failure?.message ?? '(no message)'}`;
  }
  return undefined;
}

/**
 * The researcher's steps: Workflows → Start Workflow → Workflow ID, Task Queue, Workflow Type,
 * Input › Data (json/plain) → Start Workflow. Returns the run id the UI's start call got back.
 */
async function startFromUi(page: Page, name: string, workflowId: string, spec: string): Promise<string> {
  await page.goto(`${UI_URL}/namespaces/${NAMESPACE}/workflows`);
  await page.locator('a[href*="/workflows/start-workflow"]', { hasText: 'Start Workflow' }).click();
  await page.waitForURL(/\/workflows\/start-workflow/);
  await page.getByTestId('start-workflow').waitFor(); // the "Start a Workflow" heading
  await page.locator('#workflowId').fill(workflowId);
  await page.locator('#taskQueue').fill('binllm');
  await page.locator('#workflowType').fill('SweepWorkflow');
  await page.locator('#workflowType').blur();
  // The task queue check: the UI shows "Task Queue is Active" once it sees our worker polling.
  await page.getByText('Task Queue is Active').waitFor();
  const data = page.locator('main [role="textbox"][contenteditable="true"]'); // Input › Data (CodeMirror)
  await data.click();
  await data.fill(spec);
  // Leave the editor before pressing Start: on blur the UI pretty-prints the JSON, which moves the
  // button, so a click straight from the editor lands beside it and starts nothing.
  await page.getByTestId('start-workflow').click();
  await page.getByLabel('json/plain').check();
  await page.screenshot({ path: path.join(OUT, `ui-${name}-form.png`), fullPage: true });
  const button = page.getByTestId('start-workflow-button');
  assert.ok(await button.isEnabled(), 'the Start Workflow button is disabled with every field filled');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/workflows/${encodeURIComponent(workflowId)}`)),
    button.click(),
  ]);
  const body = await response.json().catch(() => ({})) as { runId?: string; message?: string };
  assert.equal(response.status(), 200, `the UI's start call failed: ${JSON.stringify(body)}`);
  assert.ok(body.runId, 'the UI start call returned no run id');
  await page.getByText(/workflow started/i).first().waitFor(); // the success toast
  await page.screenshot({ path: path.join(OUT, `ui-${name}-started.png`), fullPage: true });
  return body.runId;
}

test('a sweep started from the Temporal UI runs exactly like one from the CLI', { skip, timeout: 300_000 }, async () => {
  const page = await newPage();
  const id = uniqueId('ui-sweep');
  const t0 = Date.now();
  const runId = await withScreenshot(page, 'start', () => startFromUi(page, 'start', id, GOOD_SPEC));

  const client = await temporalClient();
  try {
    const handle = client.workflow.getHandle(id);
    const desc = await handle.describe();
    assert.equal(desc.type, 'SweepWorkflow');
    assert.equal(desc.taskQueue, 'binllm');
    assert.equal(desc.runId, runId);

    // Rows in Postgres; a workflow task that keeps failing (the sweep would sit "Running" forever,
    // retrying) fails the test at once with the worker's error instead of a timeout.
    const workflowPage = `${UI_URL}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(id)}/${runId}/history`;
    const { rows, result } = await withScreenshot(page, 'sweep', async () => {
      const rows = await waitUntil('metric rows of the UI-started sweep', async () => {
        const stuck = await failingWorkflowTask(client, [id, `${id}.${hypothesis}`]);
        if (stuck) throw new Error(`the sweep's workflow task fails in the worker: ${stuck}`);
        const [r] = await query<{ n: number }>('select count(*)::int as n from metric_rows where sweep_id = $1', [id]);
        return r.n > 0 && r.n;
      }, 180_000);
      return { rows, result: await handle.result() as SweepProgress };
    }, workflowPage);
    assert.equal(result.phase, 'completed');
    // Exactly the sweep the CLI would submit for the same JSON: the CLI validates and plans it here.
    const v = validateSweepSpec(JSON.parse(GOOD_SPEC));
    assert.ok(v.ok, 'the test spec itself is invalid');
    const plan = planSweep(v.spec);
    assert.equal(result.totals.total, plan.totalCells);
    const cells = await query<{ hypothesis: string; n: number }>(
      "select hypothesis, count(*)::int as n from sweep_cells where sweep_id = $1 and status = 'ok' group by hypothesis", [id]);
    assert.deepEqual(cells, plan.hypotheses.filter((h) => h.cells > 0).map((h) => ({ hypothesis: h.hypothesis, n: h.cells })));
    assert.ok(result.totals.total > 0 && result.totals.ok === result.totals.total, `cells: ${JSON.stringify(result.totals)}`);
    const [sweep] = await query<{ status: string }>('select status from sweeps where id = $1', [id]);
    assert.equal(sweep?.status, 'completed');
    console.error(`ui sweep ${id}: ${result.totals.ok} cells ok, ${rows}+ metric rows, ${((Date.now() - t0) / 1000).toFixed(1)} s (${hypothesis})`);

    // And the UI shows it completed.
    await withScreenshot(page, 'completed', async () => {
      await page.goto(workflowPage);
      await page.getByText('Completed', { exact: true }).first().waitFor(); // the status badge
      await page.screenshot({ path: path.join(OUT, 'ui-start-completed.png'), fullPage: true });
    });
  } finally {
    // A sweep left running (a failure above) would be retried by the next run's worker: end it.
    await client.workflow.getHandle(id).terminate('UI test cleanup').catch(() => {});
    await client.connection.close();
    await page.close();
  }
});

test('a bad spec pasted into the UI fails with its JSON paths readable on the workflow page', { skip, timeout: 180_000 }, async () => {
  const page = await newPage();
  const id = uniqueId('ui-bad');
  const runId = await withScreenshot(page, 'bad-start', () => startFromUi(page, 'bad', id, BAD_SPEC));

  const client = await temporalClient();
  try {
    await withScreenshot(page, 'bad-close', () => waitUntil('the bad-spec sweep to close', async () => {
      const stuck = await failingWorkflowTask(client, [id]);
      if (stuck) throw new Error(`the sweep's workflow task fails in the worker: ${stuck}`);
      return (await client.workflow.getHandle(id).describe()).status.name !== 'RUNNING';
    }, 60_000), `${UI_URL}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(id)}/${runId}/history`);
    await assert.rejects(client.workflow.getHandle(id).result(), (err: Error) => {
      assert.match(String((err.cause as Error | undefined)?.message), /Invalid sweep spec[\s\S]*\$\.hypotheses\[1\][\s\S]*\$\.seeds/);
      return true;
    });
  } finally {
    await client.workflow.getHandle(id).terminate('UI test cleanup').catch(() => {});
    await client.connection.close();
  }

  await withScreenshot(page, 'bad-page', async () => {
    await page.goto(`${UI_URL}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(id)}/${runId}/history`);
    await page.getByText('Failed', { exact: true }).first().waitFor(); // the status badge
    await page.getByText('$.hypotheses[1]').first().waitFor({ timeout: 20_000 });
    const text = await page.locator('main').innerText();
    await page.screenshot({ path: path.join(OUT, 'ui-bad-spec-page.png'), fullPage: true });
    assert.match(text, /Invalid sweep spec/);
    assert.match(text, /\$\.hypotheses\[1\]/);
    assert.match(text, /\$\.seeds/);
  });
  await page.close();
});

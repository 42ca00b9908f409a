import type { Browser, Locator, Page, Request } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBrowser, launchChromium, screenshot } from "./browser.js";
import { countsByNameAndStatus, expectedInstances, type ExpectedInstance } from "./expected.js";
import { MONITOR_TEST_APP, startMonitorPipeline, type MonitorPipeline } from "./monitor-pipeline.js";
import { initialEvents, lateEvents, MARKUP, markupEvents } from "./scenario.js";

const PAGE_SIZE = 50;

/** The value of `attribute` on each element `locator` matches, in document order. */
async function attributes(locator: Locator, attribute: string): Promise<(string | null)[]> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(attribute)));
}

describeBrowser("monitor web UI, fed through emitter → bridge → dev sidecar → monitor", () => {
  const nowMs = Date.now();
  const initial = [...initialEvents(nowMs), ...markupEvents(nowMs)];
  const expected = expectedInstances(initial);
  const instances = [...expected.values()];
  const failed = (list: readonly ExpectedInstance[]) => list.filter((instance) => instance.status === "FAILED");
  let pipeline: MonitorPipeline;
  let browser: Browser;
  let page: Page;
  const screenshots: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    pipeline = await startMonitorPipeline();
    await pipeline.send(initial);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.close();
    if (screenshots.length > 0) process.stdout.write(`monitor UI screenshots:\n  ${screenshots.join("\n  ")}\n`);
  });

  it("shows each workflow's instances by status, and the actor types, on the overview", async () => {
    await page.goto(pipeline.url);
    await page.getByTestId("workflow-row").first().waitFor();
    const shown = new Map<string, Map<string, number>>();
    for (const row of await page.getByTestId("workflow-row").all()) {
      expect(await row.getAttribute("data-app")).toBe(MONITOR_TEST_APP);
      const byStatus = new Map<string, number>();
      for (const chip of await row.locator('[data-testid^="count-"]').all()) {
        const status = (await chip.getAttribute("data-testid"))?.slice("count-".length) ?? "";
        const count = await chip.getAttribute("data-count");
        expect(await chip.textContent()).toMatch(new RegExp(` ${count}$`)); // the number a person reads
        byStatus.set(status, Number(count));
      }
      shown.set((await row.getAttribute("data-name")) ?? "", byStatus);
    }
    expect(shown).toEqual(countsByNameAndStatus(instances));
    const failedTotal = page.getByTestId("total-FAILED");
    expect(Number(await failedTotal.getAttribute("data-count"))).toBe(failed(instances).length);
    expect(await failedTotal.locator(".card-count").textContent()).toBe(String(failed(instances).length));
    const actorTypes = new Set(initial.flatMap((event) => (event.facts.actor ? [event.facts.actor.type] : [])));
    expect(new Set(await attributes(page.getByTestId("actor-row"), "data-actor-type"))).toEqual(actorTypes);
    screenshots.push(await screenshot(page, "overview"));
  });

  it("lists the failed instances only, from a click on a workflow's failed count", async () => {
    const payments = failed(instances).filter((instance) => instance.name === MARKUP.name);
    await page.goto(pipeline.url);
    const row = page.locator(`[data-testid=workflow-row][data-name="${MARKUP.name}"]`);
    await row.getByTestId("count-FAILED").click();
    await page
      .getByTestId("list-summary")
      .filter({ hasText: `of ${payments.length} instances` })
      .waitFor();
    expect(await page.getByTestId("filter-status").inputValue()).toBe("FAILED");
    const rows = page.getByTestId("instance-row");
    expect(new Set(await attributes(rows, "data-status"))).toEqual(new Set(["FAILED"]));
    expect(new Set(await attributes(rows, "data-instance-id"))).toEqual(
      new Set(payments.map((instance) => instance.instanceId)),
    );
    screenshots.push(await screenshot(page, "instances-failed"));
  });

  it("pages through every instance by cursor, older and back", async () => {
    expect(instances.length).toBeGreaterThan(PAGE_SIZE); // the scenario must need two pages
    const ids = () => attributes(page.getByTestId("instance-row"), "data-instance-id");
    const summary = page.getByTestId("list-summary");
    const listRequests: URL[] = [];
    const onRequest = (request: Request) => {
      const url = new URL(request.url());
      if (url.pathname === "/api/instances") listRequests.push(url);
    };
    page.on("request", onRequest);
    await page.goto(`${pipeline.url}#/instances?app=${MONITOR_TEST_APP}`);
    await summary.filter({ hasText: `Showing 1–${PAGE_SIZE} of ${instances.length} instances` }).waitFor();
    const first = await ids();
    await page.getByTestId("page-next").click();
    await summary.filter({ hasText: `Showing ${PAGE_SIZE + 1}–${instances.length} of` }).waitFor();
    const second = await ids();
    expect(await page.getByTestId("page-next").isDisabled()).toBe(true);
    expect(new Set([...first, ...second])).toEqual(new Set(expected.keys()));
    expect(first.length + second.length).toBe(instances.length);
    await page.getByTestId("page-prev").click();
    await summary.filter({ hasText: `Showing 1–${PAGE_SIZE} of` }).waitFor();
    expect(await ids()).toEqual(first);
    expect(await page.getByTestId("page-prev").isDisabled()).toBe(true);
    page.off("request", onRequest);
    // Every list request asks for one page, whatever the number of instances stored.
    expect(listRequests.map((url) => url.searchParams.get("limit"))).toEqual(listRequests.map(() => `${PAGE_SIZE}`));
    expect(listRequests.length).toBeGreaterThanOrEqual(3);
  });

  it("shows a failed instance's failure and its history as a timeline, in order", async () => {
    const [longest] = failed(instances)
      .filter((instance) => instance.instanceId !== MARKUP.instanceId)
      .sort((a, b) => b.types.length - a.types.length);
    if (longest === undefined) throw new Error("the scenario has no failed workflow");
    await page.goto(`${pipeline.url}#/instances?status=FAILED&name=${longest.name}`);
    await page.getByTestId("instance-link").filter({ hasText: longest.instanceId }).click();
    const failure = page.getByTestId("failure");
    await failure.waitFor();
    expect(await failure.getByTestId("failure-type").textContent()).not.toBe("");
    expect(await attributes(page.getByTestId("timeline-event"), "data-type")).toEqual(longest.types);
    const data = page.getByTestId("event-data").first();
    await data.locator("summary").click();
    await data.locator("pre").filter({ hasText: "io.dapr.workflows.started" }).waitFor();
    screenshots.push(await screenshot(page, "instance-failed"));
  });

  it("links a parent workflow and its child both ways", async () => {
    const parent = instances.find((instance) => instance.types.includes("io.dapr.workflows.child.created"));
    if (parent === undefined) throw new Error("the scenario has no workflow with a child");
    await page.goto(`${pipeline.url}#/instance/${MONITOR_TEST_APP}/${parent.instanceId}`);
    const child = page.getByTestId("child-link").first();
    await child.waitFor();
    const childId = (await child.textContent()) ?? "";
    expect(expected.has(childId)).toBe(true);
    await child.click();
    await page.getByTestId("instance-id").filter({ hasText: childId }).waitFor();
    const back = page.getByTestId("parent-link");
    await back.waitFor();
    expect(await back.textContent()).toBe(parent.instanceId);
  });

  it("shows failure text carrying markup as text", async () => {
    await page.goto(`${pipeline.url}#/instance/${MONITOR_TEST_APP}/${MARKUP.instanceId}`);
    const failure = page.getByTestId("failure");
    await failure.waitFor();
    expect(await failure.getByTestId("failure-type").textContent()).toBe(MARKUP.errorType);
    expect(await failure.getByTestId("failure-message").textContent()).toBe(MARKUP.errorMessage);
    expect(await failure.getByTestId("failure-stack").textContent()).toBe(MARKUP.stackTrace);
    expect(await page.locator("main img, main script, main b").count()).toBe(0);
    expect(await page.title()).not.toContain("injected");
    expect(await attributes(page.getByTestId("timeline-event"), "data-type")).toEqual(
      expected.get(MARKUP.instanceId)?.types,
    );
  });

  it("says so in the page when the API answers an error", async () => {
    await page.goto(`${pipeline.url}#/instance/${MONITOR_TEST_APP}/no-such-instance`);
    const error = page.getByTestId("error");
    await error.waitFor();
    expect(await error.textContent()).toContain("HTTP 404");
  });

  it("shows new failures live, through server-sent events, without a reload", async () => {
    const late = [...expectedInstances(lateEvents(nowMs)).values()];
    const lateFailed = failed(late);
    expect(lateFailed.length).toBeGreaterThan(0); // the scenario must fail some late instance
    const before = failed(instances).length;
    await page.goto(`${pipeline.url}#/instances?status=FAILED&app=${MONITOR_TEST_APP}`);
    await page
      .getByTestId("list-summary")
      .filter({ hasText: `of ${before} instances` })
      .waitFor();
    await page.locator('[data-testid=live-status][data-state="live"]').waitFor();
    let loads = 0;
    page.on("load", () => loads++);
    await pipeline.send(lateEvents(nowMs));
    const after = before + lateFailed.length;
    await page.locator(`[data-testid=list-summary][data-total="${after}"]`).waitFor();
    const shown = new Set(await attributes(page.getByTestId("instance-row"), "data-instance-id"));
    for (const instance of lateFailed) expect(shown).toContain(instance.instanceId);
    expect(loads).toBe(0);
    screenshots.push(await screenshot(page, "instances-live"));
  });

  it("raised no script errors", () => {
    expect(pageErrors).toEqual([]);
  });
});

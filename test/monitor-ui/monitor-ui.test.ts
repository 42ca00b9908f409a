import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBrowser, launchChromium, screenshot } from "./browser.js";
import { startFakeMonitor, type FakeMonitor } from "./fake-monitor.js";
import { FAILED_PAYMENT, fixtureInstances, lateFailure } from "./fixtures.js";

describeBrowser("monitor web UI in headless chromium", () => {
  let monitor: FakeMonitor;
  let browser: Browser;
  let page: Page;
  const screenshots: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    monitor = await startFakeMonitor(fixtureInstances());
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await monitor?.close();
    if (screenshots.length > 0) process.stdout.write(`monitor UI screenshots:\n  ${screenshots.join("\n  ")}\n`);
  });

  it("shows counts by status per workflow on the overview", async () => {
    await page.goto(monitor.url);
    const payment = page.locator('[data-testid=workflow-row][data-name="PaymentWorkflow"]');
    await payment.waitFor();
    expect(await payment.getByTestId("count-FAILED").getAttribute("data-count")).toBe("1");
    expect(await payment.getByTestId("count-COMPLETED").getAttribute("data-count")).toBe("2");
    expect(await payment.getByTestId("count-RUNNING").count()).toBe(0);
    expect(await page.getByTestId("total-COMPLETED").getAttribute("data-count")).toBe("122");
    expect(await page.getByTestId("workflow-row").count()).toBe(4);
    expect(await page.getByTestId("actor-row").count()).toBe(1);
    screenshots.push(await screenshot(page, "overview"));
  });

  it("lists failed instances only, with their failure, after a click on the count", async () => {
    await page.locator('[data-testid=workflow-row][data-name="PaymentWorkflow"]').getByTestId("count-FAILED").click();
    await page.getByTestId("list-summary").filter({ hasText: "of 1 instances" }).waitFor();
    const rows = page.getByTestId("instance-row");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-instance-id")).toBe(FAILED_PAYMENT.instanceId);
    expect(await rows.first().textContent()).toContain("payment provider rejected the card <b>4242</b>");
    expect(await page.getByTestId("filter-status").inputValue()).toBe("FAILED");
    screenshots.push(await screenshot(page, "instances-failed"));
  });

  it("pages through a long list by cursor, older and back", async () => {
    await page.goto(`${monitor.url}#/instances?name=BulkWorkflow`);
    const summary = page.getByTestId("list-summary");
    await summary.filter({ hasText: "Showing 1–50 of 120" }).waitFor();
    await page.getByTestId("page-next").click();
    await summary.filter({ hasText: "Showing 51–100 of 120" }).waitFor();
    expect(await page.getByTestId("instance-row").first().getAttribute("data-instance-id")).toBe("bulk-0069");
    await page.getByTestId("page-next").click();
    await summary.filter({ hasText: "Showing 101–120 of 120" }).waitFor();
    expect(await page.getByTestId("page-next").isDisabled()).toBe(true);
    await page.getByTestId("page-prev").click();
    await summary.filter({ hasText: "Showing 51–100 of 120" }).waitFor();
    await page.getByTestId("page-prev").click();
    await summary.filter({ hasText: "Showing 1–50 of 120" }).waitFor();
    expect(await page.getByTestId("page-prev").isDisabled()).toBe(true);
  });

  it("shows an instance's failure details and its history as a timeline", async () => {
    await page.goto(`${monitor.url}#/instances?status=FAILED`);
    await page.getByTestId("instance-link").filter({ hasText: FAILED_PAYMENT.instanceId }).click();
    const failure = page.getByTestId("failure");
    await failure.waitFor();
    expect(await failure.getByTestId("failure-type").textContent()).toBe("InvalidOperationException");
    // The markup in the message is shown as text, never parsed.
    expect(await failure.getByTestId("failure-message").textContent()).toBe(
      "payment provider rejected the card <b>4242</b>",
    );
    expect(await failure.locator("b").count()).toBe(0);
    expect(await failure.getByTestId("failure-stack").textContent()).toContain("at AuthorizeCard (payments.cs:42)");
    const events = page.getByTestId("timeline-event");
    const types = await Promise.all((await events.all()).map((event) => event.getAttribute("data-type")));
    expect(types).toEqual(FAILED_PAYMENT.history.map((event) => event.type));
    expect(await events.getByTestId("event-summary").allTextContents()).toEqual(
      FAILED_PAYMENT.history.map((event) => event.summary),
    );
    const data = events.nth(1).getByTestId("event-data");
    await data.locator("summary").click();
    await data.locator("pre").filter({ hasText: '"AuthorizeCard"' }).waitFor();
    screenshots.push(await screenshot(page, "instance-failed"));
  });

  it("says so in the page when the API answers an error", async () => {
    await page.goto(`${monitor.url}#/instance/orders/no-such-instance`);
    const error = page.getByTestId("error");
    await error.waitFor();
    expect(await error.textContent()).toContain("HTTP 404");
  });

  it("shows a new failure live, through server-sent events, without a reload", async () => {
    await page.goto(`${monitor.url}#/instances?status=FAILED`);
    await page.getByTestId("list-summary").filter({ hasText: "of 1 instances" }).waitFor();
    await page.locator('[data-testid=live-status][data-state="live"]').waitFor();
    let loads = 0;
    page.on("load", () => loads++);
    const late = lateFailure();
    monitor.put(late);
    await page.locator(`[data-testid=instance-row][data-instance-id="${late.instanceId}"]`).waitFor();
    expect(await page.getByTestId("instance-row").count()).toBe(2);
    expect(await page.getByTestId("list-summary").textContent()).toContain("of 2 instances");
    expect(loads).toBe(0);
    screenshots.push(await screenshot(page, "instances-live"));
  });

  it("raised no script errors", () => {
    expect(pageErrors).toEqual([]);
  });
});

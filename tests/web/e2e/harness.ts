/**
 * Real things for the browser suites: a Nexus server process (`bun hosts/bun/server.ts`) on a free
 * port with a temp DATA_DIR, stopped by PID; headless Debian Chromium driven by playwright-core;
 * and page helpers that act like a person would (typing, clicking) through data-testid hooks.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort, spawnLogged, tempDir, waitForHttp, type Spawned } from "../../../scripts/lib/processes.mjs";

export const ROOT = resolve(import.meta.dir, "../../..");
/** Every run takes the screenshots; only `UPDATE_SCREENSHOTS=1 npm test` refreshes the committed
 *  ones in docs/screenshots (otherwise each run would leave the work tree dirty). */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "screenshots") : join(ROOT, "tmp", "screenshots");
const ENSURE: string = join(ROOT, "scripts", "ensure.mjs");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const BASE_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
export const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];

export class NexusServer {
  proc: Spawned | null = null;
  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly env: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(env: Record<string, string> = {}): Promise<NexusServer> {
    // Same staleness rule as `npm test` (scripts/ensure.mjs): rebuild web/dist only if sources are newer.
    const ensure = (await import(ENSURE)) as { ensureWebBuild(): void };
    ensure.ensureWebBuild();
    const s = new NexusServer(await freePort(), tempDir("nexus-web-e2e-"), env);
    await s.boot();
    return s;
  }

  /** (Re)start on the same port and DATA_DIR: the "server came back" half of an outage. */
  async boot(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    this.proc = spawnLogged(join(ROOT, "node_modules", ".bin", "bun"), [join(ROOT, "hosts", "bun", "server.ts")], {
      name: `nexus-web-${this.port}`,
      cwd: ROOT,
      env: { ...this.env, PORT: String(this.port), DATA_DIR: this.dataDir, HOST: "127.0.0.1" },
    });
    await waitForHttp(`${this.url}/health`, { proc: this.proc, timeoutMs: 30_000 });
  }

  /** Crash it (SIGKILL): sockets drop without a goodbye, like a dead host. */
  async kill(): Promise<void> {
    await this.proc?.kill();
    this.proc = null;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = null;
  }

  log(): string {
    return this.proc?.log(6000) ?? "";
  }
}

export async function launchChromium(extra: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...BASE_FLAGS, ...extra] });
}

export interface Person {
  username: string;
  context: BrowserContext;
  page: Page;
}

let counter = 0;
export function uniqueUser(prefix: string): string {
  return `${prefix}${Date.now().toString(36).slice(-5)}${(counter++).toString(36)}`;
}

/** A new browser context (its own storage) that registers through the UI and lands in the shell. */
export async function registerPerson(browser: Browser, server: NexusServer, prefix: string, viewport = { width: 1200, height: 800 }): Promise<Person> {
  const context = await browser.newContext({ viewport, baseURL: server.url });
  const page = await context.newPage();
  page.on("dialog", (d) => void d.accept());
  page.on("pageerror", (e) => console.error(`[${prefix} pageerror]`, e.message));
  const username = uniqueUser(prefix);
  await page.goto("/");
  await page.getByTestId("tab-register").click();
  await page.getByTestId("auth-username").fill(username);
  await page.getByTestId("auth-password").fill("password-123");
  await page.getByTestId("auth-submit").click();
  await page.getByTestId("shell").waitFor();
  await page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
  return { username, context, page };
}

/** Start (or reopen) the 1:1 chat with `username` from the New chat dialog. */
export async function startDirect(page: Page, username: string): Promise<string> {
  await page.getByTestId("new-direct").click();
  await page.getByTestId("direct-username").fill(username);
  await page.getByTestId("direct-start").click();
  // The dialog closes as it navigates: only then is the view the new chat's (a view already open
  // would otherwise answer at once with the previous conversation's id).
  await page.getByTestId("new-direct-dialog").waitFor({ state: "detached" });
  const view = page.getByTestId("conversation-view");
  await view.waitFor();
  return (await view.getAttribute("data-conversation-id"))!;
}

/** Create a group with these members from the New group dialog; its id once its own view is open
 *  (a conversation open before may still be the view until then). */
export async function createGroup(page: Page, title: string, members: string): Promise<string> {
  await page.getByTestId("new-group").click();
  await page.getByTestId("group-title").fill(title);
  await page.getByTestId("group-members").fill(members);
  await page.getByTestId("group-create").click();
  const view = page.locator('[data-testid="conversation-view"][data-conversation-id^="g_"]');
  await view.waitFor();
  return (await view.getAttribute("data-conversation-id"))!;
}

export async function openConversation(page: Page, conversationId: string): Promise<void> {
  await page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`).click();
  await page.locator(`[data-testid="conversation-view"][data-conversation-id="${conversationId}"]`).waitFor();
}

export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByTestId("composer-input");
  await box.fill(text);
  await box.press("Enter");
}

/** Texts of the message bubbles in the open conversation, top to bottom. */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.locator('[data-testid="message"] [data-testid="message-text"]').allTextContents();
}

/** Poll until `f` holds (Playwright's own waiting, for conditions on several elements at once). */
export async function until(page: Page, f: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await f()) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** The message bubble whose text is exactly `text` (a reply quoting it does not match). */
export function messageByText(page: Page, text: string) {
  const exact = new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  return page.locator('[data-testid="message"]').filter({ has: page.locator('[data-testid="message-text"]', { hasText: exact }) });
}

/** Answer the app's own confirmation dialog (destructive actions ask there, never with `confirm()`). */
export async function confirmInApp(page: Page, answer: "ok" | "cancel" = "ok"): Promise<void> {
  await page.getByTestId("confirm-dialog").waitFor();
  await page.getByTestId(`confirm-${answer}`).click();
  await page.getByTestId("confirm-dialog").waitFor({ state: "detached" });
}

/** What most e2e files start with: a server, one Chromium, and these people registered and signed in. */
export async function openWorld(...names: string[]): Promise<{ server: NexusServer; browser: Browser; people: Person[] }> {
  const server = await NexusServer.start();
  const browser = await launchChromium();
  const people: Person[] = [];
  for (const name of names) people.push(await registerPerson(browser, server, name));
  return { server, browser, people };
}

/** One world shared by a file's tests: started before them, closed after; `people` in `names` order. */
export function sharedWorld(...names: string[]): { server: NexusServer; browser: Browser; people: Person[] } {
  const w = {} as { server: NexusServer; browser: Browser; people: Person[] };
  beforeAll(async () => void Object.assign(w, await openWorld(...names)), 120_000);
  afterAll(() => closeWorld(w.server, w.browser), 30_000);
  return w;
}

/** The matching teardown (either may be missing when the start failed). */
export async function closeWorld(server: NexusServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await server?.stop();
}

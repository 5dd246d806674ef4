/**
 * Renders the engine's progress events. A TTY gets a listr2 task list (one line per resource, updated in
 * place); otherwise, or with `--progress plain`, one line per change on stderr (` Container p-web-1  Started`).
 * `--progress json` prints each event as a JSON line on stderr, as Compose's ({"id":..,"status":..}); `quiet` prints nothing.
 */
import type { ProgressEvent } from '../api.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export interface Renderer {
  onEvent(e: ProgressEvent): void;
  /** Stop rendering; prints the final state of every resource in TTY mode. */
  finish(failed?: boolean): Promise<void>;
}

/** Compose's `--progress json` line: {"id":"Container p-web-1","status":"Started"}; messages {"tail":true,"text":...}. */
export function composeJson(e: ProgressEvent): string {
  if (e.type !== 'resource') return JSON.stringify({ tail: true, text: e.level === 'info' ? e.text : `${e.level.toUpperCase()}: ${e.text}` });
  const failed = e.status === 'Error' && e.detail;
  return JSON.stringify({ id: e.resource, ...(e.detail && !failed ? { text: e.detail } : {}), status: failed ? e.detail : e.status });
}

function plainRenderer(json: boolean): Renderer {
  return {
    onEvent(e) {
      if (json) process.stderr.write(`${composeJson(e)}\n`);
      else if (e.type === 'resource') process.stderr.write(` ${e.resource}  ${e.status}${e.detail && e.status === 'Error' ? `: ${e.detail}` : ''}\n`);
      else process.stderr.write(`${e.level === 'info' ? '' : `${e.level.toUpperCase()}: `}${e.text}\n`);
    },
    finish: async () => undefined,
  };
}

async function ttyRenderer(title: string): Promise<Renderer> {
  const { Listr } = await import('listr2');
  const order: string[] = [];
  const state = new Map<string, { status: string; done: boolean; detail?: string }>();
  const messages: string[] = [];
  let finished = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  const render = (): string =>
    order.map((r) => {
      const s = state.get(r);
      // Compose marks a warning ('Resource is still in use') with '!'
      const mark = !s ? ' ' : s.status === 'Error' ? '✘' : s.status === 'Resource is still in use' ? '!' : s.done ? '✔' : '⠿';
      return `${mark} ${r}  ${s?.status ?? ''}${s?.status === 'Error' && s.detail ? `: ${s.detail}` : ''}`;
    }).join('\n');
  const list = new Listr(
    [{
      title,
      task: async (_ctx, task) => {
        while (!finished) {
          task.output = render();
          await new Promise((r) => setTimeout(r, 80));
        }
        await done;
      },
      // each frame replaces the last (a bar of 1 entry); more would stack every frame under the title
      rendererOptions: { outputBar: 1, persistentOutput: false },
    }],
    { renderer: 'default', rendererOptions: { collapseSubtasks: false }, exitOnError: false },
  );
  const running = list.run().catch(() => undefined);
  return {
    onEvent(e) {
      if (e.type === 'message') {
        messages.push(e.text);
        return;
      }
      if (!state.has(e.resource)) order.push(e.resource);
      state.set(e.resource, { status: e.status, done: e.done, ...(e.detail ? { detail: e.detail } : {}) });
    },
    async finish() {
      finished = true;
      resolveDone();
      await running;
      const text = render();
      if (text) process.stderr.write(`${text}\n`);
      for (const m of messages) process.stderr.write(`WARN: ${m}\n`);
    },
  };
}

export async function makeRenderer(mode: string, title: string): Promise<Renderer> {
  if (mode === 'quiet') return { onEvent: () => undefined, finish: async () => undefined };
  if (mode === 'json') return plainRenderer(true);
  // a terminal of unknown width (0 columns, e.g. under script(1) without a size) cannot be redrawn in place
  // --ansi never (COMPOSE_ANSI): no redrawn lines either
  const noAnsi = process.env.COMPOSE_ANSI === 'never';
  if (mode === 'plain' || (mode !== 'tty' && (noAnsi || !process.stderr.isTTY || !process.stderr.columns))) return plainRenderer(false);
  return ttyRenderer(title);
}

/** Run `fn` with a renderer, finishing it whether `fn` succeeds or fails. */
export async function withProgress<T>(mode: string, title: string, fn: (on: (e: ProgressEvent) => void) => Promise<T>): Promise<T> {
  const r = await makeRenderer(mode, title);
  try {
    const v = await fn((e) => r.onEvent(e));
    await r.finish(false);
    return v;
  } catch (e) {
    await r.finish(true);
    throw e;
  }
}

/**
 * Poll `check` until it returns without throwing (or returns a truthy value), or the deadline passes.
 * Tests never assert a time: deadlines are generous because these hosts vary 2.5x in speed.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const interval = opts.intervalMs ?? 50;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== false && v !== null && v !== undefined) return v as Exclude<T, false | null | undefined>;
      last = new Error(`condition returned ${String(v)}`);
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const msg = last instanceof Error ? last.message : String(last);
      throw new Error(`eventually(${opts.what ?? 'condition'}) timed out: ${msg}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

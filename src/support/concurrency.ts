/** Runs `work` over the items with at most `width` at a time; the first failure rejects (after the others stop starting). */
export async function withConcurrency<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (!failed && next < items.length) {
        try {
          await work(items[next++]!);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    }),
  );
}

import { startTestStack, type RunningStack } from './test-stack';

declare global {
  // Shared with global-teardown, which Jest runs in this same process.
  var __tallyTestStack: RunningStack | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  globalThis.__tallyTestStack = await startTestStack();
  if (process.env.TALLY_STACK_TIMING === '1') {
    process.stderr.write(`\ntest stack started in ${Date.now() - started} ms\n`);
  }
}

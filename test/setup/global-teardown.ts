export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__tallyTestStack;
  globalThis.__tallyTestStack = undefined;
  await stack?.stop();
}

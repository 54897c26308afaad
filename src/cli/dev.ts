export async function runDev(_options: { dataDir: string }): Promise<void> {
  throw new Error('tally dev: not yet implemented');
}

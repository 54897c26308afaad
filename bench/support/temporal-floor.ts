import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { withConcurrency } from './measure';

/**
 * Runs `count` trivial workflows (one local activity each), `width` in flight, on their own worker and
 * task queue; returns the elapsed milliseconds. What a per-object workflow costs at the least here.
 */
export async function temporalFloor(address: string, count: number, width: number): Promise<number> {
  const taskQueue = `floor-${process.pid}-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./floor-workflows'),
    activities: { nothing: async () => undefined },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  try {
    const start = performance.now();
    await withConcurrency(
      Array.from({ length: count }, (_, i) => i),
      width,
      async (i) => {
        await client.workflow.execute('floorWorkflow', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [] });
      },
    );
    return performance.now() - start;
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
  }
}

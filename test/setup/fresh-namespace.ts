import { Client, Connection } from '@temporalio/client';
import { endOpenWorkflows } from '../support/end-workflows';
import { getStack } from '../support/stack';

// Each file starts with no workflow open in its Jest worker's namespace (see endOpenWorkflows).
beforeAll(async () => {
  const { temporal } = getStack();
  const connection = await Connection.connect({ address: temporal.address });
  try {
    await endOpenWorkflows(new Client({ connection, namespace: temporal.namespace }));
  } finally {
    await connection.close();
  }
});

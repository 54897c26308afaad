/**
 * Every connector call measured, whatever the connector: its duration in
 * `tally_connector_operation_seconds{resource,operation}`, its failures by kind in
 * `tally_connector_errors_total`, and with tracing on a span `connector <operation>` under the activity's.
 */
import { performance } from 'node:perf_hooks';
import { CONNECTOR_OPERATIONS, type Connector } from '../connectors/connector-types';
import { isConnectorError } from '../connectors/connector-errors';
import { connectorErrors, connectorOperationSeconds } from '../observability/metrics';
import { inSpan } from '../observability/tracing';

export function measuredConnector(resourceName: string, connector: Connector): Connector {
  const measured = Object.create(connector) as Record<string, unknown>;
  for (const operation of CONNECTOR_OPERATIONS) {
    const call = connector[operation] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (!call) continue;
    const duration = connectorOperationSeconds.labels(resourceName, operation);
    measured[operation] = (...args: unknown[]) => {
      const started = performance.now();
      return inSpan(`connector ${operation}`, { 'tally.resource': resourceName }, () => call.apply(connector, args)).then(
        (result) => {
          duration.observe((performance.now() - started) / 1000);
          return result;
        },
        (e: unknown) => {
          duration.observe((performance.now() - started) / 1000);
          connectorErrors.inc({ resource: resourceName, kind: isConnectorError(e) ? e.kind : 'other' });
          throw e;
        },
      );
    };
  }
  return measured as unknown as Connector;
}

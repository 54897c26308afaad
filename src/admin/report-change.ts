/** A change reported from outside (CLI, HTTP API): resolve the resource, then start or feed processChange. */
import type { Channel } from '../schema/config';
import type { ChangeNotification } from '../schema/api';
import { changeNotificationSchema } from '../schema/api';
import type { Services } from '../runtime/services';
import { requireKnownAccount } from './account-presence';
import { resourceOf } from '../provisioning';

export async function reportChangeNotification(services: Services, notification: ChangeNotification, channel: Channel) {
  const parsed = changeNotificationSchema.parse(notification);
  const resource = await resourceOf(services, parsed.resource);
  // A change of an account neither Tally nor the resource knows is refused before anything starts.
  await requireKnownAccount(services, resource, parsed);
  const workflowId = await services.workflows.reportChange({
    resourceRef: resource.oid,
    channel,
    changeType: parsed.changeType,
    secondaryIdentifier: parsed.account,
    primaryIdentifier: parsed.primaryIdentifier,
    attributeDeltas: parsed.attributeDeltas,
  });
  return { workflowId, resourceOid: resource.oid, resourceName: resource.name };
}

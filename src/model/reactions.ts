/**
 * Which reaction a synchronization policy configures for a situation: the first reaction of the
 * first policy for the object's kind/intent whose situation (and channel, if given) match.
 */
import type { Channel, ReactionAction, Situation, SynchronizationPolicy } from '../schema/config';

export interface ReactionQuery {
  kind: string;
  intent: string;
  situation: Situation;
  channel: Channel;
}

export interface ReactionDecision {
  actions: ReactionAction[];
  /** Whether inbound/outbound synchronization runs after the actions. */
  synchronize: boolean;
  /** Object template for addFocus: the action's, else the policy's. */
  objectTemplateRef?: string;
}

const SYNCHRONIZING_HANDLERS = new Set(['link', 'addFocus', 'synchronize']);

export function reactionFor(policies: readonly SynchronizationPolicy[], query: ReactionQuery): ReactionDecision | undefined {
  for (const policy of policies) {
    if (policy.kind !== query.kind || policy.intent !== query.intent) continue;
    for (const reaction of policy.reaction) {
      if (reaction.situation !== query.situation) continue;
      if (reaction.channel !== undefined && reaction.channel.length > 0 && !reaction.channel.includes(query.channel)) continue;
      const synchronize = reaction.synchronize ?? reaction.action.some((a) => SYNCHRONIZING_HANDLERS.has(a.handler));
      const templateRef = reaction.action.find((a) => a.objectTemplateRef)?.objectTemplateRef ?? policy.objectTemplateRef;
      return { actions: reaction.action, synchronize, ...(templateRef ? { objectTemplateRef: templateRef } : {}) };
    }
  }
  return undefined;
}

/** The policy for an object's kind/intent (correlation, confirmation, template). */
export function policyFor(policies: readonly SynchronizationPolicy[], kind: string, intent: string): SynchronizationPolicy | undefined {
  return policies.find((p) => p.kind === kind && p.intent === intent);
}

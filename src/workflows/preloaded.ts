/**
 * What a worker loads once per reusable V8 context and shares between the workflows it runs (the bundle's
 * `preloadModules`), instead of once per workflow: zod. Evaluating zod's modules and setting up its classes
 * was most of what starting a workflow cost; a schema each workflow builds is still its own.
 *
 * The SDK freezes what a shared module holds, and zod settles its global configuration (its English
 * messages, its memoizer) when it builds and parses its first schema: done here, before the freeze.
 */
import { z } from 'zod';

z.object({ settled: z.string() }).safeParse({});

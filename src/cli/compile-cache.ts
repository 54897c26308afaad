/**
 * A V8 code cache for the compiled command line's dependencies (Node 20 has no module.enableCompileCache):
 * every `tally` start compiles the same megabytes of node_modules JavaScript, a fifth of a short command's
 * CPU. bin/tally preloads this file (`node --require`) when it runs Tally from .build/; the cache is one file,
 * .build/compile-cache.bin, rewritten (atomically) by a process that compiled something it didn't hold,
 * and removed whenever .build/ is rebuilt. Tally's own modules compile as usual, keeping their source maps.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

interface CompilingModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}
interface ModuleInternals {
  prototype: CompilingModule;
  wrap(content: string): string;
  _resolveFilename(request: string, parent: CompilingModule, isMain: boolean, options?: unknown): string;
  _extensions: unknown;
  _cache: unknown;
}

const cacheFile = path.join(__dirname, '..', '..', 'compile-cache.bin');

type Entries = Record<string, [offset: number, length: number]>;

function readCache(): { entries: Entries; data: Buffer } {
  try {
    const raw = readFileSync(cacheFile);
    const headerLength = raw.readUInt32LE(0);
    return { entries: JSON.parse(raw.subarray(4, 4 + headerLength).toString()) as Entries, data: raw.subarray(4 + headerLength) };
  } catch {
    return { entries: {}, data: Buffer.alloc(0) };
  }
}

function writeCache(held: { entries: Entries; data: Buffer }, compiled: Map<string, vm.Script>): void {
  const parts: Buffer[] = [];
  const entries: Entries = {};
  let offset = 0;
  const add = (key: string, data: Buffer) => {
    parts.push(data);
    entries[key] = [offset, data.length];
    offset += data.length;
  };
  for (const [key, [at, length]] of Object.entries(held.entries)) if (!compiled.has(key)) add(key, held.data.subarray(at, at + length));
  for (const [key, script] of compiled) add(key, script.createCachedData());
  const header = Buffer.from(JSON.stringify(entries));
  const headerLength = Buffer.alloc(4);
  headerLength.writeUInt32LE(header.length);
  const temporary = `${cacheFile}.${process.pid}`;
  writeFileSync(temporary, Buffer.concat([headerLength, header, ...parts]));
  renameSync(temporary, cacheFile);
}

function installCompileCache(): void {
  const internals = Module as unknown as ModuleInternals;
  const compileAsUsual = internals.prototype._compile;
  const held = readCache();
  const compiled = new Map<string, vm.Script>();
  const mainModule = require.main;

  internals.prototype._compile = function compileWithCache(this: CompilingModule, content: string, filename: string) {
    if (!filename.includes(`${path.sep}node_modules${path.sep}`)) return compileAsUsual.call(this, content, filename);
    const key = `${filename}:${createHash('md5').update(content).digest('base64')}`;
    const at = held.entries[key];
    const script = new vm.Script(internals.wrap(content), { filename, cachedData: at ? held.data.subarray(at[0], at[0] + at[1]) : undefined });
    if (!at || script.cachedDataRejected) compiled.set(key, script);
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const moduleRequire = Object.assign((id: string) => this.require(id), {
      resolve: (request: string, options?: unknown) => internals._resolveFilename(request, this, false, options),
      main: mainModule,
      extensions: internals._extensions,
      cache: internals._cache,
    });
    return wrapper.call(this.exports, this.exports, moduleRequire, this, filename, path.dirname(filename));
  };

  // Written at exit so the functions compiled while running are in it too; a failed write leaves the old one.
  process.once('exit', () => {
    if (compiled.size === 0) return;
    try {
      writeCache(held, compiled);
    } catch {
      // no cache this time: the next start compiles again
    }
  });
}

installCompileCache();

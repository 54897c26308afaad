/**
 * Native errors seen by duck typing, not `instanceof Error`: errors made by Node's core modules come
 * from another realm under test runners such as jest, where instanceof says no.
 */
export interface NativeError {
  message: string;
  code?: unknown;
}

export function asNativeError(e: unknown): NativeError {
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    return e as NativeError;
  }
  return { message: String(e) };
}

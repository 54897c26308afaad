import { isStorageUnavailableError } from '../../../src/repository/errors';

/** An error as the MongoDB driver throws it: its class's name, and the server's code. */
const driverError = (name: string, message: string, code?: number) => Object.assign(new Error(message), { name, ...(code !== undefined ? { code } : {}) });

describe('MongoDB unavailable: the work waits and tries again', () => {
  test('a network error, and a command the server interrupted as it shut down', () => {
    expect(isStorageUnavailableError(driverError('MongoNetworkError', 'connection closed'))).toBe(true);
    expect(isStorageUnavailableError(driverError('MongoServerError', 'interrupted at shutdown', 11600))).toBe(true);
    expect(isStorageUnavailableError(driverError('MongoServerError', 'The server is in quiesce mode and will shut down', 91))).toBe(true);
  });

  test('an error of the document or the query is not an outage', () => {
    expect(isStorageUnavailableError(driverError('MongoServerError', 'E11000 duplicate key error', 11000))).toBe(false);
    expect(isStorageUnavailableError(driverError('MongoServerError', 'Document failed validation', 121))).toBe(false);
    expect(isStorageUnavailableError(new Error('interrupted at shutdown'))).toBe(false);
  });
});

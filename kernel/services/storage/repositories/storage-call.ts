import { toStorageError } from '../database/to-storage-error';

/**
 * Runs one repository operation and turns a driver failure into a `StorageError` (E1001 for a
 * lost connection, E1002 for a refused statement) that says what was being done.
 */
export async function storageCall<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toStorageError(error, { operation });
  }
}

/** A promise with its resolve and reject at hand (a step others wait for, finished elsewhere). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  // A rejection is for whoever awaits it; none waiting is not an unhandled error.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** Runs `work` every `intervalSeconds` until stopped (0 turns it off); failures go to onError and it runs again next time. */
export function scheduleEvery(intervalSeconds: number, work: () => Promise<unknown>, onError: (error: unknown) => void): () => Promise<void> {
  if (intervalSeconds <= 0) return async () => undefined;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => work()).catch(onError);
  }, intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

// A server started through a wrapper (`npm start`, `npx gatehouse serve`, a
// shell) is that wrapper's child. Some wrappers pass a SIGTERM on to their own
// shell only, which dies and leaves the server orphaned, still serving: the
// server notices that its parent changed and stops as if it had been told.
const CHECK_MS = 500;

export function watchParent(onOrphaned: () => void): void {
  const parent = process.ppid;
  // Started by init itself (a service manager, a container's entry point): nothing to watch.
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, CHECK_MS);
  timer.unref();
}

// The run page, live: it listens to the run's event stream (Server-Sent
// Events, signed in with the session cookie) and, on each event, fetches the
// run's timeline again, rendered by the server, and puts it in place. Without
// this script the page still works: reload it to see what changed.
/* global document, EventSource, fetch, location */

const root = document.querySelector('[data-run-live]');
if (root) {
  const base = root.getAttribute('data-run-live');
  let refreshing = false;
  let again = false;
  const refresh = async () => {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      do {
        again = false;
        const response = await fetch(`${base}/timeline`, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
        if (response.status === 200) {
          const focused = document.activeElement && document.activeElement.id;
          root.innerHTML = await response.text();
          if (focused) document.getElementById(focused)?.focus();
        } else if (response.status === 303 || response.status === 401) {
          location.reload();
        }
      } while (again);
    } finally {
      refreshing = false;
    }
  };
  const events = new EventSource(`${base}/live`);
  events.onmessage = refresh;
  // The run is over: the stream is done (the server would answer a reconnect with 204 anyway).
  for (const type of ['run.finished', 'run.failed', 'run.timed_out', 'run.cancelled']) {
    events.addEventListener(type, () => events.close());
  }
  for (const type of ['run.started', 'step.started', 'step.succeeded', 'step.warning', 'step.failed', 'step.retry_scheduled', 'step.interrupted', 'step.waiting', 'step.approved', 'step.rejected', 'step.cancelled', 'run.finished', 'run.failed', 'run.timed_out', 'run.cancelled', 'run.restarted']) {
    events.addEventListener(type, refresh);
  }
  // A restart reloads the page (its form), which opens a new stream.
}

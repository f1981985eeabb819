"""The daemon: APScheduler 3 ticks the plain `run_*(app)` jobs, waitress serves the site and the API.

    start:  migrate | import configured feeds and rules | schedule jobs | watch folders | serve
    jobs:   ingest (file events + periodic scan) · watch (tick: claim due feeds) · publish (debounced after any
            change + periodic) · websub (hub pings for changed feeds, retried) · indexnow (changed pages, retried)
            · alerts · housekeeping (daily)
    stop:   SIGTERM/SIGINT → take no new work, let the running job finish (grace), exit 0
    reload: SIGHUP → re-read the config; a bad one is logged and the old one keeps running

APScheduler is a ticker, not a coordinator: what is due lives in the store (feeds' `next_check`, leases), so
several daemons may run against one PostgreSQL database. Every job has `max_instances=1`, `coalesce=True` and
a misfire grace time; an exception in a job is logged with its context and never stops the daemon. Every job
is transactional, so even SIGKILL in the middle of one loses or duplicates nothing.

The package: `lifecycle` (the `Daemon`: start, reload, stop, `run --once`), `scheduling` (its scheduler: when each
job runs), `jobs` (what each job does, and the triggers between them), `jobstate` (the record of their runs, and
how it is logged), `inbox` (the file watch on the drop folders), `reload` (what a new config changes and what waits
for a restart) and `shutdown` (signals, the grace period). This module only names what callers import: it must
hold no logic, and re-exports no constant (a test patches a constant where it is used).
"""

from feeds.daemon.lifecycle import Daemon

__all__ = ["Daemon"]

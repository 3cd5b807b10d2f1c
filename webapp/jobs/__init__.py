"""Background work in a job queue (Huey): register imports, scans and, later, SIAK result files
and sync passes never run in the web process.

    from webapp import jobs

    @jobs.job("register_scan")
    def scan_register_job(actor_id=None): ...           # runs in an app context, in a unit of work

    scan_register_job.enqueue(actor=current_user, actor_id=...)   # sent when the transaction commits
    jobs.active_run("register_scan")                              # what a page shows
    jobs.reap_quietly()                                           # the janitor, on a page load
    jobs.housekeeping(drop_expired_staging)                       # a chore of the worker's janitor

`flask jobs worker` is the worker process. Storage and the janitor: webapp/jobs/queue.py and
runs.py; the decision record: docs/decisions/0007-job-queue.md.
"""
from webapp.jobs.queue import build_huey, describe_storage, queue_for
from webapp.jobs.runs import (Job, active_run, housekeeping, job, process_gone, process_identity, reap_abandoned,
                              reap_quietly, run_housekeeping, stale_after, stop_run)

__all__ = ["Job", "active_run", "build_huey", "describe_storage", "housekeeping", "job", "process_gone",
           "process_identity", "queue_for", "reap_abandoned", "reap_quietly", "run_housekeeping", "stale_after",
           "stop_run"]

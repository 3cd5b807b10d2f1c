"""A real worker process for test_job_worker.py: what `flask jobs worker` runs (the app factory,
the Huey consumer on JOBS_URL, the janitor), with one change so the test knows where the import
stands when it kills the process: the register import's reader stops for good after
GATE_AFTER_ROWS rows (QUALITY_IMPORT_BATCH rows per batch, so some batches are written and the
swap is not made). Not a test module; run as `python tests/integration/gated_worker.py`."""
from __future__ import annotations

import os
import threading

from webapp import create_app
from webapp.jobs.worker import run_worker
from webapp.quality import importer
from webapp.quality.siak import read_siak


def gated_reader(path, filename=None):
    reader = read_siak(path, filename=filename)
    after = int(os.environ["GATE_AFTER_ROWS"])

    def rows():
        for number, row in enumerate(reader):
            if number == after:
                threading.Event().wait()  # never set: the test kills this process here
            yield row
    return rows()


def main() -> None:
    app = create_app()
    app.config["QUALITY_IMPORT_BATCH"] = int(os.environ["QUALITY_IMPORT_BATCH"])
    importer.read_siak = gated_reader
    run_worker(app, workers=1)


if __name__ == "__main__":
    main()

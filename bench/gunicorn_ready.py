"""gunicorn config for the benchmarks: each worker, once it has loaded the app, leaves a file named by its pid in
$BENCH_READY_DIR, so a benchmark starts timing only when every worker is serving (not while one is booting)."""
import os
from pathlib import Path


def post_worker_init(worker):
    Path(os.environ["BENCH_READY_DIR"], str(worker.pid)).touch()

"""The analysis parameters an export describes (seed, k, library versions …), without numpy and
scikit-learn in the exporting process.

The analysis needs numpy and scikit-learn: about 145 MB once imported, more than an export of a
million ratings needs for everything else. So where this process has not loaded them (the CLI, a
web worker that has not shown an analysis yet), a short-lived child process computes the round's
analysis with the same function the analysis page uses (``round_analysis``), from the committed
ratings, and prints its parameters as JSON; its memory goes when it exits. It starts when the
export starts and runs while the tables are written, so it adds little to the export's time.

Where the libraries are loaded already (a web worker that served the analysis page) the analysis
comes from this process's own cache, as before: that costs no memory and, unchanged ratings, no
computation. ``EXPORT_ANALYSIS_IN_CHILD = False`` always computes here (the tests, whose data is
in a transaction that no other process sees).

If the child fails, the export is still written, without the analysis parameters (an error is
logged): they describe the analysis, the files' data does not depend on them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from flask import current_app
from sqlalchemy.orm import Session

from ..rounds.models import Round

TIMEOUT = 600  # seconds; the analysis of a million ratings takes a few
# What the child needs of the parent's configuration (the rest comes from the same environment).
CHILD_CONFIG = ("DATABASE_URL", "POPULATION_FILE")


def start(db: Session, round_: Round) -> Callable[[], dict | None]:
    """Start computing the round's analysis parameters; the returned function waits for them."""
    libraries_loaded = "participation.analysis.services" in sys.modules
    if libraries_loaded or not current_app.config.get("EXPORT_ANALYSIS_IN_CHILD", True):
        from ..analysis.services import round_analysis

        parameters = round_analysis(db, round_).as_json()["parameters"]
        return lambda: parameters
    request = {"config": {key: current_app.config.get(key) for key in CHILD_CONFIG}, "round_id": round_.id}
    # The configuration (with the database password) goes through a pipe, not the command line.
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(request) + "\n")  # one line: the child reads it at once
    process.stdin.flush()
    logger = current_app.logger
    outcome: list[dict | None] = []

    def wait() -> dict | None:
        if not outcome:
            try:
                out, err = process.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                out, err = "", "timed out"
            if process.returncode == 0:
                outcome.append(json.loads(out))
            else:
                logger.error("analysis for the export of round %s failed: %s", round_.id, err.strip()[-2000:])
                outcome.append(None)
        return outcome[0]

    return wait


def _child() -> None:
    """Compute one round's analysis parameters and print them as JSON."""
    from participation import create_app, db
    from participation.analysis.services import round_analysis

    request = json.loads(sys.stdin.readline())
    overrides = {key: value for key, value in request["config"].items() if value is not None}
    app = create_app({**overrides, "EXPORT_ANALYSIS_IN_CHILD": False})
    with app.app_context():
        round_ = db.session().get(Round, request["round_id"])
        if round_ is None:
            raise SystemExit(f"no round {request['round_id']} (not committed?)")
        parameters = round_analysis(db.session(), round_).as_json()["parameters"]
    json.dump(parameters, sys.stdout)


if __name__ == "__main__":
    _child()

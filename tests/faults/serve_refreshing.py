"""Serve the dashboards and run one refresh in the same process, as ``storeboard serve``'s
scheduler does, without waiting for the cron: ``python -m tests.faults.serve_refreshing CONFIG PORT``.

Each refresh step's start and end is appended to ``refresh-events.jsonl`` beside the config
(``{"step": "transform", "status": "started"}``), then ``{"step": "refresh", "status": "ok"}``
(or ``failed``), so a test in another process knows when to start its load.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

import uvicorn
from dotenv import dotenv_values

from storeboard import orchestration
from storeboard.config import load_config
from storeboard.web.app import create_app


def main(config_path: str, port: int) -> None:
    # webhook rounds log "webhooks: applied N event(s)" at INFO: a test waits for that line
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout)
    logging.getLogger("storeboard.webhooks").setLevel(logging.INFO)
    path = Path(config_path)
    dotenv = {k: v for k, v in dotenv_values(path.parent / ".env").items() if v is not None}
    config = load_config(path, environ={**dotenv, **os.environ})
    events = path.parent / "refresh-events.jsonl"
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning"))

    def write(step: str, status: str, detail: str = "") -> None:
        with events.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"step": step, "status": status, "detail": detail, "at": time.time()}) + "\n")

    def refresh() -> None:
        while not server.started:
            time.sleep(0.05)
        outcome = orchestration.refresh(config, trigger="scheduler", progress=write)
        write("refresh", "ok" if outcome.ok else "failed", "; ".join(outcome.report.errors) if outcome.report else "")

    threading.Thread(target=refresh, name="refresh", daemon=True).start()
    server.run()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

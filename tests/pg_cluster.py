"""A throwaway PostgreSQL cluster in a temporary folder, on a free loopback port.

Used by the test suite (when STOREBOARD_TEST_POSTGRES_URL is not set) and by ``.ci/run``:

    python tests/pg_cluster.py start DIR   # prints the server URL
    python tests/pg_cluster.py stop DIR

``initdb`` refuses to run as root, so as root the cluster runs as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
from pathlib import Path


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def available() -> bool:
    """True when initdb and pg_ctl can be found."""
    return bool(_binary("initdb") and _binary("pg_ctl"))


def _as_owner(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(folder: Path) -> str:
    """Create and start a cluster in ``folder``; returns ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    folder.chmod(0o700)
    data = folder / "data"
    port = _free_port()
    subprocess.run(
        _as_owner([_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    subprocess.run(
        _as_owner([_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]),
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def stop(folder: Path) -> None:
    """Stop the cluster in ``folder`` (fast shutdown)."""
    subprocess.run(_as_owner([_binary("pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"]),
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    command, target = sys.argv[1], Path(sys.argv[2])
    if command == "start":
        print(start(target))
    elif command == "stop":
        stop(target)
    else:
        sys.exit(f"usage: {sys.argv[0]} start|stop DIR")

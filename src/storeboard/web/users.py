"""``storeboard user add``: writes a user with an argon2 hash into storeboard.yml, keeping the
file's comments and layout (only the ``web.users`` lines change)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from storeboard.errors import ConfigError
from storeboard.web.auth import hash_password

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def add_user(config_path: Path, username: str, password: str) -> bool:
    """Add ``username`` (or replace their password) in ``config_path``; True when it was new.

    Raises:
        ConfigError: bad user name, too short a password, or a file this cannot edit safely.
    """
    if not _NAME.match(username):
        raise ConfigError("user names may use letters, digits and . _ @ - (at most 64 characters)")
    if len(password) < 10:
        raise ConfigError("choose a password of at least 10 characters")
    text = config_path.read_text()
    data = yaml.safe_load(text) or {}
    web = data.get("web") or {}
    users = web.get("users") or []
    password_hash = hash_password(password)
    existing = next((u for u in users if isinstance(u, dict) and u.get("username") == username), None)
    entry = [f"- username: {username}", f'  password_hash: "{password_hash}"']
    if existing:
        new_text = text.replace(str(existing.get("password_hash")), password_hash, 1)
    elif users:
        match = re.search(r"^(\s+)users:[ \t]*\n(\s*)- ", text, flags=re.M)
        if not match:
            raise ConfigError(f"{config_path}: cannot find web.users to add to; add the user by hand")
        indent = match.group(2)
        insert = "".join(f"{indent}{line}\n" for line in entry)
        new_text = text[: match.end(1) + len("users:")] + text[match.end(1) + len("users:"):].replace("\n", "\n" + insert, 1)
    else:
        block = "  users:\n" + "".join(f"    {line}\n" for line in entry)
        if re.search(r"^  users:.*$", text, flags=re.M):
            new_text = re.sub(r"^  users:.*\n", block, text, count=1, flags=re.M)
        elif re.search(r"^web:[ \t]*\n", text, flags=re.M):
            new_text = re.sub(r"^web:[ \t]*\n", "web:\n" + block, text, count=1, flags=re.M)
        elif "web" in data:
            raise ConfigError(f"{config_path}: cannot find the web: block to add to; add the user by hand")
        else:
            new_text = text.rstrip("\n") + "\n\nweb:\n" + block
    check = (yaml.safe_load(new_text) or {}).get("web") or {}
    if not any(isinstance(u, dict) and u.get("username") == username and u.get("password_hash") == password_hash
               for u in check.get("users") or []):
        raise ConfigError(f"{config_path}: could not add the user safely; add it by hand under web.users")
    config_path.write_text(new_text)
    return existing is None

"""Storeboard's own state in the warehouse's ``storeboard_meta`` schema, below everything that
uses it.

- ``schema``: the DDL of every ``storeboard_meta`` table and ``ensure``, which creates them all.
- ``runlog``: one row per run and one per step.
- ``lock``: named locks (the refresh, the alerts, the weekly email).

The pipeline, orchestration, notify and webhooks all keep state here; keeping it below them lets
notify take a lock without importing orchestration (docs/architecture.md).
"""

"""L4: the web dashboards (FastAPI + Jinja2), reading marts only."""

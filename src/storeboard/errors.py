"""The errors Storeboard raises on purpose.

Every message names what failed, the source or value involved (never a secret) and the next
step. Only ``cli.py`` turns them into exit codes; ``web/`` maps them in one handler.

    StoreboardError
    ├── ConfigError            storeboard.yml or an environment variable is wrong or missing
    ├── WarehouseError         the warehouse cannot be opened or queried
    ├── SourceError            a source API or file failed
    │   └── SourceAuthError    the source rejected the credentials
    └── TransformError         dbt failed to build the models
"""


class StoreboardError(Exception):
    """Base class: a failure Storeboard can explain to the user."""


class ConfigError(StoreboardError):
    """The configuration is invalid or incomplete."""


class WarehouseError(StoreboardError):
    """The warehouse cannot be opened or a query against it failed."""


class SourceError(StoreboardError):
    """A source API or file could not be read.

    Attributes:
        source: name of the source, e.g. ``shopify``.
    """

    def __init__(self, source: str, message: str):
        super().__init__(message)
        self.source = source


class SourceAuthError(SourceError):
    """The source rejected the credentials (HTTP 401/403)."""


class TransformError(StoreboardError):
    """dbt could not build the models."""

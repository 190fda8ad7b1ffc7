"""The sandbox: a synthetic store served by loopback imitations of the source APIs.

``generate_store`` builds a deterministic store; ``SandboxServer`` serves it over HTTP with the
same URLs, headers, auth checks, pagination and throttling as the real services.
"""

from storeboard.sandbox.generate import GeneratorSettings, StoreGenerator, generate_store
from storeboard.sandbox.server import SandboxServer
from storeboard.sandbox.store import Store

__all__ = ["GeneratorSettings", "SandboxServer", "Store", "StoreGenerator", "generate_store"]

"""Storeboard: self-hosted analytics for e-commerce retailers."""

__version__ = "0.1.0"

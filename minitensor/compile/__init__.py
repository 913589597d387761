"""Turning graphs into callable functions: ``shared``, ``function`` and the executor."""

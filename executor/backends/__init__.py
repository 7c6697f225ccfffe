"""Sandbox backends, one folder each (``executor/backends/<name>/``).

Each backend implements :class:`executor.types.Sandbox` and is registered by import path
in :data:`executor.sandbox.BACKENDS`, so it is imported only when chosen.
"""

"""The embedded demo: what ``sanctuarygate demo`` seeds and ``records generate`` writes.

- ``demo.seed``: the demo database (example desk answers, each with its log entry, a signed
  checkpoint, an FBI gateway key) and a small synthetic records database;
- ``demo.records``: synthetic police records at any size, the same on SQLite and PostgreSQL.

This package sits above the library (it may import ``gateway``, ``policy``, ``audit``,
``store``); nothing in the library imports it.
"""

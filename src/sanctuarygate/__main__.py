"""``python -m sanctuarygate``: the same as the ``sanctuarygate`` command."""

from sanctuarygate.cli.main import run

run()

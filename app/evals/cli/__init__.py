"""The ``kefu eval`` / ``kefu bench`` commands, found by ``app.cli.build_cli`` (``cmd_*.py``)."""

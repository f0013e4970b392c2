"""Every benchmark and evaluation of the app, with the CLI's bench/eval commands. Production never imports it."""

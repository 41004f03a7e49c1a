"""The desktop-twin command: the GUI with no arguments, subcommands otherwise."""

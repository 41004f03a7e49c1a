"""Errors the user can act on."""


class UserError(Exception):
    """A failure the user can act on; str() is the message shown."""

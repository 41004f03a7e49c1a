"""Capture failures the user can act on: each message says what happened and what to do."""

from desktop_twin.errors import UserError


class NoDeviceError(UserError):
    """The camera or microphone asked for does not exist."""


class DeviceBusyError(UserError):
    """The device exists but another program holds it."""


class DeviceLostError(UserError):
    """The device stopped delivering in the middle of a recording."""


class DiskFullError(UserError):
    """The disk is full, or would be before the work is done; what was written before is kept."""

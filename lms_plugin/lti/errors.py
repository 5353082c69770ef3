"""What a refused launch or login raises; the message is shown to the person as it is."""

from __future__ import annotations


class LaunchError(Exception):
    """A launch or login we refuse; the message is shown to the person as it is."""

    def __init__(self, message: str, status: int = 400, title: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.title = title or "This launch could not be accepted"

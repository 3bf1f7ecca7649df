"""Loopback ports for the test processes."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on right now, so ``dailypapers run`` processes never share 8080."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

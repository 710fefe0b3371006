"""The ports tests' servers are given: outside the range outgoing connections take theirs from.

CI once failed with "address already in use" on a port ``bind(0)`` had just handed out: an
outgoing connection (to PostgreSQL, from another worker) took it as its local port before the
bot's server bound it.
"""

from __future__ import annotations

import socket

from standins.balancer import _ephemeral_low, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_listened_on() -> None:
    low = _ephemeral_low()
    for _ in range(50):
        port = free_port()
        assert 1024 < port < low
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
            server.listen()


def test_a_port_already_bound_is_not_handed_out() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        busy = taken.getsockname()[1]
        assert all(free_port() != busy for _ in range(200))

"""The handle every collector's ``start()`` returns.

A Protocol (not a base class) so that each collector keeps its own server shape (threads,
selectors, asyncio) while ``soc serve`` and the tests treat them all alike: read the bound
addresses (tests bind port 0) and close them on shutdown.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Listener(Protocol):
    """A running collector: bound addresses plus a prompt, idempotent ``close()``."""

    addresses: list[tuple[str, int]]

    @property
    def endpoints(self) -> list[tuple[str, str, int]]:
        """`addresses` with what each one serves ("syslog over UDP"), for the startup output: a
        bare list leaves the admin guessing which port takes what."""
        ...

    def close(self) -> None:
        """Stop accepting input, release the sockets and return once worker threads exit."""
        ...

"""`soc collect`: the syslog and NetFlow listeners of an agency site, forwarding to the province.

The listeners are the same as the province's; only their sink differs (`ForwardingSink`). Events
are not enriched here: the province binds them to the site's agency and runs its enrichment
chain (its address plan, GeoIP and threat intel) at ingest.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from collectors.deadletter import DeadLetter
from collectors.forwarder.client import IngestClient
from collectors.forwarder.sink import ForwardingSink
from collectors.forwarder.spool import Spool
from collectors.listener import Listener
from collectors.listeners import listening_lines, start_listeners
from soc.config import Settings
from soc.errors import ConfigError
from soc.model.agency import Agency
from soc.model.event import Event
from soc.model.plural import counted

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectOptions:
    server_url: str
    token: str
    ca_file: str | None = None
    insecure: bool = False
    spool_dir: Path | None = None  # default: <data_dir>/spool
    max_spool_bytes: int = 1024 * 1024 * 1024


class Unenriched:
    """The listeners' `tagger` at a site: events leave as parsed (see the module docstring)."""

    def tag(self, event: Event) -> Event:
        return event

    def lookup(self, ip: str | list[str] | None) -> Agency | None:
        return None  # the site does not know the province's address plan


def read_token(token: str | None, token_file: str | None) -> str:
    """The site token from `--token` or, better (it then stays out of `ps`), `--token-file`."""
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the token file: {exc}", where=token_file) from exc
    if not token:
        raise ConfigError("a site token is required (--token-file or --token)", where="collect")
    return token


def start_forwarding(
    settings: Settings, options: CollectOptions, dead_letter: DeadLetter
) -> ForwardingSink:
    """The spool and its sender, resuming whatever a previous run left in the spool."""
    client = IngestClient(
        options.server_url, options.token, ca_file=options.ca_file, insecure=options.insecure
    )
    spool = Spool(
        options.spool_dir or settings.data_dir / "spool", max_bytes=options.max_spool_bytes
    )
    if spool.segment_count():
        log.info("resuming: %d batches waiting in the spool", spool.segment_count())
    return ForwardingSink(
        spool,
        client,
        dead_letter=dead_letter,
        batch_size=settings.ingest.batch_size,
        flush_interval_seconds=settings.ingest.flush_interval_seconds,
    )


def collect(settings: Settings, options: CollectOptions, stop: threading.Event) -> int:
    """Run until `stop` is set, then close the listeners and hand over what is pending."""
    dead_letter = DeadLetter(settings.dead_letter_path)
    sink = start_forwarding(settings, options, dead_letter)
    tagger = Unenriched()
    listeners: list[Listener] = []
    try:
        listeners = start_listeners(settings, sink=sink, tagger=tagger, dead_letter=dead_letter)
        print(f"forwarding to {options.server_url}", flush=True)
        for line in listening_lines(listeners):
            print(line, flush=True)
        stop.wait()
    finally:
        for listener in listeners:
            listener.close()
        sink.close()
        status = sink.status()
        print(
            f"stopped: {counted(status.sent_events, 'event')} delivered, "
            f"{counted(status.spooled_batches, 'batch', 'batches')} kept in the spool, "
            f"{status.dead_letters} dead-lettered",
            flush=True,
        )
    return 0

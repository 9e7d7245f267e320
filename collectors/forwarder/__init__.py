"""Remote sites: spool events on disk and forward them over HTTPS to the province's ingest API.

`spool` (append-only segments, bounded) -> `sink.ForwardingSink` (the listeners' sink; a sender
thread with retry, backoff and jitter) -> `client.IngestClient` (HTTPS, gzip NDJSON, site token).
`run.collect` is what `soc collect` runs.
"""

from collectors.forwarder.client import IngestClient, IngestReply
from collectors.forwarder.run import CollectOptions, collect, read_token
from collectors.forwarder.sink import ForwarderStatus, ForwardingSink
from collectors.forwarder.spool import Spool

__all__ = [
    "CollectOptions",
    "ForwarderStatus",
    "ForwardingSink",
    "IngestClient",
    "IngestReply",
    "Spool",
    "collect",
    "read_token",
]

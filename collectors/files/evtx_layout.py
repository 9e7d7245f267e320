"""The block layout of an EVTX file: file header, 64 KiB chunks, records inside a chunk.

The `evtx` package parses the content; this module only reads the fixed-size headers, for what
the package does not tell: which bytes a broken record or chunk occupies (the dead-letter file
keeps them for replay), how far through a file reading is (progress), and whether the file was
cut short (a copy taken while Windows was writing, an upload that stopped): the package silently
ignores a trailing partial chunk, so we pad it to full size and let the package recover the
records that are whole, then report the rest as lost.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
_RECORD_MAGIC = 0x00002A2A
_RECORD_HEAD = struct.Struct("<IIQ")  # magic, size, record id
_CHUNK_IDS = struct.Struct("<QQQQ")  # first/last record number, first/last record id
_NEXT_RECORD_ID = struct.Struct("<Q")


@dataclass(frozen=True)
class ChunkInfo:
    """A chunk's place in the file and the record ids its header claims."""

    index: int
    offset: int
    first_record_id: int | None  # None: header missing or not a chunk header
    last_record_id: int | None
    complete: bool  # all 64 KiB present


@dataclass(frozen=True)
class EvtxLayout:
    size: int
    next_record_id: int | None
    chunks: tuple[ChunkInfo, ...]

    @property
    def padded_size(self) -> int:
        """The size the file would have if its last chunk were whole."""
        if self.size <= FILE_HEADER_SIZE:
            return self.size
        body = self.size - FILE_HEADER_SIZE
        return FILE_HEADER_SIZE + -(-body // CHUNK_SIZE) * CHUNK_SIZE

    @property
    def partial_chunk(self) -> ChunkInfo | None:
        last = self.chunks[-1] if self.chunks else None
        return last if last is not None and not last.complete else None

    def chunk_for_record(self, record_id: int) -> ChunkInfo | None:
        for chunk in self.chunks:
            first, last = chunk.first_record_id, chunk.last_record_id
            if first is not None and last is not None and first <= record_id <= last:
                return chunk
        return None

    def progress(self, record_id: int, first_record_id: int) -> float:
        """Fraction of the file read when `record_id` is reached (0..1), by record ids: the
        package hands records over in file order, and ids grow through the file."""
        if self.next_record_id is None or self.next_record_id <= first_record_id:
            return 0.0
        span = self.next_record_id - first_record_id
        return min(max((record_id - first_record_id + 1) / span, 0.0), 1.0)


def read_layout(path: Path) -> EvtxLayout:
    """The headers of the file at `path`; damaged headers give None fields, never an error."""
    with path.open("rb") as fh:
        size = fh.seek(0, io.SEEK_END)
        fh.seek(0)
        header = fh.read(FILE_HEADER_SIZE)
        next_id = None
        if header.startswith(FILE_MAGIC) and len(header) >= 32:
            next_id = _NEXT_RECORD_ID.unpack_from(header, 24)[0]
        chunks = []
        offset, index = FILE_HEADER_SIZE, 0
        while offset < size:
            fh.seek(offset)
            head = fh.read(CHUNK_HEADER_SIZE)
            first = last = None
            if head.startswith(CHUNK_MAGIC) and len(head) >= 8 + _CHUNK_IDS.size:
                _, _, first, last = _CHUNK_IDS.unpack_from(head, 8)
            complete = offset + CHUNK_SIZE <= size
            chunks.append(ChunkInfo(index, offset, first, last, complete))
            offset += CHUNK_SIZE
            index += 1
    return EvtxLayout(size=size, next_record_id=next_id, chunks=tuple(chunks))


def chunk_bytes(path: Path, chunk: ChunkInfo) -> bytes:
    with path.open("rb") as fh:
        fh.seek(chunk.offset)
        return fh.read(CHUNK_SIZE)


def record_bytes(path: Path, layout: EvtxLayout, record_id: int) -> bytes:
    """The raw bytes of one record (found by walking its chunk), or its whole chunk when the
    walk cannot reach it (the damage is usually what breaks the walk)."""
    chunk = layout.chunk_for_record(record_id)
    if chunk is None:
        return b""
    data = chunk_bytes(path, chunk)
    offset = CHUNK_HEADER_SIZE
    while offset + _RECORD_HEAD.size <= len(data):
        magic, size, current = _RECORD_HEAD.unpack_from(data, offset)
        if magic != _RECORD_MAGIC or size < _RECORD_HEAD.size:
            break
        if current == record_id:
            return data[offset : offset + size]
        offset += size
    return data


class PaddedFile(io.RawIOBase):
    """A read-only view of a file followed by zeros up to `size`: a cut-off last chunk then
    looks whole to the parser, which recovers every record that was completely written."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        super().__init__()
        self._fh = fh
        self._real = fh.seek(0, io.SEEK_END)
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self._size - self._pos)
        if count <= 0:
            return 0
        self._fh.seek(self._pos)
        data = self._fh.read(max(min(count, self._real - self._pos), 0))
        view = memoryview(buffer)
        view[: len(data)] = data
        view[len(data) : count] = bytes(count - len(data))
        self._pos += count
        return count

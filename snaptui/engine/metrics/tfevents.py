"""TensorBoard event files (`events.out.tfevents.*`), read record by record from a byte offset.

The file is a sequence of TFRecords (length, length CRC, payload, payload CRC); each
payload is an `Event` protocol buffer, decoded with TensorBoard's own proto classes
(an optional extra: `pip install 'snaptui[tensorboard]'`). Scalars come either as
`simple_value` (TF1 / torch's SummaryWriter) or as a one-element tensor with the
`scalars` plugin (TF2 / `tensorboard.summary`). A partial last record waits for the writer.
"""
from __future__ import annotations

import os
import struct
from typing import Any

from .reading import Point, ReadState, check_file

HEADER = 12  # uint64 length + uint32 masked CRC of the length
FOOTER = 4   # uint32 masked CRC of the payload
_FLOAT_DTYPES = {1: "<f", 2: "<d", 19: "<e"}  # DT_FLOAT, DT_DOUBLE, DT_HALF


class TensorBoardMissing(RuntimeError):
    pass


def _event_class() -> Any:
    try:
        from tensorboard.compat.proto.event_pb2 import Event
    except ImportError as exc:
        raise TensorBoardMissing("reading TensorBoard event files needs the tensorboard package: "
                                 "pip install 'snaptui[tensorboard]'") from exc
    return Event


def _scalar(value: Any) -> float | None:
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if value.HasField("tensor") and value.metadata.plugin_data.plugin_name in ("scalars", ""):
        tensor = value.tensor
        if tensor.float_val:
            return float(tensor.float_val[0])
        if tensor.double_val:
            return float(tensor.double_val[0])
        fmt = _FLOAT_DTYPES.get(tensor.dtype)
        if fmt and len(tensor.tensor_content) == struct.calcsize(fmt):
            return float(struct.unpack(fmt, tensor.tensor_content)[0])
    return None


def read_tfevents(path: str | os.PathLike[str], state: ReadState, max_bytes: int) -> list[Point]:
    size = check_file(path, state)
    if size is None or size <= state.offset:
        return []
    Event = _event_class()
    points: list[Point] = []
    end = min(size, state.offset + max_bytes)
    with open(path, "rb") as handle:
        handle.seek(state.offset)
        while state.offset + HEADER <= size:
            header = handle.read(HEADER)
            (length,) = struct.unpack("<Q", header[:8])
            if state.offset + HEADER + length + FOOTER > size:
                break  # the writer has not finished this record yet
            payload = handle.read(length)
            handle.read(FOOTER)
            state.offset += HEADER + length + FOOTER
            event = Event.FromString(payload)
            if event.HasField("summary"):
                for value in event.summary.value:
                    scalar = _scalar(value)
                    if scalar is not None:
                        points.append(Point(value.tag, float(event.step), scalar))
            if state.offset >= end:
                break
    return points

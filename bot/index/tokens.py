"""A build's tokens.npy, read a few rows at a time: each passage's token vectors, for late interaction."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class TokenFile:
    """The rows of a build's tokens.npy, read from the file as searches need them.

    Not memory-mapped: this kernel maps whole large page-cache folios, so each passage read through a mapping
    added about 1 MB to the server's resident memory (1 GB over 200 questions at 50,000 passages)."""

    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - open for the index's life; closed with it
        try:
            version = np.lib.format.read_magic(self._file)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            self.shape, fortran_order, self.dtype = read_header(self._file)
            self._start = self._file.tell()
            self._row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
            size = os.fstat(self._file.fileno()).st_size
            if fortran_order or len(self.shape) != 2 or size != self._start + self.shape[0] * self._row_bytes:
                raise ValueError(f"{path.name} is not a whole 2-D array")
        except BaseException:
            self._file.close()
            raise

    def __len__(self) -> int:
        return int(self.shape[0])

    def rows(self, start: int, stop: int) -> np.ndarray:
        data = os.pread(self._file.fileno(), (stop - start) * self._row_bytes, self._start + start * self._row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(-1, self.shape[1])

    def close(self) -> None:
        self._file.close()

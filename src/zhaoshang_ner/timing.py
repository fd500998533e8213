"""Wall time per prediction stage, for the speed benchmark's profile (off unless a `StageTimes` is given)."""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Iterator

STAGES = ("decode", "tokenise", "lexicon features", "windows", "model forward", "decoding", "values", "writing")


class StageTimes:
    """Seconds spent per stage; stages nest nowhere, so their sum is the measured part of the wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started


@contextmanager
def timed(times: StageTimes | None, name: str) -> Iterator[None]:
    """`times.stage(name)`, or nothing when profiling is off."""
    if times is None:
        yield
    else:
        with times.stage(name):
            yield

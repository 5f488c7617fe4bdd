"""Progress of a batch run: a tqdm bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm  # a terminal bar: shown only when the stream is a terminal

from bnpl_risk.errors import ConfigError

__all__ = ["MODES", "Progress"]

MODES = ("auto", "bar", "lines", "off")
_EVERY = 10.0  # seconds between log lines


class Progress:
    """Applications scored so far, with throughput and time left.

    Parameters
    ----------
    mode : {"auto", "bar", "lines", "off"}
        ``"auto"``: a bar when ``stream`` is a terminal, else lines.
    stream : file, default sys.stderr
    """

    def __init__(self, mode: str = "auto", stream=None):
        if mode not in MODES:
            raise ConfigError(f"progress must be one of {', '.join(MODES)}; got {mode!r}.")
        self.stream = sys.stderr if stream is None else stream
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "lines"
        self.mode = mode
        self._bar = None

    def say(self, message: str) -> None:
        """A one-off message (phase of the run)."""
        if self.mode == "bar":
            tqdm.write(message, file=self.stream)
        elif self.mode == "lines":
            print(message, file=self.stream, flush=True)

    def start(self, total: int, done: int, chunks: int, chunks_done: int) -> None:
        self.total, self.done, self.chunks, self.chunks_done = total, done, chunks, chunks_done
        self._start, self._start_done, self._said = time.perf_counter(), done, 0.0
        if self.mode == "bar":
            self._bar = tqdm(
                total=total, initial=done, unit="app", unit_scale=True, file=self.stream,
                desc="scoring", dynamic_ncols=True, smoothing=0.1,
            )  # fmt: skip

    def advance(self, applications: int) -> None:
        """One chunk finished with ``applications`` rows (scored or rejected)."""
        self.done += applications
        self.chunks_done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(f"chunk {self.chunks_done}/{self.chunks}", refresh=False)
            self._bar.update(applications)
        elif self.mode == "lines":
            now = time.perf_counter()
            if now - self._said >= _EVERY or self.chunks_done == self.chunks:
                self._said = now
                print(self._line(now), file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def _line(self, now: float) -> str:
        rate = (self.done - self._start_done) / max(now - self._start, 1e-9)
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        share = self.done / self.total if self.total else 1.0
        return (
            f"chunk {self.chunks_done}/{self.chunks}: {self.done:,}/{self.total:,} "
            f"applications ({share:.1%}), {rate:,.0f}/s, ETA {_duration(left)}"
        )


def _duration(seconds: float) -> str:
    if seconds != seconds:  # NaN: nothing measured yet
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"

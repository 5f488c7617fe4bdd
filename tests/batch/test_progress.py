"""Progress: a tqdm bar with rate and ETA on a terminal, plain lines otherwise."""

import io

import pytest

from bnpl_risk.batch._progress import Progress
from bnpl_risk.errors import ConfigError


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal():
    stream = _Terminal()
    progress = Progress("auto", stream=stream)
    assert progress.mode == "bar"
    progress.start(total=1000, done=200, chunks=4, chunks_done=1)
    progress.advance(300)
    progress.close()
    text = stream.getvalue()
    assert "500/1.00k" in text
    assert "app/s" in text
    assert "chunk 2/4" in text


def test_lines_elsewhere():
    stream = io.StringIO()
    progress = Progress("auto", stream=stream)
    assert progress.mode == "lines"
    progress.say("partitioning")
    progress.start(total=1000, done=0, chunks=2, chunks_done=0)
    progress.advance(400)
    progress.advance(600)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "partitioning"
    assert lines[-1].startswith("chunk 2/2: 1,000/1,000 applications (100.0%), ")
    assert lines[-1].endswith("ETA 0m00s")


def test_off_is_silent_and_a_bad_mode_is_named():
    stream = io.StringIO()
    progress = Progress("off", stream=stream)
    progress.say("x")
    progress.start(total=1, done=0, chunks=1, chunks_done=0)
    progress.advance(1)
    assert stream.getvalue() == ""
    with pytest.raises(ConfigError, match="progress must be one of auto, bar, lines, off"):
        Progress("verbose")

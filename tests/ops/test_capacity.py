"""The capacity left on this machine, in live speakers."""

from mina.ops import CORES_PER_STREAM, speakers_left


def test_each_idle_quarter_core_is_one_more_live_speaker():
    assert CORES_PER_STREAM == 0.25  # measured: docs/performance.md
    assert speakers_left(cores=2, load=0.5) == 6
    assert speakers_left(cores=8, load=0.0) == 32
    assert speakers_left(cores=2, load=1.9) == 0
    assert speakers_left(cores=2, load=3.5) == 0  # a machine past its cores has nothing left

import gc

import pytest

from webapp.core.bulk import paused_gc


@pytest.fixture(autouse=True)
def collector_back_on():
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_back_after_the_outermost_block():
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()      # the inner block ending does not switch it back on
    assert gc.isenabled()


def test_a_failing_block_still_turns_it_back_on():
    gc.enable()
    with pytest.raises(ValueError):
        with paused_gc():
            raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_as_a_decorator_each_call_pauses_it():
    seen = []

    @paused_gc()
    def work():
        seen.append(gc.isenabled())

    gc.enable()
    work()
    work()
    assert seen == [False, False] and gc.isenabled()

"""sparsebench's executor conformance suite, run against this plugin: subclassing it is the whole test."""
from __future__ import annotations

from contextlib import nullcontext

import pytest

from bench.errors import UserError
from bench.run.backends import ExecutorSettings
from bench.run.conformance import ExecutorConformance
from sparsebench_pool import make_executor


class TestPool(ExecutorConformance):
    def executor(self):
        return nullcontext(make_executor(ExecutorSettings(jobs=2, threads=1)))


def test_settings_it_cannot_honour_are_refused():
    with pytest.raises(UserError, match="--devices and --scheduler are not used"):
        make_executor(ExecutorSettings(devices="cuda:0"))
    with pytest.raises(UserError, match="takes no --executor-option"):
        make_executor(ExecutorSettings(options={"partition": "gpu"}))

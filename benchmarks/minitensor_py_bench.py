"""minitensor with ``linker='py'``: the NumPy program, one NumPy call per op of a fused node.

The same graphs as ``minitensor_bench.py`` (which uses the default, the C linker), so the two
columns show what compiling the fused nodes to C loops gives."""

import minitensor

from benchmarks import minitensor_bench

AVAILABLE = True


def _with_numpy_program(build):
    def built(*args):
        with minitensor.change_flags(linker="py"):
            return build(*args)
    return built


logistic = _with_numpy_program(minitensor_bench.logistic)
mlp = _with_numpy_program(minitensor_bench.mlp)
add_one = _with_numpy_program(minitensor_bench.add_one)
compile_logistic = _with_numpy_program(minitensor_bench.compile_logistic)

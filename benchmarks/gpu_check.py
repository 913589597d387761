"""The one-command GPU check: minitensor's CuPy backend on a real NVIDIA GPU, in under 8 minutes.

    python benchmarks/gpu_check.py            # on a machine with a GPU and CuPy
    python benchmarks/gpu_check.py --standin  # step 3 alone, on the CPU stand-in (tiny sizes):
                                              # it shows the script runs; its timings mean nothing

It runs, in order, and prints what each gave:

1. the GPU tests: the backend, tutorial, function, gradient and kernel test files with
   ``--backend=cupy``, on the real CuPy;
2. ``examples/logistic.py`` with ``device=cuda`` and with ``device=cpu``, in float32:
   the final costs must agree within float32's tolerance;
3. the tutorial's training step at N = 1,000,000 x 784 float32 (3.1 GB of X), timed
   against hand-written CuPy and PyTorch eager on CUDA in the same run, pairs of blocks
   interleaved as in ``benchmarks/common.py``, and against the time of reading X twice
   at the card's copy bandwidth, measured here by copying X (a copy reads and writes
   X, so reading it once takes half a copy).

Nothing here is a test: it reports figures. With ``--json PATH`` it also writes them.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPU_TESTS = ["tests/test_backends.py", "tests/test_tutorial.py", "tests/test_function.py",
             "tests/test_gradient.py", "tests/test_kernels.py", "tests/test_random.py"]


def run(command, env=None):
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT, **(env or {})))
    return result, time.perf_counter() - started


def gpu_tests(report):
    result, seconds = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--backend=cupy",
                           *GPU_TESTS])
    last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    report["gpu_tests"] = {"returncode": result.returncode, "summary": last, "seconds": round(seconds, 1)}
    print(f"1. GPU tests ({' '.join(GPU_TESTS)}): {last} [{seconds:.0f} s]")
    if result.returncode:
        print(result.stdout[-4000:])


def logistic_example(report, steps):
    costs = {}
    for device in ("cuda", "cpu"):
        result, seconds = run([sys.executable, "examples/logistic.py", "--dtype", "float32", "--steps", str(steps)],
                              env={"MINITENSOR_FLAGS": f"device={device}"})
        line = next((line for line in result.stdout.splitlines() if line.startswith("final cost")), None)
        if result.returncode or line is None:
            print(f"2. logistic.py on {device} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
            report["logistic"] = {"failed_on": device}
            return
        costs[device] = float(line.split()[2])
        print(f"2. logistic.py on {device}: {line} [{seconds:.1f} s wall]")
    agree = abs(costs["cuda"] - costs["cpu"]) <= 1e-4 * max(1.0, abs(costs["cpu"]))
    report["logistic"] = dict(costs, agree=agree)
    print(f"   final costs agree within float32 tolerance: {agree}")


def training_step(report, n, feats, repeats, block):
    import cupy

    import minitensor as theano
    import minitensor.tensor as T
    theano.config.floatX, theano.config.device = "float32", "cuda"
    rng = cupy.random.default_rng(0)
    X = rng.standard_normal((n, feats), dtype=cupy.float32)
    Y = (rng.random(n) < 0.5).astype(cupy.float32)
    w0 = rng.standard_normal(feats, dtype=cupy.float32) * 0.01

    # minitensor: the tutorial's code
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(w0.copy(), name="w")
    b = theano.shared(np.float32(0), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    step = theano.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], backend="cupy",
                           device_outputs=True)

    # hand-written CuPy: the same step, written as a CuPy user would
    state = {"w": w0.copy(), "b": cupy.float32(0)}

    def cupy_step():
        z = X @ state["w"] + state["b"]
        p = 1 / (1 + cupy.exp(-z))
        c = cupy.mean(cupy.logaddexp(0, -z) * Y + cupy.logaddexp(0, z) * (1 - Y)) + 0.01 * (state["w"] ** 2).sum()
        g = (p - Y) / n
        state["w"] = state["w"] - 0.1 * (X.T @ g + 0.02 * state["w"])
        state["b"] = state["b"] - 0.1 * g.sum()
        return c

    systems = {"minitensor": lambda: step(X, Y), "cupy": cupy_step}
    try:
        import torch
        Xt, Yt = torch.as_tensor(X, device="cuda"), torch.as_tensor(Y, device="cuda")
        wt = torch.as_tensor(w0.copy(), device="cuda").requires_grad_()
        bt = torch.zeros((), device="cuda", requires_grad=True)

        def torch_step():
            p = torch.sigmoid(Xt @ wt + bt)
            c = torch.nn.functional.binary_cross_entropy(p, Yt) + 0.01 * (wt ** 2).sum()
            gw_, gb_ = torch.autograd.grad(c, [wt, bt])
            with torch.no_grad():
                wt.sub_(0.1 * gw_)
                bt.sub_(0.1 * gb_)
            return c
        systems["torch_eager"] = torch_step
    except Exception as error:  # no torch, or no CUDA build of it
        report["torch_missing"] = f"{type(error).__name__}: {error}"

    def timed(function):
        function()
        cupy.cuda.Device().synchronize()
        started = time.perf_counter()
        for _ in range(block):
            function()
        cupy.cuda.Device().synchronize()
        return (time.perf_counter() - started) / block

    times = {name: [] for name in systems}
    for repeat in range(repeats):  # interleaved, each system next to the others in every repeat
        names = list(systems) if repeat % 2 == 0 else list(reversed(systems))
        for name in names:
            times[name].append(timed(systems[name]))
    copy = cupy.empty_like(X)

    def copy_x():
        cupy.copyto(copy, X)
    copy_seconds = min(timed(copy_x) for _ in range(5))
    bandwidth = 2 * X.nbytes / copy_seconds  # a copy reads and writes X
    read_twice = 2 * X.nbytes / bandwidth
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    report["training_step"] = {"n": n, "features": feats, "x_bytes": X.nbytes,
                               "copy_bandwidth_GBps": bandwidth / 1e9, "read_x_twice_ms": 1e3 * read_twice,
                               "median_ms": {k: 1e3 * v for k, v in medians.items()},
                               "ratio_to_read_twice": {k: v / read_twice for k, v in medians.items()}}
    print(f"3. training step, N = {n:,} x {feats} float32 ({X.nbytes / 1e9:.2f} GB), {repeats} x {block} steps each:")
    print(f"   copy bandwidth {bandwidth / 1e12:.2f} TB/s: reading X twice takes {1e3 * read_twice:.3f} ms")
    if "torch_missing" in report:
        print(f"   (PyTorch eager not timed: {report['torch_missing']})")
    for name, seconds in medians.items():
        print(f"   {name:12s} {1e3 * seconds:8.3f} ms  {seconds / read_twice:5.2f}x reading X twice  "
              f"{seconds / medians['cupy']:5.2f}x hand-written CuPy")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standin", action="store_true",
                        help="run on the CPU stand-in for CuPy (tests/cupy_standin.py), at tiny sizes")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)  # this checkout's minitensor, installed or not
    report = {}
    if args.standin:
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        import cupy_standin
        sys.modules["cupy"] = cupy_standin
        cupy_standin.random = type(sys)("random")  # the stand-in has no device generator: make one from NumPy's
        cupy_standin.random.default_rng = _standin_rng(cupy_standin)
        print("On the CPU stand-in for CuPy: step 3 only, at a tiny size (steps 1 and 2 need a GPU; "
              "python -m pytest --backend=cupy is step 1's stand-in run)")
        training_step(report, n=2000, feats=784, repeats=3, block=2)
    else:
        import cupy
        print(f"CuPy {cupy.__version__}, GPU: {cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
        gpu_tests(report)
        logistic_example(report, steps=2001)
        training_step(report, n=1_000_000, feats=784, repeats=7, block=10)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(report, file, indent=2)


def _standin_rng(cupy_standin):
    def default_rng(seed):
        generator = np.random.default_rng(seed)

        class Generator:
            def standard_normal(self, shape, dtype=np.float64):
                return cupy_standin.asarray(generator.standard_normal(shape, dtype=dtype))

            def random(self, shape):
                return cupy_standin.asarray(generator.random(shape))
        return Generator()
    return default_rng


if __name__ == "__main__":
    main()

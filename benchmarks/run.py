"""Run every benchmark on every installed system; print one table and write docs/benchmarks.md.

    python -m benchmarks.run             # about fifteen minutes on two cores
    python -m benchmarks.run --quick     # a smoke test: few steps, few repeats

Times are medians of ``--repeats`` repeats. In each repeat every system runs its
block of steps in turn, next to a block of hand-written NumPy (``numpy_best``) of its
own, and its ratio for the repeat is to that block, so that a change in the
machine's load falls on both; the ratio reported is the median of these
(``common.paired_medians``). The tutorial
configuration is the Theano tutorial's logistic regression (400 points, 784
features); its 10001 steps are timed as ``--steps`` steps per repeat. The large
batch is 400,000 points in float32 (X is 1.25 GB), 50 steps (5 a repeat, 10 repeats:
the median of ten short blocks is less at the mercy of the machine's load than that
of five long ones), with the peak memory of one step as tracemalloc sees it (NumPy's
allocations; PyTorch's and JAX's are invisible to it). The MLP (784-256-10, tanh,
softmax cross-entropy), at batches of 128 and 1024, is a graph no rewrite rule was
written for.
"""

import os

# One thread for every library, unless BENCH_THREADS says otherwise: on a two-core machine that
# others use too, a second BLAS or PyTorch thread mostly waits, and times vary tenfold. The
# variables must be set before NumPy, PyTorch or JAX start their thread pools.
THREADS = os.environ.get("BENCH_THREADS", "1")
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, THREADS)
os.environ.setdefault("XLA_FLAGS", f"--xla_cpu_multi_thread_eigen={'false' if THREADS == '1' else 'true'} "
                                   f"intra_op_parallelism_threads={THREADS}")

import argparse  # noqa: E402
import importlib  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import common

SYSTEMS = ["numpy_best", "numpy_naive", "minitensor", "minitensor_py", "pytensor", "jax", "torch", "autograd"]
MODULES = {"numpy_best": "numpy_best", "numpy_naive": "numpy_naive", "minitensor": "minitensor_bench",
           "minitensor_py": "minitensor_py_bench",
           "pytensor": "pytensor_bench", "jax": "jax_bench", "torch": "torch_bench", "autograd": "autograd_bench"}
LARGE_N, FEATURES = 400_000, 784  # the large batch: X is 1.25 GB of float32
MLP_BATCHES = (128, 1024)

# Issue 18's goals for minitensor (the C linker): ratios to hand-written NumPy.
GOALS = {"tutorial float64": 1.00, "tutorial float32": 0.95, "large batch float32": 0.50,
         **{f"mlp {batch} {dtype}": 1.00 for batch in MLP_BATCHES for dtype in ("float64", "float32")}}


def load_systems(names):
    systems = {}
    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.{MODULES[name]}")
        except ImportError as error:
            print(f"skipping {name}: {error}", file=sys.stderr)
            continue
        if module.AVAILABLE:
            systems[name] = module
        else:
            print(f"skipping {name}: not installed", file=sys.stderr)
    return systems


def time_training(systems, builder, problem, calls, repeats, spreads, configuration):
    """({system: median seconds per step}, {system: median ratio to numpy_best}, the steps);
    ``spreads[configuration]`` gets {system: (lowest, highest) ratio over the repeats}."""
    steps = {name: getattr(module, builder)(problem) for name, module in systems.items()}
    if "numpy_best" not in steps or len(steps) == 1:
        return common.interleaved_medians(steps, calls, repeats), {}, steps
    times, ratios, spreads[configuration] = common.paired_medians(steps, "numpy_best", calls, repeats)
    return times, ratios, steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps and repeats: check that it runs")
    parser.add_argument("--steps", type=int, default=1000, help="tutorial steps timed per repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--systems", nargs="*", default=SYSTEMS, choices=SYSTEMS)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args(argv)
    steps, repeats = (20, 3) if args.quick else (args.steps, args.repeats)
    large_steps, large_repeats = (2, 2) if args.quick else (5, 10)
    systems = load_systems(args.systems)
    # The tutorial's model saturates: log(p) reaches -inf in the hand-written versions. Warning
    # about it on every step would time the warnings machinery; no system warns.
    np.seterr(all="ignore")
    load_before = os.getloadavg()
    started = time.time()
    rows = {}  # configuration -> {system: seconds}
    ratios = {}  # configuration -> {system: ratio to numpy_best}, where paired blocks measured it
    spreads = {}  # configuration -> {system: (lowest, highest) ratio over the repeats}
    memory = {}

    for dtype in ("float64", "float32"):
        problem = common.logistic_problem(400, 784, dtype)
        rows[f"tutorial {dtype}"], ratios[f"tutorial {dtype}"], _ = time_training(
            systems, "logistic", problem, steps, repeats, spreads, f"tutorial {dtype}")
        print_row(f"tutorial {dtype}", rows[f"tutorial {dtype}"])
    problem = common.logistic_problem(LARGE_N, FEATURES, "float32")
    rows["large batch float32"], ratios["large batch float32"], large_steps_made = time_training(
        systems, "logistic", problem, large_steps, large_repeats, spreads, "large batch float32")
    print_row("large batch float32", rows["large batch float32"])
    # The machine's limit: a step must read X at least once. NumPy's float32 sum of X reads it once,
    # in vector lanes, and computes next to nothing.
    rows["large batch: reading X once"] = common.interleaved_medians(
        {"numpy_best": lambda: problem.x.sum(dtype=np.float32)}, large_steps, large_repeats)
    print_row("large batch: reading X once", rows["large batch: reading X once"])
    data_bytes = problem.x.nbytes + problem.y.nbytes + sum(p.nbytes for p in problem.params)
    for name, step in large_steps_made.items():
        if name in ("numpy_best", "numpy_naive", "minitensor", "pytensor", "autograd"):
            memory[name] = (data_bytes, common.peak_bytes(step))
    del large_steps_made, problem
    for batch in MLP_BATCHES:
        for dtype in ("float64", "float32"):
            problem = common.mlp_problem(batch, 784, 256, 10, dtype)
            name = f"mlp {batch} {dtype}"
            # About as many rows a block as the tutorial's blocks: 20,000 steps of 400 at 1000 steps.
            rows[name], ratios[name], _ = time_training(systems, "mlp", problem, max(steps * 20 // batch, 5), repeats,
                                                        spreads, name)
            print_row(name, rows[name])

    x = np.ones(10)
    calls = {name: m.add_one(x) for name, m in systems.items() if getattr(m, "add_one", None)}
    rows["per call of x + 1"] = common.interleaved_medians(calls, 2000 if args.quick else 50_000, repeats)
    print_row("per call of x + 1", rows["per call of x + 1"])

    problem = common.logistic_problem(400, 784, "float64")
    rows["compile logistic"] = {name: m.compile_logistic(problem) for name, m in systems.items()
                                if getattr(m, "compile_logistic", None)}
    print_row("compile logistic", rows["compile logistic"])
    if "minitensor" in systems:
        rows["compile logistic, empty cache"] = {"minitensor": systems["minitensor"].compile_logistic_cold(problem)}
        print_row("compile logistic, empty cache", rows["compile logistic, empty cache"])

    load_after = os.getloadavg()
    context = describe_machine(systems, load_before, load_after, time.time() - started,
                               f"tutorial: {steps} steps a repeat, {repeats} repeats; large batch: {large_steps} "
                               f"steps a repeat, {large_repeats} repeats")
    text = report(rows, ratios, spreads, memory, context)
    print()
    print(text)
    if not args.no_write:
        write_docs(rows, ratios, text)


def print_row(configuration, times):
    cells = "  ".join(f"{name} {1e6 * seconds:.1f}" for name, seconds in times.items())
    print(f"{configuration:22s} us: {cells}", flush=True)


def baseline(configuration, times):
    if configuration.startswith("compile logistic"):
        return None
    return times.get("numpy_best")


def ratio_to_best(rows, ratios, configuration, name):
    """The median of the system's ratios to the numpy_best block just before it, where the
    blocks were paired (see ``common.paired_medians``); else the ratio of the medians (None
    for compile times, which have no NumPy counterpart)."""
    paired = ratios.get(configuration, {})
    base = baseline(configuration, rows[configuration])
    if name in paired:
        return paired[name]
    return rows[configuration][name] / base if base else None


def report(rows, ratios, spreads, memory, context):
    names = [name for name in SYSTEMS if any(name in times for times in rows.values())]

    def ratio(configuration, name):
        return ratio_to_best(rows, ratios, configuration, name)

    lines = [context, "", "Median time per step (per call, per compile) and its ratio to hand-written "
             "NumPy (`numpy_best`) measured in the same run. For the training steps the ratio is the "
             "median, over the repeats, of the system's time over that of a `numpy_best` block run "
             "next to it; `numpy_best`'s time is the median of all its blocks, so a ratio need not be "
             "the quotient of the two times shown:", ""]
    lines.append("| configuration | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 1) + "|")
    for configuration, times in rows.items():
        cells = []
        for name in names:
            if name not in times:
                cells.append("–")
                continue
            value = times[name]
            text = f"{value * 1e3:.2f} ms" if value >= 1e-3 else f"{value * 1e6:.1f} µs"
            if ratio(configuration, name) is not None:
                text += f" ({ratio(configuration, name):.2f}x)"
            cells.append(text)
        lines.append(f"| {configuration} | " + " | ".join(cells) + " |")
    if memory:
        lines.append("| large batch, peak MB: data + a step's arrays | " + " | ".join(
            f"{sum(memory[name]) / 1e6:.0f} = {memory[name][0] / 1e6:.0f} + {memory[name][1] / 1e6:.1f}"
            if name in memory else "–" for name in names) + " |")
    lines += ["", "The performance goals minitensor is held to:", ""]
    for configuration, goal in GOALS.items():
        times = rows[configuration]
        if "minitensor" in times and "numpy_best" in times:
            reached = ratio(configuration, "minitensor")
            low, high = spreads.get(configuration, {}).get("minitensor", (reached, reached))
            lines.append(f"- {configuration}: minitensor {reached:.2f}x hand-written NumPy, {low:.2f}x to {high:.2f}x "
                         f"over the repeats (goal at most {goal:.2f}x): {'met' if reached <= goal else 'not met'}")
    per_call = rows["per call of x + 1"]
    if "minitensor" in per_call and "pytensor" in per_call:
        lines.append(f"- per call of x + 1: minitensor {per_call['minitensor'] * 1e6:.2f} µs, PyTensor "
                     f"{per_call['pytensor'] * 1e6:.2f} µs: {'met' if per_call['minitensor'] <= per_call['pytensor'] else 'not met'}")
    if "minitensor" in rows["compile logistic"]:
        ms = rows["compile logistic"]["minitensor"] * 1e3
        lines.append(f"- compiling the logistic step, C libraries cached: {ms:.1f} ms (goal at most 20 ms): "
                     f"{'met' if ms <= 20 else 'not met'}")
    if "minitensor" in rows.get("compile logistic, empty cache", {}):
        lines.append(f"- compiling it the first time ever (g++ compiles each fused node): "
                     f"{rows['compile logistic, empty cache']['minitensor'] * 1e3:.0f} ms (Theano's: 6.5 s)")
    once = rows.get("large batch: reading X once", {}).get("numpy_best")
    if once and "minitensor" in rows["large batch float32"]:
        lines.append(f"- large batch float32: minitensor's step takes "
                     f"{rows['large batch float32']['minitensor'] / once:.2f}x the time of reading X once "
                     f"({once * 1e3:.1f} ms, {LARGE_N * FEATURES * 4 / once / 1e9:.1f} GB/s)")
    if "minitensor" in memory and "numpy_best" in memory:
        memory_ratio = sum(memory["minitensor"]) / sum(memory["numpy_best"])
        lines.append(f"- large batch peak memory: minitensor {memory_ratio:.2f}x hand-written NumPy (goal at most "
                     f"1.10x): {'met' if memory_ratio <= 1.10 else 'not met'}")
    return "\n".join(lines)


def describe_machine(systems, load_before, load_after, seconds, blocking):
    from importlib.metadata import version
    versions = {"numpy": np.__version__}
    versions.update((name, version(name)) for name in ("pytensor", "jax", "torch", "autograd") if name in systems)
    notes = ""
    if "pytensor" in systems and not sys.modules["pytensor"].config.blas__ldflags:
        notes = (" PyTensor found no BLAS library to link (its `blas__ldflags` is empty), so its dot "
                 "products go through NumPy's C API and copy transposed operands: it is slower here "
                 "than with a configured BLAS.")
    return (f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, " + ", ".join(f"{k} {v}" for k, v in versions.items()) +
            f"; load average {load_before[0]:.1f} before and {load_after[0]:.1f} after the run "
            f"({seconds:.0f} s); {THREADS} thread(s) per library; {blocking}."
            + notes)


def write_docs(rows, ratios, text):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")
    picture = "benchmarks.png"
    plotted = plot(rows, ratios, os.path.join(root, picture))
    with open(os.path.join(root, "benchmarks.md"), "w") as file:
        file.write("# Benchmarks\n\n")
        file.write("Written by `python -m benchmarks.run` (see `benchmarks/`: one script per system). "
                   "Each system runs the same problems; hand-written NumPy with `out=` buffers and "
                   "analytic gradients (`benchmarks/numpy_best.py`) is the yardstick.\n\n")
        file.write(text + "\n")
        if plotted:
            file.write(f"\n![Ratios to hand-written NumPy]({picture})\n")


def plot(rows, ratios, path):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plot", file=sys.stderr)
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    configurations = [c for c, times in rows.items() if baseline(c, times)]
    names = [n for n in SYSTEMS if n != "numpy_best" and any(n in rows[c] for c in configurations)]
    if not names:
        return False  # no ratio to draw without numpy_best and another system
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        heights = [ratio_to_best(rows, ratios, c, name) if name in rows[c] else np.nan for c in configurations]
        ax.bar(np.arange(len(configurations)) + k * width, heights, width, label=name)
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(configurations)) + 0.4 - width / 2)
    ax.set_xticklabels(configurations, fontsize=8)
    ax.set_ylabel("time / hand-written NumPy (log scale)")
    ax.set_title("Median time per step, relative to hand-written NumPy in the same run")
    ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


if __name__ == "__main__":
    main()

"""JAX: the step as a pure function of the parameters, compiled with ``jax.jit`` (XLA on the CPU).
Results are waited for (``block_until_ready``) so that the time is the computation's."""

try:
    import jax
    import jax.numpy as jnp
    AVAILABLE = True
except ImportError:
    AVAILABLE = False

import time

import numpy as np


def _logistic_step(w, b, x, y):
    def cost(params):
        w, b = params
        p = 1 / (1 + jnp.exp(-x.dot(w) - b))
        xent = -y * jnp.log(p) - (1 - y) * jnp.log(1 - p)
        return xent.mean() + 0.01 * (w ** 2).sum(), (p > 0.5, xent)
    (_, outputs), (gw, gb) = jax.value_and_grad(cost, has_aux=True)((w, b))
    return w - 0.1 * gw, b - 0.1 * gb, outputs


def logistic(data):
    if data.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    step = jax.jit(_logistic_step)
    x, y = jnp.asarray(data.x), jnp.asarray(data.y)
    state = [jnp.asarray(data.params[0]), jnp.asarray(data.params[1])]

    def run():
        state[0], state[1], outputs = step(state[0], state[1], x, y)
        jax.block_until_ready(outputs)
        return outputs
    return run


def _mlp_step(params, x, t):
    def loss(params):
        w1, b1, w2, b2 = params
        h = jnp.tanh(x.dot(w1) + b1)
        p = jax.nn.softmax(h.dot(w2) + b2, axis=-1)
        return -(t * jnp.log(p)).sum(axis=1).mean()
    value, grads = jax.value_and_grad(loss)(params)
    return [p - 0.1 * g for p, g in zip(params, grads)], value


def mlp(data):
    if data.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    step = jax.jit(_mlp_step)
    x, t = jnp.asarray(data.x), jnp.asarray(data.y)
    state = [[jnp.asarray(p) for p in data.params]]

    def run():
        state[0], value = step(state[0], x, t)
        return jax.block_until_ready(value)
    return run


def add_one(x):
    if x.dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    f = jax.jit(lambda v: v + 1)
    v = jnp.asarray(x)
    return lambda: jax.block_until_ready(f(v))


def compile_logistic(data, repeats=11):
    if data.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    args = (jnp.asarray(data.params[0]), jnp.asarray(data.params[1]), jnp.asarray(data.x), jnp.asarray(data.y))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.jit(lambda *a: _logistic_step(*a)).lower(*args).compile()  # a new function: no cache
        times.append(time.perf_counter() - start)
    return float(np.median(times))

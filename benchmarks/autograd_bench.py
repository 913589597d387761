"""HIPS autograd: NumPy code differentiated by tracing each call."""

try:
    import autograd
    import autograd.numpy as anp
    AVAILABLE = True
except ImportError:
    AVAILABLE = False


def logistic(data):
    x, y = data.x, data.y
    params = [data.params[0].copy(), data.params[1].copy()]

    def cost(params):
        w, b = params
        p = 1 / (1 + anp.exp(-anp.dot(x, w) - b))
        xent = -y * anp.log(p) - (1 - y) * anp.log(1 - p)
        return anp.mean(xent) + 0.01 * anp.sum(w ** 2), p, xent

    def value(params):
        return cost(params)[0]
    gradient = autograd.grad(value)

    def step():
        _, p, xent = cost(params)  # autograd's grad gives no auxiliary outputs: a second forward pass
        gw, gb = gradient(params)
        params[0], params[1] = params[0] - 0.1 * gw, params[1] - 0.1 * gb
        return p > 0.5, xent
    return step


def mlp(data):
    x, t = data.x, data.y
    params = [p.copy() for p in data.params]

    def loss(params):
        w1, b1, w2, b2 = params
        h = anp.tanh(anp.dot(x, w1) + b1)
        z = anp.dot(h, w2) + b2
        e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
        p = e / anp.sum(e, axis=1, keepdims=True)
        return -anp.sum(t * anp.log(p)) / len(x)
    step_grad = autograd.value_and_grad(loss)

    def step():
        value, grads = step_grad(params)
        params[:] = [p - 0.1 * g for p, g in zip(params, grads)]
        return value
    return step


add_one = None  # autograd adds nothing to a NumPy call

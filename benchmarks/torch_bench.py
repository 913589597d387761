"""PyTorch, eager: the forward pass on tensors that require gradients, ``backward()``, and
an update without gradient tracking."""

import os

try:
    import torch
    AVAILABLE = True
except ImportError:
    AVAILABLE = False


def logistic(data):
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y)
    w = torch.from_numpy(data.params[0].copy()).requires_grad_()
    b = torch.from_numpy(data.params[1].copy()).requires_grad_()

    def step():
        p = 1 / (1 + torch.exp(-x @ w - b))
        xent = -y * torch.log(p) - (1 - y) * torch.log(1 - p)
        cost = xent.mean() + 0.01 * (w ** 2).sum()
        w.grad = b.grad = None
        cost.backward()
        with torch.no_grad():
            w.sub_(0.1 * w.grad)
            b.sub_(0.1 * b.grad)
        return p > 0.5, xent.detach()
    return step


def mlp(data):
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    x, t = torch.from_numpy(data.x), torch.from_numpy(data.y)
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in data.params]

    def step():
        w1, b1, w2, b2 = params
        h = torch.tanh(x @ w1 + b1)
        p = torch.softmax(h @ w2 + b2, dim=-1)
        loss = -(t * torch.log(p)).sum(dim=1).mean()
        for q in params:
            q.grad = None
        loss.backward()
        with torch.no_grad():
            for q in params:
                q -= 0.1 * q.grad
        return loss.detach()
    return step


def add_one(x):
    v = torch.from_numpy(x)
    f = lambda v: v + 1  # noqa: E731
    return lambda: f(v)

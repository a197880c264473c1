"""Adam on parameters stacked along a leading model axis, each model at its own learning rate.

Every parameter is a stack ``theta`` (S, ...) of S models' parameters; model s takes Adam's
step (Kingma & Ba, as ``torch.optim.Adam`` computes it) at its learning rate ``rates[s]``::

    t     = t + 1
    m     = beta1 m + (1 - beta1) g
    v     = beta2 v + (1 - beta2) g^2
    theta = theta - rates[s] / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

``rates`` (S,) is a tensor on the parameters' device that the caller rewrites in place (the
schedule's decay); the step count is a device tensor of its dtype, so a step never waits for
the host and can be recorded in a CUDA graph. With ``rates`` in double, the step sizes are
computed in double and rounded once, as torch's Adam computes them on the host.

A step is a short chain of kernels whatever the number of parameters: the moments and the
update are multi-tensor (``torch._foreach_*``) operations over all parameters at once, and
the bias corrections, shared by all parameters (they take their steps together), are
computed once per step; only the per-model step size is applied per parameter (a broadcast).
"""

from __future__ import annotations

from typing import Iterable

import torch


class StackedAdam(torch.optim.Optimizer):
    """Adam with one learning rate per model for parameters stacked as (S, ...)."""

    def __init__(self, params: Iterable[torch.nn.Parameter], rates: torch.Tensor,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, {"betas": tuple(betas), "eps": float(eps)})
        for param in (param for group in self.param_groups for param in group["params"]):
            if param.shape[:1] != rates.shape:
                raise ValueError(f"a parameter of shape {tuple(param.shape)} is not a stack of {len(rates)} models")
        self.rates = rates  # (S,), one per model: the leading axis of every parameter

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            params = [param for param in group["params"] if param.grad is not None]
            if not params:
                continue
            beta1, beta2 = group["betas"]
            for param in params:
                state = self.state[param]
                if not state:
                    state["step"] = torch.zeros((), dtype=self.rates.dtype, device=param.device)
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
            states = [self.state[param] for param in params]
            steps = [state["step"] for state in states]
            grads = [param.grad for param in params]
            m, v = [state["exp_avg"] for state in states], [state["exp_avg_sq"] for state in states]
            torch._foreach_add_(steps, 1)
            torch._foreach_lerp_(m, grads, 1 - beta1)
            torch._foreach_mul_(v, beta2)
            torch._foreach_addcmul_(v, grads, grads, value=1 - beta2)
            # the step sizes and bias corrections in the rates' dtype, rounded once
            step = steps[0]
            size = (self.rates / (1 - beta1 ** step)).to(params[0].dtype)
            denom = torch._foreach_sqrt(v)
            torch._foreach_div_(denom, (1 - beta2 ** step).sqrt().to(params[0].dtype))
            torch._foreach_add_(denom, group["eps"])
            update = [size.view(-1, *(1,) * (param.dim() - 1)) * moment for param, moment in zip(params, m)]
            torch._foreach_div_(update, denom)
            torch._foreach_sub_(params, update)

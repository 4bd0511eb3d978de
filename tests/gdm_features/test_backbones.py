"""Backbones by name: real weight loading paths, offline behaviour, precision."""

import os

import pytest
import torch

from gdm_features import GdmError
from gdm_features.backbones import BACKBONES, Embedder, get_backbone, resolve_precision
from gdm_features.efficientnet_lite import EfficientNetLite0


def test_resnet18_weights_load_through_torchvision_cache(tmp_path, monkeypatch):
    """The real loading path: torchvision's weights API reading $TORCH_HOME/hub/checkpoints."""
    from torchvision.models import ResNet18_Weights, resnet18

    reference = resnet18(weights=None)
    with torch.no_grad():
        for p in reference.parameters():
            p.normal_(0, 0.05)
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(reference.state_dict(), checkpoints / os.path.basename(ResNet18_Weights.IMAGENET1K_V1.url))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    net = get_backbone("resnet18").build()
    x = torch.randn(2, 3, 96, 128)
    reference.fc = torch.nn.Identity()
    with torch.inference_mode():
        torch.testing.assert_close(net(x), reference.eval()(x))
    assert net(x).shape == (2, 512)


def test_missing_resnet18_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(GdmError) as err:
        get_backbone("resnet18").build()
    message = str(err.value)
    assert str(tmp_path / "hub" / "checkpoints") in message
    assert "resnet18-f37072fd.pth" in message and "efficientnet_lite0" in message
    assert "\n" not in message


def test_cli_missing_weights_is_one_line(tmp_path, event_video):
    """In a real process: torch.hub's own 'Downloading' notice must not leak out."""
    import subprocess
    import sys

    env = dict(os.environ, TORCH_HOME=str(tmp_path / "empty"))
    result = subprocess.run([sys.executable, "-m", "gdm_temporal.app.cli", "extract", str(event_video),
                             "--cache-dir", str(tmp_path / "c"), "--quiet"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("gdm: error: ") and "efficientnet_lite0" in result.stderr


def test_efficientnet_lite0_ships_real_imagenet_weights():
    net = get_backbone("efficientnet_lite0").build()
    untrained = get_backbone("efficientnet_lite0").build("none")
    w = dict(net.named_parameters())["net._conv_stem.weight"]
    assert not torch.equal(w, dict(untrained.named_parameters())["net._conv_stem.weight"])
    # Trained batch-norm statistics are not the fresh (0, 1) ones.
    assert net.net._bn0.running_var.mean() != 1.0


def test_efficientnet_lite0_takes_any_frame_size():
    net = EfficientNetLite0().eval()
    with torch.inference_mode():
        assert net.features(torch.randn(1, 3, 224, 398)).shape == (1, 1280)
        assert net.features(torch.randn(1, 3, 97, 131)).shape == (1, 1280)


def test_random_weights_are_the_same_in_every_build():
    a, b = get_backbone("resnet18").build("none"), get_backbone("resnet18").build("none")
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(p, q)


def test_precision_choice():
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", BACKBONES["resnet18"], cpu) == "fp32"
    assert resolve_precision("auto", BACKBONES["efficientnet_lite0"], cpu) == "fp32"
    with pytest.raises(GdmError):
        resolve_precision("int4", BACKBONES["resnet18"], cpu)


def test_embedder_cpu_bf16_stays_within_tolerance_for_resnet18():
    """The rule behind BackboneSpec.cpu_bf16_ok, checked on structured input."""
    spec = BACKBONES["resnet18"]
    frames = (torch.rand(8, 1, 1, 3) * 255 * torch.linspace(0.2, 1, 112)[None, :, None, None]
              * torch.ones(1, 1, 112, 1)).to(torch.uint8).expand(8, 112, 112, 3).contiguous()
    ref = Embedder(spec, "none", torch.device("cpu"), "fp32")(frames)
    low = Embedder(spec, "none", torch.device("cpu"), "bf16")(frames)
    rel = ((low - ref).norm(dim=1) / ref.norm(dim=1)).max()
    assert rel < 1e-2

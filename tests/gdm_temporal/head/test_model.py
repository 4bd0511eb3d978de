"""The head's branches and fusions: which evidence each output uses."""

import torch

from gdm_temporal.head.model import HeadConfig, HighlightHead


def test_each_set_of_present_branches_has_its_own_fusion():
    both = HeadConfig(visual_dim=8, audio_dim=5, motion_dim=6)
    assert both.branches == ("visual", "motion", "audio")
    assert both.fusions() == [("visual", "motion", "audio"), ("visual", "motion")]
    assert HeadConfig(visual_dim=8, audio_dim=0, motion_dim=6).fusions() == [("visual", "motion")]
    assert HeadConfig(visual_dim=0, audio_dim=5).fusions() == []  # one branch: its calibration
    assert [both.columns(b) for b in both.branches] == [slice(0, 8), slice(8, 14), slice(14, 19)]


def test_a_muted_stream_is_scored_by_the_picture_only_and_the_full_output_listens():
    torch.manual_seed(0)
    head = HighlightHead(HeadConfig(visual_dim=8, audio_dim=5, motion_dim=6)).eval()
    x = torch.randn(2, 30, 19)
    louder = x.clone()
    louder[..., 14:] += 3.0  # only the sound changes
    with torch.no_grad():
        assert torch.equal(head(x, ("visual",)), head(louder, ("visual",)))
        assert not torch.allclose(head(x), head(louder))
        moved = x.clone()
        moved[..., 8:14] += 3.0  # only the motion changes
        assert not torch.allclose(head(x, ("visual",)), head(moved, ("visual",)))
        assert torch.equal(head(x, only="visual"), head(moved, only="visual"))

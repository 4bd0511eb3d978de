"""Head checkpoints: the state_dict plus a JSON config, loaded with `weights_only=True`.

A checkpoint is untrusted input (people share them): only tensors and plain containers are
accepted, and the config is a JSON string, never a pickled object.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import torch

from gdm_features import FeatureFile
from gdm_features.errors import GdmError
from gdm_features.files import write_atomically

from .data import Normalizer, feature_identity
from ..timeline.segments import SegmentParams
from .model import HeadConfig, HighlightHead

FORMAT = "gdm.head/3"  # /3: picture, motion and sound branches, fused late (older heads are retrained, in seconds)


def save_head(path: Path | str, head: HighlightHead, config: dict, norm: Normalizer) -> Path:
    """Write atomically: a killed save never leaves a truncated file under `path`."""
    payload = {"format": FORMAT, "state_dict": {k: v.detach().cpu() for k, v in head.state_dict().items()},
               "normalization": norm.to_tensors(), "config": json.dumps(config)}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return write_atomically(path, buffer.getvalue())


def load_head(path: Path | str) -> tuple[HighlightHead, dict, Normalizer]:
    path = Path(path)
    if not path.is_file():
        raise GdmError(f"{path}: no such head checkpoint")
    try:
        with warnings.catch_warnings():  # torch warns about odd pickles on stderr: the one line below says it
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for damaged or hostile files
        if "weights_only" in str(exc) or "Unsupported global" in str(exc) or "Weights only" in str(exc):
            raise GdmError(f"{path}: refused: the file holds Python objects, not just tensors "
                           "(a gdm head never does; do not load it)") from None
        raise GdmError(f"{path}: not a readable head checkpoint (truncated or damaged: "
                       f"{type(exc).__name__})") from None
    if isinstance(payload, dict) and payload.get("format") in ("gdm.head/1", "gdm.head/2"):
        raise GdmError(f"{path}: a head made by an older gdm (without the picture's motion branch); extract its "
                       "streams again and train it again with gdm train (it takes seconds on cached features)")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise GdmError(f"{path}: not a gdm head checkpoint (format {FORMAT} expected)")
    try:
        config = json.loads(payload["config"])
        head = HighlightHead(HeadConfig(**config["architecture"]))
        head.load_state_dict(payload["state_dict"])
        norm = Normalizer.from_tensors(payload["normalization"])
        problem = _structure_problem(head, config, norm)
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError) as exc:
        raise GdmError(f"{path}: damaged head checkpoint ({type(exc).__name__})") from None
    if problem:
        raise GdmError(f"{path}: damaged head checkpoint ({problem})")
    return head.eval(), config, norm


def _structure_problem(head: HighlightHead, config: dict, norm: Normalizer) -> str | None:
    """What does not fit together in a checkpoint whose pieces each loaded (valid tensors in the
    wrong shapes, a threshold that is not a number): checked once here, not found mid-scoring."""
    visual, motion, audio = config["dims"]["visual"], config["dims"]["motion"], config["dims"]["audio"]
    if (len(norm.visual_mean), len(norm.visual_std), len(norm.motion_mean), len(norm.motion_std),
            len(norm.audio_mean), len(norm.audio_std)) != (visual, visual, motion, motion, audio, audio) \
            or norm.visual_basis.shape[0] != visual or norm.motion_basis.shape[0] != motion:
        return "normalisation widths do not match its dims"
    if (norm.components, norm.motion_components, norm.audio_dim) != \
            (head.config.visual_dim, head.config.motion_dim, head.config.audio_dim):
        return "the model's input widths do not match its normalisation"
    arrays = [getattr(norm, f.name) for f in fields(norm)]
    spreads = (norm.visual_std, norm.motion_std, norm.audio_std)
    if not all(np.isfinite(a).all() for a in arrays) or any((spread <= 0).any() for spread in spreads):
        return "normalisation holds values that are not finite or not positive"
    if not all(torch.isfinite(v).all() for v in head.state_dict().values()):
        return "weights that are not finite numbers"
    for threshold in [config.get("threshold"), *(config.get("modality_thresholds") or {}).values()]:
        if threshold is not None and not (isinstance(threshold, (int, float)) and 0 <= threshold <= 1):
            return f"threshold {threshold!r} is not a probability"
    segments = config.get("segments")
    try:
        params = SegmentParams(**segments)
    except TypeError:
        return "segment settings of another kind"
    numbers = [v for v in asdict(params).values() if v is not None]
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in numbers):
        return "segment settings that are not finite numbers"
    return None


def extract_options_for(config: dict) -> dict:
    """Extraction settings that give features this head accepts (for videos not yet extracted)."""
    trained = config["features"]
    return {"backbone": trained["backbone"], "weights": trained["weights"], "fps": trained["fps"],
            "input_size": tuple(trained["input_size"])}


def hears_muted_streams(config: dict) -> bool:
    """A head that looks at the picture scores a muted stream with its picture branches alone."""
    return config["architecture"]["visual_dim"] > 0 or config["architecture"]["motion_dim"] > 0


def check_features(config: dict, features: FeatureFile, name: str) -> None:
    """Refuse features made with other settings than the head was trained on."""
    trained_audio = config["dims"]["audio"]
    if features.audio_dim != trained_audio and trained_audio and not (features.audio_dim == 0 and
                                                                         hears_muted_streams(config)):
        if features.audio_dim == 0:
            raise GdmError(f"{name} has no sound, and the head only listens (trained with --modalities audio); "
                           "score it with a head that looks at the picture, or without a head (cold start)")
        raise GdmError(f"{name} has {features.audio_dim} audio columns, the head was trained on {trained_audio}; "
                       "extract it with the head's settings")
    trained, given = config["features"], feature_identity(features.attrs)
    differences = [k for k in given if trained.get(k) != given[k]]  # a key the head records beyond these: not compared
    widths = {"visual": features.visual_dim, "motion": features.motion_dim}
    wrong_width = [m for m, width in widths.items() if config["dims"][m] and width != config["dims"][m]]
    if differences or wrong_width:
        if differences:
            k = differences[0]
            shown_trained, shown_given = trained[k], given.get(k)
        else:
            k = f"{wrong_width[0]} width"
            shown_trained, shown_given = config["dims"][wrong_width[0]], widths[wrong_width[0]]
        raise GdmError(f"{name}: the head was trained on {trained.get('backbone')} features "
                       f"({k} = {shown_trained!r}), these have {k} = {shown_given!r}; extract the video "
                       f"with --backbone {trained.get('backbone')} and the head's other settings")

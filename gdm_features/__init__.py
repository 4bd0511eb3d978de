"""Stage one of gdm: decode a video once, embed every sampled frame, cache it in HDF5."""

__version__ = "0.1.0"

from .errors import GdmError  # noqa: E402
from .extract import ExtractSettings, cache_path_for, cached_features, default_cache_dir, extract  # noqa: E402
from .store import SCHEMA, FeatureFile, FeatureSlice, read  # noqa: E402

__all__ = ["GdmError", "ExtractSettings", "extract", "cache_path_for", "cached_features", "default_cache_dir",
           "FeatureFile", "FeatureSlice", "read", "SCHEMA", "__version__"]

"""Sliding-window inference: windows stitch without seams, memory stays bounded."""


import numpy as np



def test_windows_stitch_without_seams(trained_head, dataset):
    from gdm_temporal.head.checkpoint import load_head
    from gdm_temporal.head.data import WindowReader, open_streams
    from gdm_temporal.head.inference import score_region
    from gdm_temporal.labels.manifest import Region, read_manifest

    head, _, norm = load_head(trained_head)
    streams = open_streams(read_manifest(dataset / "manifest.csv")[2:], progress=False)
    reader = WindowReader(streams, norm, block=64, capacity_bytes=1)  # the smallest cache: 4 blocks
    region = Region(0, 0, streams[0].n_steps, "all")
    whole = score_region(head, reader, region, window=streams[0].n_steps)
    stitched = score_region(head, reader, region, window=256)  # 7 overlapping windows (default: 512)
    assert np.abs(stitched - whole).max() < 0.05 and np.abs(stitched - whole).mean() < 0.005
    assert len(reader._cache) <= 4

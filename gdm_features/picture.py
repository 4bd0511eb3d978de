"""The step's frame itself, kept small: the picture block of the cache.

A pooled ImageNet embedding says what kind of scene is on screen, and a game's scenes repeat:
every minute of Space Invaders is "a formation over three shields". Which invaders are left,
how the shields are worn and what the score says tell the minutes apart, and they survive
re-encoding and a lower bitrate; but an editor who letterboxes the game or crops it for a
phone changes the embedding entirely. So each step also keeps its frame as a SIDE x SIDE grey
picture (area average of the whole frame), which alignment compares cell by cell in the
geometry the editor gave the compilation (`gdm_temporal/labels/picture_geometry.py`).
Measured on Space Invaders compilations (stream step whose picture is most alike, within
0.4 s of the truth): 0.59-0.85 of clip steps at 32 x 32 against 0.02-0.50 for the embedding
(0.02 letterboxed); 16 x 16 lost letterboxes (0.22-0.36), 64 x 64 gained little for 4x the bytes.
"""

SIDE = 32
DIM = SIDE * SIDE  # uint8 grey levels, row by row

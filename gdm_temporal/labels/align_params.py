"""What `gdm labels align` weighs, and the measurements behind each value."""

from __future__ import annotations

from dataclasses import dataclass, field

from .picture_match import PictureParams
from .sound_match import SoundParams


@dataclass(frozen=True)
class AlignParams:
    picture: PictureParams = field(default_factory=PictureParams)
    sound: SoundParams = field(default_factory=SoundParams)
    # Mean z-score of the picture along a line the sound found that confirms it. A random line
    # scores about 0 (a look-alike game scene, 1); the true line of a re-encoded clip, 3 or more.
    confirm_z: float = 1.5
    grow_z: float = 1.0  # a step whose picture is this far above background on the line belongs to it
    picture_lead: float = 0.3  # a picture-only match's z-score lead over the best other line
    picture_reach_s: float = 8.0  # how far a clip the picture found may grow along its line...
    heard_reach_s: float = 2.5  # ...and one the sound found, past its first or last sound
    # The screen's rhythm of motion (picture_motion.py) along a line the sound found, that
    # confirms it: correlating at least this well, this much better than along the sound's
    # best other line, where the sound itself prefers the line by at least `rhythm_sound_lead`
    # nats. Measured on Atari clips under every edit: true lines 0.67-0.99 (speed-changed clips
    # excepted), the sound's rival lines -0.8-0.77, and a false line the sound chose 0.62-0.82
    # with its rival as good or better by sound or by rhythm.
    rhythm_r: float = 0.6
    rhythm_lead: float = 0.3
    rhythm_sound_lead: float = 0.0
    # The embeddings' best matches are sought among every other stream step: the costliest of
    # the three picture searches, at half the cost; measured on the Atari compilations, found
    # as much as among all but one clip (Space Invaders, plain). The motion grids' and the
    # small pictures' searches lose clips that way (Breakout under music: 4 of 6 to 1).
    embedding_stride: int = 2
    twice_lead: float = 1.0  # a clip unsure in each picture comparison, sure in both together (seen_twice)
    # ...or in one of them, seen above every other line at step after step (`steadily_above`: a
    # paired t-statistic). Measured on the Space Invaders compilations of seed 6: true lines the
    # comparisons left unsure 0.8-8.2 (six of thirteen at 5.0 or more), false lines at most 1.5.
    steady_t: float = 4.0
    steady_min_s: float = 5.0  # (true lines told apart so were 6.4-13.6 s long; a false one, 3.4 s)
    join_slack_s: float = 1.0  # how far past the sounds the picture may move a join of two clips seen and heard
    handover_s: float = 2.0  # a stretch the picture gives from a clip heard and seen to its heard neighbour

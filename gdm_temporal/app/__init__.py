"""The app layer: what a person runs. It sits above both stages and imports them; neither stage
imports it.

- `cli/`: the `gdm` command line (one group, one module per job);
- `demo/`: `gdm demo`, the whole product on recorded Atari play, offline.
"""

"""Stage two of gdm: a small temporal head trained on cached feature sequences."""

"""Every view of one prepared review as the page shows them, computed together."""
from __future__ import annotations

from explorer.data.text_pipeline import TextConfig
from explorer.tasks.sentiment.reading import Review, occlusion, score, trajectory
from explorer.tasks.sentiment.saliency import saliency
from explorer.tasks.sentiment.word_states import states


def every_view(model, review: Review, cfg: TextConfig) -> tuple:
    """Every view of one prepared review, as the page shows them: (probability, trajectory, occlusion,
    saliency, hidden states). Running it once on a new model traces each view's function."""
    return (score(model, review, cfg.padding), trajectory(model, review, cfg), occlusion(model, review, cfg),
            saliency(model, review, cfg.padding), states(model, review, cfg.padding))

"""Figure builders: right traces, axes and a log colour scale that keeps decades visible."""
import numpy as np
import plotly.graph_objects as go

from explorer.charts import common as charts


def test_loss_curves_draw_train_and_validation_per_epoch():
    fig = charts.loss_curves({"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0]})
    assert [t.name for t in fig.data] == ["train", "validation"]
    assert list(fig.data[0].x) == [1, 2, 3] and list(fig.data[1].y) == [3.5, 2.5, 2.0]


def test_a_running_point_continues_the_train_curve_into_the_epoch_in_progress():
    before_first = charts.loss_curves({}, running=(0.4, 2.5))
    assert [t.name for t in before_first.data] == ["train (epoch in progress)"]
    assert list(before_first.data[0].x) == [0.4] and list(before_first.data[0].y) == [2.5]
    later = charts.loss_curves({"loss": [3.0, 2.0], "val_loss": [3.5, 2.5]}, running=(2.5, 1.5))
    assert list(later.data[2].x) == [2, 2.5] and list(later.data[2].y) == [2.0, 1.5]  # from the last epoch on
    assert len(charts.loss_curves({"loss": [1.0]}, running=(1.5, float("nan"))).data) == 1  # nothing untrue drawn


def test_a_long_run_is_drawn_light_every_epoch_and_the_last_point_still_in_it():
    """A live chart is sent to the browser every second: a long run's curves stay lines of bounded size."""
    epochs = charts.MARKERS_UP_TO + 1
    short = charts.loss_curves({"loss": [1.0] * charts.MARKERS_UP_TO})
    assert short.data[0].mode == "lines+markers"
    batches = [(i / 7, 10.0 / (i + 1)) for i in range(5 * charts.BATCH_POINTS + 3)]
    fig = charts.loss_curves({"loss": list(np.linspace(3, 1, epochs)), "val_loss": [2.0] * epochs},
                             batches={"loss": batches})
    assert [t.mode for t in fig.data[:2]] == ["lines", "lines"] and len(fig.data[0].x) == epochs  # every epoch
    within = fig.data[2]
    assert len(within.x) == charts.BATCH_POINTS
    assert (within.x[0], within.x[-1]) == (batches[0][0], batches[-1][0])  # from the first point to the newest
    assert list(within.x) == sorted(within.x) and set(zip(within.x, within.y)) <= set(batches)


def test_log_heatmap_spans_decades_and_hides_zeros():
    z = np.array([[1e-6, 1e-3, 1.0], [0.0, 1e-2, 10.0]])
    fig = charts.heatmap(z, "grad", "t", "epoch", log=True)
    shown = np.array(fig.data[0].z, dtype=float)
    np.testing.assert_allclose(shown[0], [-6, -3, 0])
    assert np.isnan(shown[1, 0]) and shown[1, 2] == 1.0


def test_every_builder_returns_a_figure():
    figs = [charts.overlay_curves({"LSTM": [1, 2]}, "t"), charts.step_norms({"rnn_0": [1.0, 2.0]}),
            charts.series_lines({"truth": ([0, 1], [1, 2])}, "s", shade=[(0, 1, "train")])]
    assert all(isinstance(f, go.Figure) and f.data for f in figs)


def test_the_review_length_chart_sends_bars_that_count_every_review_once():
    from explorer.charts.text import length_histogram

    lengths = np.random.default_rng(0).integers(5, 3000, 25_000)
    fig = length_histogram(lengths, max_len=200, clip=1500)
    bars = fig.data[0]
    assert bars.type == "bar" and len(bars.y) <= 60
    assert sum(bars.y) == len(lengths)  # every review in one bar, the longer ones in the last
    lo, hi = np.asarray(bars.customdata).T
    assert bars.y[-1] == np.sum((lengths >= lo[-1]) | (lengths > 1500))
    assert bars.y[0] == np.sum(lengths <= hi[0])
    assert len(fig.to_json()) < 20_000  # a page sends bars, not 25,000 lengths for the browser to bin
    assert list(length_histogram(np.array([3, 3, 5]), max_len=2).data[0].y) == [0, 0, 0, 2, 0, 1]

"""The time-series run as a plain Keras script: data, what the network predicts, split, windows, model, test.

`series_script(record)` writes the script of a finished run from its record (the configs it trained
with, the target it resolved, the seasonal period it found, how its CSV was read); `write_series`
does the same from plain inputs. Each data source has one writer (`DATA`), and each target transform
one small `Transform` (`TRANSFORMS`, keyed by the target's name): adding a transform is one entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from explorer.export import model_code
from explorer.export.script import Script, constants, lit
from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig

# The page's sampling of a long series (explorer.tasks.series.run): written into the script only when the run sampled.
from explorer.tasks.series.run import HEAD_START_SCALE, MAX_TRAIN_WINDOWS, MAX_VAL_WINDOWS, short_name


@dataclass(frozen=True)
class Transform:
    """What the network reads and predicts instead of the raw values, written as code.

    `modelled`: code making `series` from `values`; its first `skip` entries (code: a number or PERIOD) are
    placeholders (no value before them), so the first window predicts index WINDOW + SKIP and the scaler starts
    at SKIP. `to_levels`: code making `pred_levels` (one step ahead, original units) from `pred` (unscaled
    outputs, first step) and `t` (the target indices). A change (`skip` not 0) starts near "no change".
    """

    what: str
    modelled: str
    skip: str
    to_levels: str


def _change(what: str, log: bool, lag: str) -> Transform:
    base = "np.log(values)" if log else "values"
    before = "values[t - 1]" if lag == "1" else "values[t - PERIOD]"
    back = f"{before} * np.exp(pred)" if log else f"{before} + pred"
    return Transform(
        what,
        (f"base = {base}  # " + ("the log: its changes are relative changes\n" if log else "\n") +
         f"series = np.zeros_like(base)\nseries[{lag}:] = base[{lag}:] - base[:-{lag}]  "
         f"# base[t] − base[t−{lag}]; the first {'value is a placeholder' if lag == '1' else 'PERIOD values are placeholders'}"),
        lag,
        f"pred_levels = {back}  # the predicted change added to the value it starts from")


TRANSFORMS = {
    "level": Transform("the level itself", "series = values.copy()", "0", "pred_levels = pred"),
    "change": _change("the change since the previous step (differencing): changes stay in the range seen in "
                      "training when the level trends out of it", False, "1"),
    "seasonal": _change("the change since the same point one season (PERIOD steps) before (seasonal differencing): "
                        "the season is then given, and the network learns what differs from it", False, "PERIOD"),
    "log_change": _change("the relative change since the previous step (the change of the log): a series whose "
                          "swings grow with its level has changes of a steady size on a log scale", True, "1"),
    "log_seasonal": _change("the relative change since the same point one season (PERIOD steps) before, on a log "
                            "scale: a season whose swings grow with the level", True, "PERIOD"),
}

# A seasonal change's mean rests on a few seasons: the scaler centres on it only where every season shows it
# (explorer.data.windows.drift_is_clear), else an untrained model starts at "same as one season before" exactly.
DRIFT_CODE = '''\
def drift_is_clear(changes, lag, z=2.5):
    """Whether the mean change is a drift every whole season shows (z standard errors, at least 3 seasons)."""
    k = len(changes) // lag
    if k < 3:
        return False
    seasons = changes[len(changes) - k * lag:].reshape(k, lag).mean(axis=1)
    sd = np.std(seasons, ddof=1)
    return abs(seasons.mean()) > z * sd / np.sqrt(k) if sd > 0 else seasons.mean() != 0


'''

# Shrinking a change model's output layer makes the untrained model predict the usual change (the last-value
# or seasonal-naive rule); training moves away from it only as far as validation rewards (explorer.tasks.series.run).
START_CODE = """\
# Start near "no change": the output layer shrunk {scale:g}×, so the untrained model predicts the usual change
# (the {rule} rule) and training moves away from it only as far as validation rewards.
kernel, bias = model.layers[-1].get_weights()
model.layers[-1].set_weights([kernel * {factor!r}, np.zeros_like(bias)])"""


def _sine(s: SeriesConfig) -> tuple[list, str, str]:
    rows = [("LENGTH", s.length, "points"), ("FREQUENCY", s.frequency, "cycles per step"),
            ("AMPLITUDE", s.amplitude, ""),
            ("NOISE", s.noise, "observation noise σ: no forecast can beat an MSE of σ² on new data"),
            ("DATA_SEED", s.seed, "")]
    code = ("rng = np.random.default_rng(DATA_SEED)\n"
            "t = np.arange(LENGTH, dtype=np.float64)\n"
            "values = AMPLITUDE * np.sin(2 * np.pi * FREQUENCY * t)")
    if s.noise > 0:
        code += "\nvalues = values + rng.normal(0.0, NOISE, size=LENGTH)  # what a sensor would record"
    return rows, "A sine wave" + (" with Gaussian noise" if s.noise > 0 else "") + ", written out.", code


def _stock(s: SeriesConfig) -> tuple[list, str, str]:
    rows = [("LENGTH", s.length, "trading days"), ("DRIFT", s.drift, "yearly"), ("VOLATILITY", s.volatility, "yearly")]
    rows += [("SEASONALITY", s.seasonality, "amplitude of a yearly cycle, as a share of the price")] if s.seasonality else []
    rows += [("JUMPS", s.jumps, "expected jumps per year")] if s.jumps else []
    rows.append(("DATA_SEED", s.seed, ""))
    code = ("rng = np.random.default_rng(DATA_SEED)\n"
            "dt = 1.0 / 252  # one trading day, in years\n"
            "log_returns = (DRIFT - 0.5 * VOLATILITY**2) * dt + VOLATILITY * np.sqrt(dt) * rng.standard_normal(LENGTH)")
    if s.jumps:
        code += ("\nn_jumps = rng.poisson(JUMPS * dt, size=LENGTH)\n"
                 "jump_size = max(0.05, 3 * VOLATILITY * np.sqrt(dt))\n"
                 "log_returns = log_returns + n_jumps * rng.normal(0.0, jump_size, size=LENGTH)")
    code += "\nlog_returns[0] = 0.0\nvalues = 100.0 * np.exp(np.cumsum(log_returns))  # starts at 100"
    if s.seasonality:
        code += "\nvalues = values * (1.0 + SEASONALITY * np.sin(2 * np.pi * np.arange(LENGTH) / 252))"
    return rows, ("A stock-like price path, written out: geometric Brownian motion (each day's log-return is drift "
                  "plus noise)" + (", with a yearly cycle" if s.seasonality else "") +
                  (", with jumps" if s.jumps else "") + "."), code


def _csv(s: SeriesConfig, origin) -> tuple[list, str, str]:
    from explorer.export.csv_code import csv_code

    if origin is None:
        raise ValueError("A CSV run's script needs how its file was read (SeriesData.origin).")
    return csv_code(origin)


DATA: dict[str, Callable] = {"sine": lambda s, origin: _sine(s), "stock": lambda s, origin: _stock(s), "csv": _csv}
DATA_NAMES = {"sine": "a sine wave", "stock": "a stock-like series", "csv": "your CSV"}

WINDOWS_CODE = '''\
def windows(first: int, last: int):
    """First targets s in [first, last) of the windows: inputs series[s-WINDOW:s], targets series[s:s+HORIZON]."""
    return np.arange(max(first, WINDOW + SKIP), last - HORIZON + 1)


def make_windows(starts):
    """Inputs (n, WINDOW, 1) and targets (n, HORIZON) of the windows whose first targets are `starts`."""
    rows = np.lib.stride_tricks.sliding_window_view(scaled.astype("float32"), WINDOW + HORIZON)[starts - WINDOW]
    return rows[:, :WINDOW, None], rows[:, WINDOW:]


train_starts = windows(0, val_start)
val_starts = windows(val_start, test_start)
test_starts = windows(test_start, n)'''


def write_series(series: SeriesConfig, model: ModelConfig, train: TrainConfig, target: str,
                 period: Optional[int] = None, period_text: str = "", sampled: tuple[bool, bool] = (False, False),
                 origin=None, title: str = "") -> Script:
    """The script of a time-series run: `target` is what it predicted ("auto" resolved), `period` the seasonal
    period of its seasonal-naive baseline, `sampled` whether its training / validation windows were sampled."""
    if target not in TRANSFORMS:
        raise ValueError(f"No script writer for the target {target!r}: add its Transform to "
                         "explorer.export.series_code.TRANSFORMS.")
    form = TRANSFORMS[target]
    if form.skip == "PERIOD" and not period:
        raise ValueError(f"The target {target!r} differences over a season, and the run found none.")
    rows, data_prose, data_code = DATA[series.source](series, origin)
    name = short_name(model)
    script = Script(title or f"{name} forecasting {DATA_NAMES[series.source]}: an RNN Explorer time-series run",
                    f"A {name} reads the last {series.window} values of the series and predicts the next "
                    f"{'one' if series.horizon == 1 else f'{series.horizon}'}; it is tested against rules that learn "
                    "nothing (the last value, the mean of the window" +
                    (", the value one season ago)." if period else ")."),
                    file_stem="rnn_explorer_time_series")
    chosen = "as chosen on the page" if series.target == target else "chosen by the page's auto rule for this series"
    settings = [("", None, "the data"), *rows, ("", None, ""), ("", None, "windows and split"),
                ("WINDOW", series.window, "past steps the network reads"),
                ("HORIZON", series.horizon, "values each window predicts"),
                ("VAL_FRACTION", series.val_fraction, ""), ("TEST_FRACTION", series.test_fraction, ""),
                ("PERIOD", period, period_text or "no seasonal-naive baseline"), ("", None, ""),
                *model_code.model_constants(model, train)]
    script.add("Settings", "This run's settings; change them and run again.",
               "import keras\nimport numpy as np\nimport pandas as pd\n\n" + constants(settings))
    script.add("The data", data_prose, data_code)
    script.add("What the network predicts", f"It predicts {form.what} ({chosen}).",
               (DRIFT_CODE if form.skip == "PERIOD" else "") +
               f"SKIP = {form.skip}  # leading values with nothing to predict from\n{form.modelled}")
    script.add("Split by time, scale on the training part",
               "The split is chronological: train, then validation, then test, so nothing from the future leaks into "
               "training. The scaler sees only the training part.",
               "n = len(values)\n"
               "n_test, n_val = round(n * TEST_FRACTION), round(n * VAL_FRACTION)\n"
               "val_start, test_start = n - n_test - n_val, n - n_test\n"
               "train_part = series[SKIP:val_start]\n" +
               ("mean = train_part.mean()  # the usual change: the drift\n" if form.skip == "1" else
                "mean = train_part.mean()\n" if form.skip == "0" else
                "mean = train_part.mean() if drift_is_clear(train_part, SKIP) else 0.0\n") +
               ("std = train_part.std()\n" if form.skip != "PERIOD" else
                "std = np.sqrt(np.mean((train_part - mean) ** 2))\n") +
               "scaled = (series - mean) / std")
    sample = []
    if sampled[0]:
        sample.append(f"# A long series: {MAX_TRAIN_WINDOWS:,} training windows drawn at random (the same every epoch)\n"
                      f"train_starts = np.sort(np.random.default_rng(SEED).choice(train_starts, size={MAX_TRAIN_WINDOWS}, "
                      "replace=False))")
    if sampled[1]:
        sample.append(f"# … and {MAX_VAL_WINDOWS:,} validation windows spread evenly\n"
                      f"val_starts = val_starts[np.unique(np.linspace(0, len(val_starts) - 1, {MAX_VAL_WINDOWS}).round()"
                      ".astype(int))]")
    script.add("Windows", "Each sample is a window of past values and the value(s) that follow it. A window's inputs "
               "may reach back into the part before it (the past); its targets lie inside its own part.",
               WINDOWS_CODE + ("\n" + "\n".join(sample) if sample else "") + "\n"
               "x_train, y_train = make_windows(train_starts)\n"
               "x_val, y_val = make_windows(val_starts)\n"
               "x_test, y_test = make_windows(test_starts)\n"
               "print(f'{len(x_train)} training, {len(x_val)} validation and {len(x_test)} test windows')")
    helpers = model_code.helpers_code(model, "WINDOW")
    layers = model_code.recurrent_lines(model) + model_code.readout_lines(model, False)
    build = ((helpers + "\n\n\n" if helpers else "") +
             "keras.utils.set_random_seed(SEED)\n"
             "model = keras.Sequential([\n    keras.Input(shape=(WINDOW, 1)),\n" + "\n".join(layers) + "\n" +
             ("    keras.layers.Dropout(HEAD_DROPOUT),\n" if model.head_dropout else "") +
             "    keras.layers.Dense(HORIZON),\n])\n" +
             (START_CODE.format(scale=1 / HEAD_START_SCALE, factor=HEAD_START_SCALE,
                                rule="last-value" if form.skip == "1" else "seasonal-naive") + "\n"
              if form.skip != "0" else "") +
             model_code.compile_code(train, "mse", ["mae"]) + "\nmodel.summary()")
    script.add("The model", "The same layers as the run in the app.", build)
    keep = ("\n# The untrained model is a candidate too: where no epoch lowers the validation loss below its own,\n"
            "# the model keeps its starting weights (for a change model, the rule it started at).\n"
            "start_loss, start_weights = model.evaluate(x_val, y_val, batch_size=BATCH_SIZE, verbose=0)[0], "
            "model.get_weights()") if train.patience else ""
    script.add("Train", "", model_code.callbacks_code(train) + keep + "\n"
               "history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_data=(x_val, "
               "y_val),\n                    shuffle=True, callbacks=callbacks, verbose=2)" +
               ("\nif start_loss <= min(history.history['val_loss']):\n"
                "    model.set_weights(start_weights)\n"
                "    print('No epoch beat the untrained model on validation: it keeps its starting weights.')"
                if train.patience else ""))
    script.add("Test: the model against rules that learn nothing",
               "Scored once, one step ahead on every test window, in the series' own units. A network earns its keep "
               "only when it beats these baselines.",
               "t = test_starts\n"
               "pred = model.predict(x_test, verbose=0)[:, 0] * std + mean  # unscaled\n"
               f"{form.to_levels}\n"
               "truth = values[t]\n"
               "baselines = {'last value': values[t - 1],\n"
               "             'moving average': np.array([values[s - WINDOW:s].mean() for s in t])}\n"
               "if PERIOD is not None and t.min() >= PERIOD:\n"
               "    baselines['seasonal naive'] = values[t - PERIOD]\n"
               "forecasts = {'model': pred_levels, **baselines}\n"
               "scores = pd.DataFrame({'test MSE': {k: np.mean((truth - p) ** 2) for k, p in forecasts.items()},\n"
               "                       'test MAE': {k: np.mean(np.abs(truth - p)) for k, p in forecasts.items()}})\n"
               "test_mse = scores.loc['model', 'test MSE']\n"
               "print(scores)" +
               ("\nprint(f'Noise floor σ² = {NOISE ** 2:g}: the best any forecast can do on new data.')"
                if series.source == "sine" and series.noise > 0 else ""))
    script.add("The loss curves", "Training and validation loss per epoch (in scaled units), on a log scale.",
               "curves = pd.DataFrame(history.history)[['loss', 'val_loss']]\n"
               "curves.index = curves.index + 1\n"
               "ax = curves.plot(logy=True, xlabel='epoch', ylabel='MSE (scaled)', title='Loss')\n"
               "ax.figure.savefig('loss_curves.png')")
    return script


def series_script(record) -> Script:
    """The script of a time-series run, from its `explorer.tasks.series.run.SeriesRecord`."""
    from explorer.nn import config

    c = record.configs
    series = config.from_dict(SeriesConfig, c["series"])
    model = config.from_dict(ModelConfig, c["model"])
    train = config.from_dict(TrainConfig, c["train"])
    ds = record.ds
    sampled = (len(ds.x_train) < ds.n_train_windows, len(ds.x_val) < ds.n_val_windows)
    return write_series(series, model, train, c.get("resolved", {}).get("target", ds.target), ds.period or record.period.steps,
                        record.period.text, sampled, getattr(record, "origin", None))
